"""A posted form read back into plain data, walking the same shapes as the renderer."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .actions import _convert
from .fields import _F, _is_date, _join, _number, _unquote_text
from .labels import _option_value
from .shapes import MISSING, _Shape


class _Form:
    """A posted form as {name: [values]} (a dict of lists or a multidict)."""

    def __init__(self, form: Any) -> None:
        self.data: dict[str, list[str]] = {}
        if hasattr(form, "getlist"):
            items = ((k, v) for k in list(form.keys()) for v in form.getlist(k))
        else:
            items = ((k, v) for k, vs in form.items()
                     for v in (vs if isinstance(vs, (list, tuple)) else [vs]))
        for key, value in items:
            if isinstance(value, str):
                self.data.setdefault(key, []).append(value)

    def get(self, name: str) -> str | None:
        values = self.data.get(name)
        return values[0].replace("\r\n", "\n") if values else None

    def getlist(self, name: str) -> list[str]:
        return [v.replace("\r\n", "\n") for v in self.data.get(name, [])]


class _Parser:
    def __init__(self, form: Any, exclude: Iterable[str]) -> None:
        self.form = _Form(form)
        self.exclude = frozenset(exclude)
        # Every item shown has at least one input: the counts a form claims are bounded
        # by its size, so a forged `__len__` cannot make parsing run away.
        self.budget = 2 * sum(len(v) for v in self.form.data.values()) + 100

    def value(self, shape: _Shape, f: _F) -> Any:
        kind = shape.kind
        if kind == "scalar":
            return self.scalar(shape, f)
        if kind == "object":
            return self.object(shape, f)
        if kind == "map":
            return self.map(shape, f)
        if kind == "array":
            return self.array(shape, f)
        if kind == "union":
            return self.union(shape, f)
        return self.json(f)

    def _empty(self, shape: _Shape, f: _F) -> Any:
        if f.item:
            return None if shape.nullable else ""
        return "" if f.required else MISSING

    def scalar(self, shape: _Shape, f: _F) -> Any:
        if shape.const is not MISSING:
            return shape.const
        types = shape.types
        if types == {"boolean"} and not shape.nullable and shape.enum is None:
            shown = self.form.get(f"{f.name}.__bool__")
            if shown is None:
                return MISSING
            checked = self.form.get(f.name) is not None
            if not f.item and not f.required and shown != "1":
                default = f.default if f.default is not MISSING else False
                if checked == default:
                    return MISSING
            return checked
        text = self.form.get(f.name)
        if text is None:
            return MISSING
        if shape.enum is not None or types == {"boolean"}:
            if text == "":
                return self._empty(shape, f)
            choices = list(shape.enum) if shape.enum is not None else [True, False]
            return next((c for c in choices if _option_value(c) == text), text)
        numbers = bool(types & {"integer", "number"})
        mixed = "string" in types and numbers
        if mixed or (types == {"string"} and shape.nullable):
            text, marked = _unquote_text(text, numbers)
            if marked:
                return text
        if text == "":
            return self._empty(shape, f)
        if numbers:
            number = _number(text, types)
            if number is not MISSING:
                return number
        if shape.fmt == "date" and _is_date(text):
            return dt.date.fromisoformat(text)  # written back as a YAML date, unquoted
        return text  # a string, or what validation will name as not a number

    def fields(self, shape: _Shape, name: str, *, root: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop, schema in shape.props.items():
            if root and prop in self.exclude:
                continue
            f = _F(_join(name, prop), required=prop in shape.required,
                   default=schema.get("default", MISSING), ctx=prop)
            value = self.value(shape.prop(prop), f)
            if value is not MISSING:
                out[prop] = value
        return out

    def object(self, shape: _Shape, f: _F) -> Any:
        if shape.nullable:
            if self.form.get(f"{f.name}.__present__") is None:
                return None if f.item else MISSING
            return self.fields(shape, f.name)
        out = self.fields(shape, f.name)
        if not out and not f.required and not f.item:
            return MISSING
        return out

    def map(self, shape: _Shape, f: _F) -> Any:
        if self.form.get(f"{f.name}.__map__") is None:
            return MISSING
        assert shape.item is not None
        out: dict[str, Any] = {}
        old_keys = self.form.getlist(f"{f.name}.__keys__")
        new_keys = self.form.getlist(f"{f.name}.__key__")
        for i, old in enumerate(old_keys):
            new = new_keys[i] if i < len(new_keys) else old
            if new == "" or new in out:
                new = old if old not in out else f"{old}-{i + 1}"
            child = _F(_join(f.name, old), required=True, ctx=f.ctx, item=True)
            if shape.item.kind == "object":
                value: Any = self.fields(shape.item, child.name)
            else:
                value = self.value(shape.item, child)
            out[new] = None if value is MISSING else value
        if not out and not f.required and not f.item:
            return MISSING
        return out

    def array(self, shape: _Shape, f: _F) -> Any:
        count = self.form.get(f"{f.name}.__len__")
        if count is None or not re.fullmatch(r"[0-9]{1,7}", count):
            return MISSING
        assert shape.item is not None
        n = min(int(count), max(self.budget, 0))
        self.budget -= n
        items = []
        for i in range(n):
            value = self.value(shape.item, _F(f"{f.name}[{i}]", required=True, ctx=f.ctx,
                                              item=True))
            items.append(None if value is MISSING else value)
        if not items and not f.required and not f.item:
            return MISSING
        return items

    def union(self, shape: _Shape, f: _F) -> Any:
        shown = self.form.get(f"{f.name}.__variant__")
        wanted = self.form.get(f"{f.name}.__kind__")
        key = shown or wanted
        variant = shape.variant(key) if key else None
        if variant is None:
            return None if f.item and shape.nullable else MISSING
        value: Any
        if variant.kind == "object":
            value = self.fields(variant, f.name)
        else:
            value = self.value(variant, replace(f, required=True, item=True))
            value = "" if value is MISSING else value
        if wanted and wanted != key and shape.variant(wanted) is not None:
            value = _convert(shape, value, wanted)
        return value

    def json(self, f: _F) -> Any:
        if self.form.get(f"{f.name}.__json__") is None:
            return MISSING
        text = self.form.get(f.name) or ""
        if text.strip() == "":
            return self._empty(_Shape("json", {}), f)
        try:
            return json.loads(text)
        except ValueError:
            return text
