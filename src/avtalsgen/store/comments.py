"""Comment lines that stay where the user put them when items are added, removed or
replaced: ruamel stores the comment lines that follow an item on that item (on the
deepest last item when its value is a block collection), so these move them along."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

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
