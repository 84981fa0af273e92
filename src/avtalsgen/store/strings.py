"""The written form of a changed string: the style of the value it replaces (folded,
literal, quoted) where the new text allows it, else one that reads back exactly."""

from __future__ import annotations

import re
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    ScalarString,
)
from ruamel.yaml.tokens import CommentToken

from .comments import _BLOCK
from .yamlfile import DEFAULT_STYLE, _dump, _pyyaml_load, _same, _scalar

_NOT_IN_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _fits(node: FoldedScalarString | LiteralScalarString) -> bool:
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


def _keep_comment(old: Any, made: Any) -> None:
    """A block scalar's comment (after its | or >) onto its replacement; ruamel keeps it
    in a slot its types do not declare, hence Any."""
    if getattr(old, "comment", None) is not None:
        made.comment = old.comment


def _string_node(old: Any, new: str, *, block_ok: bool) -> Any:
    """A changed string, in the style of the value it replaces where the text allows."""
    if old is not None and _same(_scalar(old), new):
        return old
    if isinstance(old, FoldedScalarString):
        made = FoldedScalarString(new)
        made.fold_pos = _refold(old, new)
        _keep_comment(old, made)
        if _fits(made):
            return made
    if isinstance(old, LiteralScalarString):
        made = LiteralScalarString(new)
        _keep_comment(old, made)
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
