"""merge(): plain data into a ruamel tree, keeping comments, order, quoting and style."""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.mergevalue import merge_attrib
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.tokens import CommentToken

from .comments import (
    _BLOCK,
    _add_before,
    _add_trailing,
    _after_block,
    _eol,
    _indented,
    _own_keys,
    _take_trailing,
    _token,
)
from .errors import StoreError
from .strings import _string_node
from .yamlfile import _FAIL, _fingerprint, _key, _Plain11, _same, _scalar, plain


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


def _scalar_node(old: Any, new: Any) -> Any:
    if isinstance(new, str):
        return _string_node(old, new, block_ok=True)
    if old is not None and not isinstance(old, (CommentedMap, CommentedSeq)) and \
            _same(_scalar(old), _scalar(new)):
        return old  # keeps its written form (0x1F, 1.50, ~, yes)
    return _fresh(new)


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
