"""Round-trip YAML (ruamel) as avtalsgen reads it (PyYAML, YAML 1.1).

A plain scalar the two read differently (`yes`, `1:20`, `0o17`) keeps its text but
`plain()` gives PyYAML's value, and new strings PyYAML would not read as text are
quoted. Also the strict comparison (`_same`) the store checks every save with.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt

from ..config import MAX_ALIAS_VALUES, MAX_DEPTH

_STR = "tag:yaml.org,2002:str"


# ---------------------------------------------------------------------------------------
# YAML 1.1 (PyYAML, what avtalsgen reads) versus YAML 1.2 (ruamel)

_PY_RESOLVER = yaml.resolver.Resolver()
_RUAMEL_RESOLVER = VersionedResolver()
_FAIL = object()


def _pyyaml_value(tag: str, text: str) -> Any:
    """What PyYAML makes of a scalar with this tag, or _FAIL."""
    if tag == _STR:
        return text
    constructor = yaml.constructor.SafeConstructor.yaml_constructors.get(tag)
    if constructor is None:
        return _FAIL
    try:
        return constructor(yaml.constructor.SafeConstructor(), yaml.ScalarNode(tag, text))
    except Exception:  # e.g. an impossible date; avtalsgen's loader reports those itself
        return _FAIL


def _pyyaml_tag(text: str) -> str:
    return _PY_RESOLVER.resolve(yaml.ScalarNode, text, (True, False))


class _Plain11(str):
    """A plain scalar that YAML 1.2 and 1.1 read differently (`yes`, `1:20`, `0o17`):
    its text is kept for writing, `value` is what avtalsgen (PyYAML) reads."""

    __slots__ = ("value",)
    value: Any

    def __new__(cls, text: str, value: Any) -> _Plain11:
        made = super().__new__(cls, text)
        made.value = value
        return made

    def __deepcopy__(self, memo: Any) -> _Plain11:
        return _Plain11(str(self), self.value)


class _Constructor(RoundTripConstructor):
    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # ruamel quietly makes None of an alias inside its own anchor; avtalsgen refuses it.
        if node in self.recursive_objects and node not in self.constructed_objects:
            raise ConstructorError(None, None, "an alias contains itself", node.start_mark)
        return super().construct_object(node, deep)

    def construct_non_recursive_object(self, node: Any, tag: Any = None) -> Any:
        data = super().construct_non_recursive_object(node, tag)
        # Only plain, untagged, unanchored scalars are resolved by their text.
        if (isinstance(node, ScalarNode) and node.style is None and not node.anchor
                and getattr(node.tag, "handle", None) is None and isinstance(node.value, str)):
            value = _pyyaml_value(_pyyaml_tag(node.value), node.value)
            if value is not _FAIL and not _same(value, _scalar(data)):
                return _Plain11(node.value, value)
        return data


def _represent_str(self: RoundTripRepresenter, data: str) -> Any:
    style = None
    if any(c in data for c in "\x85\u2028\u2029"):
        style = '"'  # PyYAML reads these as line breaks unless escaped
    elif _pyyaml_tag(data) != _STR:
        style = "'"  # e.g. "yes", "1:20": text for ruamel, not for PyYAML
    return self.represent_scalar(_STR, data, style=style)


def _represent_plain11(self: RoundTripRepresenter, data: _Plain11) -> Any:
    # Written back as it was: plain, with the tag ruamel gives it so it stays unquoted.
    text = str(data)
    return self.represent_scalar(_RUAMEL_RESOLVER.resolve(ScalarNode, text, (True, False)), text)


class _Representer(RoundTripRepresenter):
    pass


_Representer.add_representer(str, _represent_str)
_Representer.add_representer(_Plain11, _represent_plain11)

_Style = tuple[int, int, int]  # ruamel's indent(mapping, sequence, offset)
DEFAULT_STYLE: _Style = (2, 4, 2)  # the project's files: "key:\n  - item"


def _yaml(style: _Style = DEFAULT_STYLE) -> YAML:
    # A new instance per call: ruamel's YAML objects keep state and are not thread safe.
    y = YAML(typ="rt")
    y.Constructor = _Constructor
    y.Representer = _Representer
    y.preserve_quotes = True
    y.width = 4096  # never refold long lines; folded scalars keep their own fold points
    y.allow_unicode = True
    y.indent(mapping=style[0], sequence=style[1], offset=style[2])
    return y


def _parse(text: str) -> Any:
    return _yaml().load(text)


def _guess_style(text: str) -> _Style:
    """The indentation a file uses, so that a rewrite keeps it."""
    maps: Counter[int] = Counter()
    seqs: Counter[tuple[int, int]] = Counter()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    block_at: int | None = None  # inside a block scalar opened at this indentation
    for i, line in enumerate(lines[:-1]):
        indent = len(line) - len(line.lstrip(" "))
        if block_at is not None:
            if indent > block_at:
                continue
            block_at = None
        body = re.sub(r"\s+#.*$", "", line)
        dashes = re.match(r"(-\s+)*", line[indent:])  # always matches, maybe empty
        column = indent + (dashes.end() if dashes else 0)
        if re.search(r":\s*[|>][-+0-9]*$", body):
            block_at = column
            continue
        if not body.endswith(":"):
            continue
        following = lines[i + 1]
        child = len(following) - len(following.lstrip(" "))
        rest = following[child:]
        if rest.startswith("- ") or rest == "-":
            dash = re.match(r"-\s*", rest)  # rest starts with "-"
            width = dash.end() if dash else 1
            seqs[(child - column + width, child - column)] += 1
        elif child > column:
            maps[child - column] += 1
    mapping = maps.most_common(1)[0][0] if maps else DEFAULT_STYLE[0]
    sequence, offset = seqs.most_common(1)[0][0] if seqs else (max(mapping, 4), 2)
    if offset < 0 or sequence < offset + 2:
        sequence, offset = DEFAULT_STYLE[1:]
    return (mapping, sequence, offset)


def _dump(data: Any, style: _Style) -> str:
    if data is None:
        return ""
    stream = io.StringIO()
    _yaml(style).dump(data, stream)
    return stream.getvalue()


# ---------------------------------------------------------------------------------------
# ruamel data -> plain data, and strict comparison


def _scalar(value: Any) -> Any:
    """A ruamel scalar as the plain value avtalsgen reads."""
    if value is None or type(value) in (str, bool, int, float, dt.date):
        return value
    if isinstance(value, _Plain11):
        return value.value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (ScalarBoolean, bool)):
        return bool(value)
    if isinstance(value, (ScalarInt, int)):
        return int(value)
    if isinstance(value, (ScalarFloat, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, value.hour, value.minute,
                           value.second, value.microsecond, value.tzinfo)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, TaggedScalar):
        tag = str(value.tag) if value.tag is not None else _STR
        made = _pyyaml_value(tag, str(value.value))
        return str(value.value) if made is _FAIL else made
    return value


def _key(key: Any) -> Any:
    # As avtalsgen's loader does: text and integer keys become text.
    value = _scalar(key)
    return str(value) if isinstance(value, (str, int)) else value


class _Unreadable(ValueError):
    pass


def plain(data: Any) -> Any:
    """ruamel data as plain dict/list/str/int/float/bool/None/date, as avtalsgen reads it."""
    return _Plainer().value(data, 0)


class _Plainer:
    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.visits = 0
        self.open: set[int] = set()

    def value(self, data: Any, depth: int) -> Any:
        if not isinstance(data, (Mapping, list, tuple)) or isinstance(data, (str, TaggedScalar)):
            return _scalar(data)
        if depth > MAX_DEPTH:
            raise _Unreadable(f"nested too deeply (more than {MAX_DEPTH} levels)")
        if id(data) in self.open:
            raise _Unreadable("an alias contains itself")
        self.visits += 1
        self.seen.add(id(data))
        if self.visits - len(self.seen) > MAX_ALIAS_VALUES:
            raise _Unreadable(f"aliases expand to more than {MAX_ALIAS_VALUES} values")
        self.open.add(id(data))
        try:
            if isinstance(data, Mapping):
                return {_key(k): self.value(v, depth + 1) for k, v in data.items()}
            return [self.value(v, depth + 1) for v in data]
        finally:
            self.open.discard(id(data))


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same kind: 1, 1.0 and True differ, and so do a date and a datetime."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(k in b and _same(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if _kind(a) != _kind(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _kind(value: Any) -> str:
    for kind in (bool, int, float, str, dt.datetime, dt.date, Mapping, list, tuple):
        if isinstance(value, kind):
            return "list" if kind is tuple else kind.__name__
    return type(value).__name__


def _fingerprint(value: Any) -> Any:
    """A hashable, kind-aware stand-in for plain data (to line up list items)."""
    if isinstance(value, Mapping):
        return ("map", tuple(sorted(((repr(k), _fingerprint(v)) for k, v in value.items()),
                                    key=lambda kv: kv[0])))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_fingerprint(v) for v in value))
    return (_kind(value), repr(value))


def _pyyaml_load(text: str) -> Any:
    """PyYAML's reading of text, checked by both of its parsers: avtalsgen uses the Python
    one, and libyaml (stricter about tabs, say) keeps the files portable."""
    loaded = yaml.load(text, Loader=yaml.SafeLoader)
    if hasattr(yaml, "CSafeLoader"):
        fast = yaml.load(text, Loader=yaml.CSafeLoader)
        if not _same(fast, loaded):
            raise yaml.YAMLError("libyaml reads this text differently")
    return loaded
