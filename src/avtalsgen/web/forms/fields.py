"""A field being rendered or parsed: its path, its id, and its value as text."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .shapes import MISSING


@dataclass
class _F:
    """One field being rendered or parsed."""

    name: str
    label: str = ""
    help: str = ""
    required: bool = False
    default: Any = MISSING
    ctx: str = ""  # the property (or, for an item, the array's property) it belongs to
    item: bool = False  # a list item or table cell: positional, never omitted
    empty_text: bool = False  # "" means something here (the schema says so)


# --- names and ids ----------------------------------------------------------------


def _join(base: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{base}[{part}]"
    return f"{base}.{part}" if base else part


def _id(kind: str, name: str) -> str:
    # Percent-encoding keeps the id unique (injective) and free of spaces.
    return f"{kind}-{quote(name, safe='[].') or '_'}"


def _under(path: str, anchor: str) -> bool:
    """Whether the field path is the anchor or inside it."""
    if not anchor:
        return True
    return path == anchor or path.startswith((anchor + ".", anchor + "["))


def _text(value: Any) -> str:
    if value is None or value is MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_COMMA = re.compile(r"[+-]?\d+,\d+")


def _number(text: str, types: Iterable[str]) -> Any:
    """The number a text is (a decimal comma too), or MISSING."""
    if not set(types) & {"integer", "number"} or len(text) > 400:
        return MISSING  # no figure in a table is that long: keep it as text
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text) or _COMMA.fullmatch(text):
        number = float(text.replace(",", "."))
        return number if math.isfinite(number) else MISSING
    return MISSING


def _ambiguous(text: str, numbers: bool) -> bool:
    """Whether a text needs the apostrophe to be read back as this text."""
    if text == "" or (numbers and _number(text, {"number"}) is not MISSING):
        return True
    return text.startswith("'") and _ambiguous(text[1:], numbers)


def _quote_text(text: str, numbers: bool) -> str:
    return "'" + text if _ambiguous(text, numbers) else text


def _unquote_text(text: str, numbers: bool) -> tuple[str, bool]:
    """(text, whether it was marked as text)."""
    if text.startswith("'") and _ambiguous(text[1:], numbers):
        return text[1:], True
    return text, False


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))
