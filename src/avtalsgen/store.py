"""Read and save a municipality's YAML files for an editor, without losing anything.

The editor (a web form) works on plain data; the files are written by people, with
comments, blank lines, quoting and folded paragraphs that must survive a save. So:

- files are parsed in ruamel.yaml's round-trip mode and `merge()` applies the
  editor's plain data to that tree, touching only what changed (comments follow
  the lines they stand next to when items are added or removed);
- ruamel reads YAML 1.2, avtalsgen (PyYAML) reads YAML 1.1: a plain scalar the two
  read differently (`yes`, `1:20`, `0o17`) keeps its text but `plain()` gives
  PyYAML's value, and new strings that PyYAML would not read as text are quoted;
- `save()` re-applies ruamel's output line by line onto the original text where
  ruamel would reformat (indentation, `---`, CRLF, a BOM), then checks that the
  text reads back (with PyYAML) as exactly the data, before anything is written;
- saves are atomic (`output.write_atomic`), refused when the file changed since it
  was loaded (optimistic locking on the sha256 of its bytes: the refused text is
  kept aside, never dropped), serialised by a lock (per repository, else per
  folder), and committed to git when the folder is in a repository;
- `history()`, `file_at()` and `folder_at()` read old versions back from git, with
  every revision resolved to a commit id before git sees it as an argument.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import difflib
import fcntl
import io
import math
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.mergevalue import merge_attrib
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    ScalarString,
)
from ruamel.yaml.tokens import CommentToken

from . import output
from .config import MAX_ALIAS_VALUES, MAX_CONFIG_BYTES, MAX_DEPTH, _forbidden_character
from .errors import AvtalsgenError, ConfigError, Problem

VERSION_NONE = ""  # the version of a file that does not exist
MAX_FILE_BYTES = MAX_CONFIG_BYTES
CONFLICTS = ".avtalsgen-conflicts"
LOCK = output.LOCK  # the lock file of a folder outside git (same name as an output folder's)
GIT_LOCK = "avtalsgen-store.lock"  # inside the repository's git directory
EMAIL_DOMAIN = "avtalsgen.invalid"
FALLBACK_NAME = "avtalsgen"  # committer when git has no identity configured
_STR = "tag:yaml.org,2002:str"


class StoreError(AvtalsgenError):
    """A file or a revision cannot be read or written as asked."""


class Conflict(AvtalsgenError):
    """The file changed since the editor loaded it: the save is refused and kept aside."""

    def __init__(self, path: Path, expected: str, current: str, kept: Path | None) -> None:
        self.path, self.expected, self.current, self.kept = path, expected, current, kept
        now = "deleted" if current == VERSION_NONE else f"now {current[:12]}"
        was = "did not exist" if expected == VERSION_NONE else f"was {expected[:12]}"
        where = f"; your version is kept in {kept}" if kept else ""
        super().__init__(f"{path}: changed by someone else since you opened it (it {was}, "
                         f"{now}){where}. Reload it and apply your change again.")

    def __reduce__(self) -> tuple[type[Conflict], tuple[Path, str, str, Path | None]]:
        # Rebuilt from its fields when it crosses from a worker process.
        return (Conflict, (self.path, self.expected, self.current, self.kept))


@dataclass
class Loaded:
    """A file as read for editing: its round-trip data, version and text."""

    path: Path
    data: Any  # ruamel CommentedMap/CommentedSeq (round-trip), or None for an empty file
    version: str  # sha256 hex of the file's bytes (VERSION_NONE if missing)
    text: str


@dataclass
class Commit:
    """One commit in a folder's history."""

    rev: str  # full hash
    short: str
    date: dt.datetime  # aware
    author: str
    message: str
    files: list[str] = field(default_factory=list)  # relative to the folder asked about


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
        column = indent + len(re.match(r"(-\s+)*", line[indent:]).group())
        if re.search(r":\s*[|>][-+0-9]*$", body):
            block_at = column
            continue
        if not body.endswith(":"):
            continue
        following = lines[i + 1]
        child = len(following) - len(following.lstrip(" "))
        rest = following[child:]
        if rest.startswith("- ") or rest == "-":
            dash = re.match(r"-\s*", rest).group()
            seqs[(child - column + len(dash), child - column)] += 1
        elif child > column:
            maps[child - column] += 1
    mapping = maps.most_common(1)[0][0] if maps else DEFAULT_STYLE[0]
    sequence, offset = seqs.most_common(1)[0][0] if seqs else (max(mapping, 4), 2)
    if offset < 0 or sequence < offset + 2:
        sequence, offset = DEFAULT_STYLE[1:]
    return (mapping, sequence, offset)


def dump(data: Any, *, like: str | None = None) -> str:
    """ruamel round-trip text of data. With like (the text data was read from): the text
    save() would write in its place, which keeps like's indentation, document marker and
    the written form of lines ruamel would reformat, and reads back as data."""
    if like is not None:
        return _render(data, like, Path("<text>"))
    return _dump(data, DEFAULT_STYLE)


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


# ---------------------------------------------------------------------------------------
# Comments: ruamel stores the comment lines that follow an item on that item (on the
# deepest last item when its value is a block collection). When items are added,
# removed or replaced these lines are moved so they stay where the user put them.

_BLOCK = (LiteralScalarString, FoldedScalarString)


def _flow(node: Any) -> bool:
    return bool(node.fa.flow_style())


def _own_keys(node: CommentedMap) -> list[Any]:
    return [k for k in node if k in node._ok] if hasattr(node, "_ok") else list(node)


def _slot(container: Any, key: Any) -> tuple[Any, Any, int]:
    """(container, key, index) of the comment token after the item container[key]."""
    value = container[key]
    if isinstance(value, CommentedMap) and not _flow(value) and _own_keys(value):
        return _slot(value, _own_keys(value)[-1])
    if isinstance(value, CommentedSeq) and not _flow(value) and len(value):
        return _slot(value, len(value) - 1)
    return container, key, (2 if isinstance(container, CommentedMap) else 0)


def _token(container: Any, key: Any, index: int) -> CommentToken | None:
    entry = container.ca.items.get(key)
    return entry[index] if entry and len(entry) > index else None


def _take_trailing(container: Any, key: Any) -> str:
    """Remove and return the full-line comments and blank lines after an item."""
    holder, hkey, index = _slot(container, key)
    token = _token(holder, hkey, index)
    if token is None or not isinstance(token, CommentToken):
        return ""
    value = token.value
    if isinstance(holder[hkey], _BLOCK):  # a block scalar ends its own line
        holder.ca.items[hkey][index] = None
        return _indented(token)
    head, _, trailing = value.partition("\n")
    token.value = head + "\n"  # in place: ruamel may share the token with a flow child
    return trailing


def _indented(token: CommentToken) -> str:
    """A token's text with its first line's indentation, which ruamel keeps apart."""
    value = token.value
    if value.startswith("\n"):
        return value
    try:
        column = token.column
    except AttributeError:
        column = 0
    return " " * (column or 0) + value


def _add_trailing(container: Any, key: Any, text: str) -> None:
    """Put comment lines after an item (after its deepest last item)."""
    if not text:
        return
    holder, hkey, index = _slot(container, key)
    token = _token(holder, hkey, index)
    if isinstance(holder[hkey], _BLOCK):
        text = _after_block(text, holder, hkey)
        if not text:
            return
    if isinstance(token, CommentToken):
        token.value = token.value + text
        return
    value = text if isinstance(holder[hkey], _BLOCK) else "\n" + text
    entry = holder.ca.items.setdefault(hkey, [None, None, None, None])
    while len(entry) <= index:
        entry.append(None)
    entry[index] = CommentToken(value, start_mark=CommentMark(0))


def _add_before(container: Any, key: Any, text: str) -> None:
    """Put comment lines before an item (used when the item before it was removed)."""
    if not text:
        return
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    before = entry[1] if isinstance(entry[1], list) else []
    before.append(CommentToken(text, start_mark=CommentMark(0)))
    entry[1] = before


def _eol(container: Any, key: Any) -> str:
    """The comment at the end of an item's line (for a scalar value)."""
    token = _token(container, key, 2 if isinstance(container, CommentedMap) else 0)
    if not isinstance(token, CommentToken) or isinstance(container[key], _BLOCK):
        return ""
    return token.value.partition("\n")[0]


def _after_block(text: str, container: Any, key: Any) -> str:
    """Comment lines safe to follow the block scalar container[key]: a comment indented
    deeper than the item would be read as the block's text, and so would blank lines
    after a |+ block."""
    lines = text.splitlines(True)
    if container[key].endswith("\n\n"):
        lines = [line for line in lines if line.strip()]
    try:  # the item's column as loaded; its text is indented deeper
        limit = container.lc.key(key)[1] if isinstance(container, CommentedMap) else \
            max(container.lc.item(key)[1] - 2, 0)
    except (KeyError, TypeError, AttributeError):
        limit = 0
    out = []
    for line in lines:
        bare = line.lstrip(" ")
        deep = len(line) - len(bare) > limit
        out.append(" " * limit + bare if bare.startswith("#") and deep else line)
    return "".join(out)


def _fix_block_change(container: Any, key: Any, old: Any, new: Any) -> None:
    """A block scalar consumes its line break, a flow one does not; and the lines after
    a block must not read as its text: adjust the comment token after the item."""
    index = 2 if isinstance(container, CommentedMap) else 0
    token = _token(container, key, index)
    was, now = isinstance(old, _BLOCK), isinstance(new, _BLOCK)
    if not isinstance(token, CommentToken) or not (was or now):
        return
    if now:
        _store(container, key, new)
        rest = _indented(token) if was else token.value.partition("\n")[2]
        rest = _after_block(rest, container, key)
        container.ca.items[key][index] = \
            CommentToken(rest, start_mark=CommentMark(0)) if rest else None
    else:
        container.ca.items[key][index] = CommentToken("\n" + _indented(token),
                                                      start_mark=CommentMark(0))


# ---------------------------------------------------------------------------------------
# merge: plain data into a ruamel tree


def merge(target: Any, new: Any) -> Any:
    """Update the ruamel structure target in place from plain data new, keeping comments,
    order, quoting and style of everything that did not change; keys missing from new are
    removed, keys new in it are added after the key they follow in new. Returns the
    (possibly new) root node."""
    return _Merger(target).node(target, new)


class _Merger:
    def __init__(self, root: Any) -> None:
        # Nodes reached twice (YAML aliases): changing one in place would change both.
        self.uses: Counter[int] = Counter()
        self._count(root, set())
        # Comment lines of a collection whose last item was removed: they go after the
        # collection's own item in its parent.
        self.orphans: list[str] = []

    def _count(self, node: Any, open_: set[int]) -> None:
        if isinstance(node, (CommentedMap, CommentedSeq)):
            self.uses[id(node)] += 1
            if self.uses[id(node)] > 1 or id(node) in open_:
                return
            open_.add(id(node))
            # Own values only: ruamel also keeps copies of what << merges in.
            children = [v for _, v in node.non_merged_items()] \
                if isinstance(node, CommentedMap) else node
            for child in children:
                self._count(child, open_)
            open_.discard(id(node))

    def node(self, old: Any, new: Any) -> Any:
        if isinstance(new, Mapping):
            if isinstance(old, CommentedMap):
                return self._map(self._private(old, new), new)
            return _fresh(new)
        if isinstance(new, (list, tuple)):
            if isinstance(old, CommentedSeq):
                return self._seq(self._private(old, new), new)
            return _fresh(new)
        return _scalar_node(old, new)

    def _private(self, old: Any, new: Any) -> Any:
        """old itself, or a copy of it when it is shared with another place and changes."""
        if self.uses[id(old)] <= 1 or _same(plain(old), _plain_new(new)):
            return old
        twin = copy.deepcopy(old)
        _drop_anchors(twin)
        return twin

    def _map(self, old: CommentedMap, new: Mapping[Any, Any]) -> CommentedMap:
        wanted = {_key(k): k for k in new}
        present = {_key(k): k for k in old}
        own = set(_own_keys(old))
        for pkey, key in present.items():
            if pkey not in wanted:
                if key not in own or _inherited(old, key, own=False) is not _FAIL:
                    raise StoreError(f"cannot remove the key {key!r}: it would come back "
                                     "from the mapping merged in with <<")
                self._remove(old, key)
        previous: Any = None
        for nkey, nvalue in new.items():
            key = present.get(_key(nkey))
            if key is None:
                key = _new_key(nkey)
                keys = _own_keys(old)
                position = keys.index(previous) + 1 if previous in keys else 0
                self._insert(old, position, key, _fresh(nvalue), previous)
            elif key not in own:  # inherited through <<: becomes own only if it differs
                inherited = _inherited(old, key)
                if _same(plain(inherited), _plain_new(nvalue)):
                    # ruamel keeps a copy, stale if the mapping merged in has changed
                    super(CommentedMap, old).__setitem__(key, inherited)
                    continue
                old[key] = _fresh(nvalue)
                key = None
            else:
                self._set(old, key, self._child(old, key, nvalue))
            if key is not None:
                previous = key
        return old

    def _seq(self, old: CommentedSeq, new: list[Any] | tuple[Any, ...]) -> CommentedSeq:
        before = [_fingerprint(plain(v)) for v in old]
        after = [_fingerprint(_plain_new(v)) for v in new]
        shift = 0
        opcodes = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in opcodes:
            if tag == "equal":
                continue
            paired = min(i2 - i1, j2 - j1)
            for k in range(paired):
                index = i1 + shift + k
                self._set(old, index, self._child(old, index, new[j1 + k]))
            for _ in range(i2 - i1 - paired):
                self._remove(old, i1 + shift + paired)
            for k in range(j2 - j1 - paired):
                index = i1 + shift + paired + k
                self._insert(old, index, None, _fresh(new[j1 + paired + k]),
                             index - 1 if index > 0 else None)
            shift += (j2 - j1) - (i2 - i1)
        return old

    def _child(self, container: Any, key: Any, new: Any) -> Any:
        old = container[key]
        if isinstance(new, (Mapping, list, tuple)) or not isinstance(new, str):
            return self.node(old, new)
        return _string_node(old, new, block_ok=not _eol(container, key))

    def _set(self, container: Any, key: Any, value: Any) -> None:
        old = container[key]
        if value is not old:
            self._replace(container, key, old, value)
        if self.orphans:
            _add_trailing(container, key, "".join(self.orphans))
            self.orphans.clear()

    def _replace(self, container: Any, key: Any, old: Any, value: Any) -> None:
        if isinstance(value, (CommentedMap, CommentedSeq)) or \
                isinstance(old, (CommentedMap, CommentedSeq)):
            # The comments after a collection live on its last item: carry them over.
            trailing = _take_trailing(container, key)
            _store(container, key, value)
            _add_trailing(container, key, trailing)
        else:
            _fix_block_change(container, key, old, value)
            _store(container, key, value)

    def _remove(self, container: Any, key: Any) -> None:
        entry = container.ca.items.get(key)
        before_it = entry[1] if entry and len(entry) > 1 and isinstance(entry[1], list) else []
        trailing = "".join(_indented(t) for t in before_it if isinstance(t, CommentToken)) + \
            _take_trailing(container, key)
        if isinstance(container, CommentedMap):
            keys = _own_keys(container)
            at = keys.index(key)
            container.ca.items.pop(key, None)
            del container[key]
            before = keys[at - 1] if at > 0 else None
            after = keys[at + 1] if at + 1 < len(keys) else None
        else:
            at = key
            del container[at]  # ruamel shifts the comments of the items after it
            before = at - 1 if at > 0 else None
            after = at if at < len(container) else None
        if before is not None:
            _add_trailing(container, before, trailing)
        elif after is not None:
            _add_before(container, after, trailing)
        else:
            container.fa.set_flow_style()  # an empty block collection is written {} or []
            if trailing:
                self.orphans.append(trailing)

    def _insert(self, container: Any, position: int, key: Any, value: Any,
                previous: Any) -> None:
        if isinstance(container, CommentedMap):
            container.insert(position, key, value)
            where = key
        else:
            container.insert(position, value)
            where = position
        if previous is not None:
            # Lines after the previous item stand before the item after it: keep them there.
            _add_trailing(container, where, _take_trailing(container, previous))


def _inherited(node: CommentedMap, key: Any, *, own: bool = True) -> Any:
    """The value a key gets through << now (the first mapping merged in that has it);
    without one: the node's own value (own=True) or _FAIL."""
    for source in getattr(node, merge_attrib, None) or []:
        if isinstance(source, CommentedMap) and key in source:
            return source[key] if key in source._ok else _inherited(source, key)
    return node[key] if own else _FAIL


def _store(container: Any, key: Any, value: Any) -> None:
    """Set an item as it is: ruamel's own __setitem__ would turn a plain str back into
    the old value's quoting class, and the style has been chosen by _string_node."""
    if isinstance(container, CommentedMap):
        super(CommentedMap, container).__setitem__(key, value)
        container._ok.add(key)
    else:
        list.__setitem__(container, key, value)


def _drop_anchors(node: Any) -> None:
    """A copy must not reuse the original's anchor names (aliases would point at it)."""
    stack, seen = [node], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (CommentedMap, CommentedSeq)):
            if item.anchor.value is not None:
                item.anchor.value = None
                item.anchor.always_dump = False
            stack.extend(item.values() if isinstance(item, CommentedMap) else item)


def _plain_new(value: Any) -> Any:
    """The editor's data compared as avtalsgen would read it (tuples as lists)."""
    if isinstance(value, (CommentedMap, CommentedSeq)):
        return plain(value)
    if isinstance(value, Mapping):
        return {_key(k): _plain_new(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_new(v) for v in value]
    return _scalar(value)


def _new_key(key: Any) -> Any:
    if isinstance(key, str):
        return key if isinstance(key, (ScalarString, _Plain11)) else str(key)
    if isinstance(key, (int, float, bool, dt.date)) or key is None:
        return _fresh(key)
    raise TypeError(f"a YAML key must be text or a number, not {type(key).__name__}")


def _fresh(value: Any) -> Any:
    """A ruamel node for plain data written for the first time."""
    if isinstance(value, (CommentedMap, CommentedSeq, ScalarString, _Plain11)):
        return value  # already ruamel's, with its own style
    if isinstance(value, Mapping):
        made = CommentedMap()
        for k, v in value.items():
            made[_new_key(k)] = _fresh(v)
        return made
    if isinstance(value, (list, tuple)):
        return CommentedSeq(_fresh(v) for v in value)
    if isinstance(value, str):
        return _string_node(None, value, block_ok=True)
    if value is None or isinstance(value, (bool, int, float, dt.date)):
        return _scalar(value)
    raise TypeError(f"cannot write a value of type {type(value).__name__} to YAML")


_NOT_IN_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _fits(node: ScalarString) -> bool:
    """ruamel writes node in its block style (| or >) and PyYAML reads the text back."""
    text = str(node)
    # Text starting with white space needs an indentation indicator (|2), which ruamel
    # gets wrong when the file is indented other than by 2.
    if _NOT_IN_BLOCK.search(text) or not text.strip() or text[:1] in " \t\n":
        return False
    # With a comment line and a key after it, as it may stand in a file (ruamel ends a
    # folded text with trailing spaces without a line break, for one).
    trial = CommentedMap([("k", node), ("z", 1)])
    trial.ca.items["k"] = [None, None, CommentToken("# c\n", start_mark=CommentMark(0)), None]
    written = _dump(trial, DEFAULT_STYLE)
    try:
        return written.startswith(f"k: {node.style}") and \
            _pyyaml_load(written) == {"k": text, "z": 1}
    except yaml.YAMLError:
        return False


def _string_node(old: Any, new: str, *, block_ok: bool) -> Any:
    """A changed string, in the style of the value it replaces where the text allows."""
    if old is not None and _same(_scalar(old), new):
        return old
    if isinstance(old, FoldedScalarString):
        made = FoldedScalarString(new)
        made.fold_pos = _refold(old, new)
        if getattr(old, "comment", None) is not None:
            made.comment = old.comment
        if _fits(made):
            return made
    if isinstance(old, LiteralScalarString):
        made = LiteralScalarString(new)
        if getattr(old, "comment", None) is not None:
            made.comment = old.comment
        if _fits(made):
            return made
    if "\n" in new.rstrip("\n") and block_ok and _fits(LiteralScalarString(new)):
        return LiteralScalarString(new)  # several lines: readable as a | block
    if isinstance(old, _BLOCK):
        return DoubleQuotedScalarString(new)  # escapes what a block cannot hold
    if isinstance(old, ScalarString):
        return type(old)(new)  # quoted stays quoted the same way
    return str(new)


def _refold(old: FoldedScalarString, new: str) -> list[int]:
    """Fold points for changed text in a folded (>) scalar: the old lines where the text
    is unchanged, the changed part wrapped at the width the old lines had."""
    folds = sorted(getattr(old, "fold_pos", None) or [])
    if not folds:
        return []
    text = str(old)
    starts = [0, *[f + 1 for f in folds]]
    ends = [*folds, len(text)]
    lines = [text[a:b] for a, b in zip(starts, ends, strict=True)]
    # Lines may grow a little before they are refolded (a word changed in a line).
    width = max(72, *(len(line) for line in lines))
    result: list[int] = []
    pos, first = 0, 0
    while first < len(lines) - 1 and new.startswith(lines[first] + " ", pos):
        pos += len(lines[first])
        result.append(pos)
        pos += 1
        first += 1
    end, last, tail = len(new), len(lines) - 1, []
    while last >= first:
        line = lines[last]
        space = end - len(line) - 1
        if space < max(pos - 1, 1) or new[space] != " " or not new.endswith(line, 0, end):
            break
        tail.append(space)
        end = space
        last -= 1
    result += [pos + f for f in _wrap(new[pos:end], width)]
    return sorted(set(result + tail))


def _wrap(text: str, width: int) -> list[int]:
    """Greedy fold points (single spaces between words) keeping lines within width."""
    folds: list[int] = []
    start, last = 0, -1
    for i, ch in enumerate(text):
        if ch == "\n":
            start, last = i + 1, -1
            continue
        if ch != " " or i == 0 or i + 1 >= len(text) or text[i - 1] in " \n" or \
                text[i + 1] in " \n":
            continue
        if i - start > width and last >= start:
            folds.append(last)
            start = last + 1
        last = i
    if len(text) - start > width and last >= start:
        folds.append(last)
    return folds


def _scalar_node(old: Any, new: Any) -> Any:
    if isinstance(new, str):
        return _string_node(old, new, block_ok=True)
    if old is not None and not isinstance(old, (CommentedMap, CommentedSeq)) and \
            _same(_scalar(old), _scalar(new)):
        return old  # keeps its written form (0x1F, 1.50, ~, yes)
    return _fresh(new)


# ---------------------------------------------------------------------------------------
# reading


def version_of(path: Path) -> str:
    """sha256 hex of the file's bytes; VERSION_NONE if it does not exist."""
    data = _read_bytes(Path(path))
    return VERSION_NONE if data is None else output.sha256(data)


def _read_bytes(path: Path, shown: Path | None = None) -> bytes | None:
    """The bytes of a regular file (None if missing), refusing pipes and huge files."""
    shown = shown or path
    try:
        # O_NONBLOCK: opening a FIFO must not hang; fstat then tells what it is.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError([Problem(shown, None, "", f"cannot read file: {e.strerror}")]) \
            from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError([Problem(shown, None, "", "not a regular file (a folder, a "
                                       "pipe or a device); a config must be a file")])
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigError([Problem(shown, None, "", f"file is larger than "
                                       f"{MAX_FILE_BYTES // 1_000_000} MB")])
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_BYTES:  # grew while we read it
                raise ConfigError([Problem(shown, None, "", f"file is larger than "
                                           f"{MAX_FILE_BYTES // 1_000_000} MB")])
        return b"".join(chunks)
    except OSError as e:
        raise ConfigError([Problem(shown, None, "", f"cannot read file: {e.strerror}")]) \
            from None
    finally:
        os.close(fd)


def _decode(data: bytes, shown: Path) -> str:
    zeros = max(data[0::2].count(0), data[1::2].count(0))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or zeros * 4 > len(data):
        raise ConfigError([Problem(shown, None, "", "the file is UTF-16 text (every other "
                                   "byte is zero); save it as UTF-8")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError([Problem(shown, None, "", f"not UTF-8 text ({e.reason})")]) from None
    text = text.removeprefix("\ufeff")
    bad = _forbidden_character(text, shown)
    if bad:
        raise ConfigError([bad])
    return text


def _load(text: str, shown: Path) -> Any:
    """Parse text in round-trip mode; ConfigError (with the line) when it is not YAML."""
    try:
        data = _parse(text)
        plain(data)  # refuses self-containing aliases, alias bombs and deep nesting
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(x) for x in (getattr(e, "context", None),
                                          getattr(e, "problem", None)) if x) or str(e)
        raise ConfigError([Problem(shown, line, "", f"YAML syntax error: {what}")]) from None
    except _Unreadable as e:
        raise ConfigError([Problem(shown, None, "", str(e))]) from None
    except RecursionError:
        raise ConfigError([Problem(shown, None, "", f"nested too deeply (more than "
                                   f"{MAX_DEPTH} levels)")]) from None
    except (ValueError, TypeError, OverflowError) as e:
        raise ConfigError([Problem(shown, None, "", f"invalid value: {e}")]) from None
    return data


def read(path: Path) -> Loaded:
    """Load a YAML file for editing; a missing file loads as empty with VERSION_NONE."""
    path = Path(path)
    data = _read_bytes(path)
    if data is None:
        return Loaded(path, None, VERSION_NONE, "")
    text = _decode(data, path)
    return Loaded(path, _load(text, path), output.sha256(data), text)


# ---------------------------------------------------------------------------------------
# writing: render, check, lock, write, commit


def _patch(original: str, base: str, new: str) -> str | None:
    """Apply the change base -> new to original, where base is ruamel's rewrite of
    original: lines ruamel reformats but the edit does not touch stay as written."""
    o, b, n = original.splitlines(True), base.splitlines(True), new.splitlines(True)
    if len(o) > 50_000:
        return None
    where: dict[int, int] = {}
    for block in difflib.SequenceMatcher(None, b, o, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            where[block.a + k] = block.b + k
    out: list[str] = []
    done = 0  # lines of original copied so far
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, b, n,
                                                       autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:  # insertion: before the line i1 stands for, or after i1 - 1's
            if i1 in where:
                at = where[i1]
            elif i1 - 1 in where:
                at = where[i1 - 1] + 1
            elif not b:
                at = len(o)
            else:
                return None
            stop = at
        else:
            if any(i not in where for i in range(i1, i2)) or \
                    where[i2 - 1] - where[i1] != i2 - 1 - i1:
                return None
            at, stop = where[i1], where[i2 - 1] + 1
        if at < done:
            return None
        out += o[done:at] + n[j1:j2]
        done = stop
    out += o[done:]
    return "".join(out)


def _pyyaml_load(text: str) -> Any:
    """PyYAML's reading of text, checked by both of its parsers: avtalsgen uses the Python
    one, and libyaml (stricter about tabs, say) keeps the files portable."""
    loaded = yaml.load(text, Loader=yaml.SafeLoader)
    if hasattr(yaml, "CSafeLoader"):
        fast = yaml.load(text, Loader=yaml.CSafeLoader)
        if not _same(fast, loaded):
            raise yaml.YAMLError("libyaml reads this text differently")
    return loaded


def _reads_as(text: str, data: Any) -> bool:
    """True when avtalsgen (PyYAML) reads text as exactly data."""
    if _forbidden_character(text, Path("-")) is not None:
        return False
    try:
        loaded = _pyyaml_load(text)
    except yaml.YAMLError:
        return False
    want = plain(data)
    if want is None:
        return loaded is None
    return _same(_keys_as_text(loaded), want)


def _keys_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {(str(k) if isinstance(k, (str, int)) else k): _keys_as_text(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_keys_as_text(v) for v in value]
    return value


def _render(data: Any, current: str | None, path: Path) -> str:
    """The text to write for data, as close to the current text as the change allows."""
    if current is None or not current.strip():
        candidates = [_dump(data, DEFAULT_STYLE)]
    else:
        original = current.replace("\r\n", "\n")
        style = _guess_style(original)
        new = _dump(data, style)
        candidates = [new]
        try:
            base = _dump(_parse(original), style)
        except Exception:  # the file on disk is not YAML: nothing to keep from it
            base = original
        if base != original:
            patched = _patch(original, base, new)
            if patched is not None:
                candidates.insert(0, patched)
    for text in candidates:
        if _reads_as(text, data):
            return text
    raise StoreError(f"{path}: the data cannot be written as YAML that reads back the "
                     "same; nothing was saved")


def _encode(text: str, like: bytes | None) -> bytes:
    """UTF-8, with the line endings and byte order mark of the file it replaces."""
    if like is not None and b"\r\n" in like and b"\n" not in like.replace(b"\r\n", b""):
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if like is not None and like.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    return data


@contextlib.contextmanager
def _locked(lockfile: Path) -> Iterator[None]:
    # flock is per open file, so it also serialises threads of one process.
    lockfile.parent.mkdir(parents=True, exist_ok=True)
    with open(lockfile, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def save(path: Path, data: Any, expected: str, *, author: str, message: str) -> str:
    """Write data to path if the file is still at version expected (VERSION_NONE for a
    new file), atomically, and commit it when the folder is in a git repository.
    Returns the new version; raises Conflict (with the text kept aside) otherwise.
    data may be ruamel data from read() or plain data (merged into the current file)."""
    path = Path(path)
    if path.is_symlink():
        raise StoreError(f"{path}: is a symbolic link; edit the file it points to")
    folder = path.parent
    repo = _repo(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lockfile = repo[1] / GIT_LOCK if repo else folder / LOCK
    with _locked(lockfile):
        raw = _read_bytes(path)
        current = VERSION_NONE if raw is None else output.sha256(raw)
        if current != expected:
            kept = None
            with contextlib.suppress(OSError):  # a full disk must not hide the conflict
                kept = keep_conflict(path, _dump(_tree(data, None, path), DEFAULT_STYLE),
                                     author)
            raise Conflict(path, expected, current, kept)
        current_text = None
        with contextlib.suppress(ConfigError):  # a broken file is simply replaced
            current_text = None if raw is None else _decode(raw, path)
        tree = _tree(data, current_text, path)
        new = _encode(_render(tree, current_text, path), raw)
        if new == raw:
            return current  # nothing changed: nothing to write or commit
        output.write_atomic(path, new)
        if repo:
            _commit(repo[0], path, author, message)
        return output.sha256(new)


def _tree(data: Any, current_text: str | None, path: Path) -> Any:
    """data as a ruamel tree: plain data is merged into the current file's tree."""
    if isinstance(data, (CommentedMap, CommentedSeq)) or data is None:
        return data
    base = None
    with contextlib.suppress(ConfigError):
        base = _load(current_text, path) if current_text else None
    return merge(base, data)


def update(path: Path, change: Callable[[Any], Any], expected: str, *, author: str,
           message: str) -> str:
    """read -> change(data) (mutates it, or returns a new root: ruamel or plain data,
    merged so comments stay) -> save."""
    loaded = read(path)
    result = change(loaded.data)
    data = loaded.data
    if result is not None and result is not loaded.data:
        data = result if isinstance(result, (CommentedMap, CommentedSeq)) else \
            merge(loaded.data, result)
    return save(path, data, expected, author=author, message=message)


def _slug(text: str, limit: int = 40) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:limit].strip("-")


def keep_conflict(path: Path, text: str, author: str) -> Path:
    """Store a refused save as <folder>/.avtalsgen-conflicts/<stem>-<UTC time>-<author>.yaml
    (never overwriting another), atomically; returns its path."""
    path = Path(path)
    folder = path.parent / CONFLICTS
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():  # kept copies are not part of the municipality's history
        output.write_atomic(ignore, b"*\n")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    stem = f"{path.stem}-{stamp}-{_slug(author) or 'unknown'}"
    kept = folder / f"{stem}.yaml"
    number = 1
    while kept.exists():
        number += 1
        kept = folder / f"{stem}-{number}.yaml"
    output.write_atomic(kept, text.encode("utf-8"))
    return kept


# ---------------------------------------------------------------------------------------
# git

# Set by a surrounding git command (a hook, say); they would point git elsewhere.
_GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX",
                      "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE",
                      "GIT_ALTERNATE_OBJECT_DIRECTORIES")


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None,
         stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARS}
    environment.update(env or {})
    environment["GIT_TERMINAL_PROMPT"] = "0"
    try:
        result = subprocess.run(["git", "--literal-pathspecs", "-c", "core.quotepath=false",
                                 *args], cwd=cwd, input=stdin, capture_output=True,
                                env=environment, check=False, timeout=120)
    except FileNotFoundError:
        raise StoreError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise StoreError(f"git {args[0]} did not finish in 120 s") from None
    if check and result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()
        raise StoreError(f"git {args[0]} failed: {detail}")
    return result


def _repo(folder: Path) -> tuple[Path, Path] | None:
    """(work tree, git directory) of the repository holding folder, or None."""
    probe = Path(folder).absolute()
    while not probe.is_dir():
        if probe.parent == probe:
            return None
        probe = probe.parent
    try:
        found = _git(probe, "rev-parse", "--show-toplevel", "--git-common-dir", check=False)
    except StoreError:
        return None
    lines = found.stdout.decode("utf-8", "surrogateescape").splitlines()
    if found.returncode != 0 or len(lines) != 2:
        return None
    return Path(lines[0]), (probe / lines[1]).resolve()


def git_root(folder: Path) -> Path | None:
    """The top of the git work tree holding folder (which need not exist yet), or None."""
    repo = _repo(folder)
    return repo[0] if repo else None


def _relative(root: Path, path: Path) -> str | None:
    """path relative to the work tree, POSIX style ("" for the top), or None if outside."""
    real = Path(os.path.realpath(path))
    try:
        rel = real.relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return None
    return "" if rel == "." else rel


def _ident(author: str) -> str:
    name = re.sub(r"[<>\x00-\x1f]", "", author).strip() or FALLBACK_NAME
    return f"{name} <{_slug(author) or FALLBACK_NAME}@{EMAIL_DOMAIN}>"


def _commit(root: Path, path: Path, author: str, message: str) -> None:
    rel = _relative(root, path)
    if rel:  # else a symlinked folder pointing out of the repository
        _commit_paths(root, [rel], author, message, f"{path} was saved but")


def _commit_paths(root: Path, rels: list[str], author: str, message: str,
                  failed: str) -> bool:
    """git add + commit exactly these paths (not what else the user staged); False when
    there was nothing to commit or the paths are ignored by git."""
    added = _retry(lambda: _git(root, "add", "--", *rels, check=False))
    if added.returncode != 0:
        if b"ignored" in added.stderr:
            return False  # the user keeps this out of git
        raise StoreError(f"{failed} git add failed: "
                         f"{added.stderr.decode('utf-8', 'replace').strip()}")
    # Control characters would garble `git log` (history() splits on two of them).
    message = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", message).strip() or \
        f"Update {', '.join(rels)}"
    args = ("commit", "--only", "--quiet", "--cleanup=whitespace", f"--author={_ident(author)}",
            "-m", message, "--", *rels)
    done = _retry(lambda: _git(root, *args, check=False))
    if done.returncode != 0 and re.search(rb"tell me who you are|auto-detect|empty ident",
                                          done.stderr):
        # No identity configured (a server): the committer is avtalsgen itself.
        env = {"GIT_COMMITTER_NAME": FALLBACK_NAME,
               "GIT_COMMITTER_EMAIL": f"{FALLBACK_NAME}@{EMAIL_DOMAIN}"}
        done = _retry(lambda: _git(root, *args, env=env, check=False))
    if done.returncode == 0:
        return True
    if re.search(rb"nothing to commit|no changes added", done.stdout + done.stderr):
        return False
    raise StoreError(f"{failed} git commit failed: "
                     f"{done.stderr.decode('utf-8', 'replace').strip()}")


def commit(folder: Path, paths: list[Path], *, author: str, message: str) -> str | None:
    """Commit files or folders as they are on disk (a municipality just created, say),
    under the same lock as save(). Returns the new commit id, or None outside git or
    when there was nothing to commit."""
    repo = _repo(Path(folder))
    if repo is None:
        return None
    root = repo[0]
    rels = []
    for path in paths:
        rel = _relative(root, Path(path))
        if rel is None:
            raise StoreError(f"{path} is not inside the git repository {root}")
        rels.append(rel or ".")
    with _locked(repo[1] / GIT_LOCK):
        if not _commit_paths(root, rels, author, message, "git:"):
            return None
        return _git(root, "rev-parse", "HEAD").stdout.decode().strip()


def _retry(run: Callable[[], subprocess.CompletedProcess[bytes]]
           ) -> subprocess.CompletedProcess[bytes]:
    """Run a git command again while another git process holds the index."""
    for _ in range(50):
        result = run()
        if result.returncode == 0 or b"index.lock" not in result.stderr:
            return result
        time.sleep(0.1)
    return result


def _check_rev(rev: str) -> None:
    # Refused before git sees it: a revision must never be read as an option.
    if not isinstance(rev, str) or not rev or rev.startswith("-") or \
            any(c.isspace() or ord(c) < 32 or c == "\x7f" for c in rev):
        raise StoreError(f"{rev!r} is not a git revision (a commit, a tag or a branch)")


def _resolve(root: Path, rev: str) -> str:
    """The full commit id rev names (rev already checked by _check_rev)."""
    found = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options",
                 f"{rev}^{{commit}}", check=False)
    commit = found.stdout.decode().strip()
    if found.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        raise StoreError(f"no revision {rev!r} in the git repository {root}")
    return commit


def _require_repo(where: Path) -> Path:
    root = git_root(where)
    if root is None:
        raise StoreError(f"{where} is not in a git repository")
    return root


def history(folder: Path, limit: int = 50) -> list[Commit]:
    """The commits touching folder, newest first; [] outside git or before a commit."""
    folder = Path(folder)
    root = git_root(folder)
    if root is None or limit <= 0:
        return []
    rel = _relative(root, folder)
    if rel is None:
        return []
    spec = [rel] if rel else []
    found = _git(root, "log", f"--max-count={int(limit)}", "-z", "--name-only",
                 "--format=%x1e%H%x1f%h%x1f%aI%x1f%an%x1f%B%x1f", "--", *spec, check=False)
    if found.returncode != 0:
        return []  # e.g. a repository without commits
    commits = []
    for record in found.stdout.decode("utf-8", "replace").split("\x1e")[1:]:
        rev, short, date, name, body, names = record.split("\x1f", 5)
        prefix = f"{rel}/" if rel else ""
        files = [n.removeprefix(prefix) for n in names.strip("\n\x00").split("\x00")
                 if n.strip("\n") and n.startswith(prefix)]
        commits.append(Commit(rev, short, dt.datetime.fromisoformat(date), name,
                              body.strip(), [f.strip("\n") for f in files]))
    return commits


def _entries(root: Path, commit: str, rel: str) -> list[tuple[str, str, str]]:
    """(mode, blob id, path) of the files at rel in commit."""
    listed = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--",
                  *([rel] if rel else [])).stdout.decode("utf-8", "surrogateescape")
    entries = []
    for line in filter(None, listed.split("\x00")):
        info, _, name = line.partition("\t")
        mode, kind, oid = info.split()
        if kind == "blob" and mode in ("100644", "100755"):  # no symlinks, no submodules
            entries.append((mode, oid, name))
    return entries


def _blobs(root: Path, oids: list[str]) -> dict[str, bytes]:
    stream = _git(root, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in oids).encode()
                  ).stdout
    blobs, at = {}, 0
    for oid in oids:
        end = stream.index(b"\n", at)
        size = int(stream[at:end].split()[2])
        blobs[oid] = stream[end + 1:end + 1 + size]
        at = end + 1 + size + 1
    return blobs


def file_at(path: Path, rev: str) -> bytes | None:
    """The file's bytes at revision rev, or None if it did not exist there."""
    _check_rev(rev)
    path = Path(path)
    root = _require_repo(path.parent)
    commit = _resolve(root, rev)
    rel = _relative(root, path)
    if not rel:
        raise StoreError(f"{path} is not inside the git repository {root}")
    entries = [e for e in _entries(root, commit, rel) if e[2] == rel]
    if not entries:
        return None
    return _blobs(root, [entries[0][1]])[entries[0][1]]


def folder_at(folder: Path, rev: str, into: Path) -> Path:
    """Export folder as it was at revision rev into the new folder into/<folder name>."""
    _check_rev(rev)
    folder = Path(folder)
    root = _require_repo(folder)
    commit = _resolve(root, rev)
    rel = _relative(root, folder)
    if rel is None:
        raise StoreError(f"{folder} is not inside the git repository {root}")
    entries = _entries(root, commit, rel)
    if not entries:
        raise StoreError(f"{folder} did not exist at revision {rev}")
    target = Path(into) / (Path(os.path.realpath(folder)).name)
    if target.exists():
        raise StoreError(f"{target} exists already; choose another folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        blobs = _blobs(root, sorted({oid for _, oid, _ in entries}))
        prefix = f"{rel}/" if rel else ""
        for mode, oid, name in entries:
            parts = Path(name.removeprefix(prefix)).parts
            if not parts or any(p in ("", ".", "..") for p in parts) or name.startswith("/"):
                continue  # git never stores these; never write outside the export
            out = work.joinpath(*parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(blobs[oid])
            out.chmod(0o755 if mode == "100755" else 0o644)
        work.chmod(0o755)
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target
