"""A tree to the text and bytes to write: as close to the file's text as the change
allows, and checked to read back (with PyYAML) as exactly the data."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from ..config import _forbidden_character
from .errors import StoreError
from .yamlfile import DEFAULT_STYLE, _dump, _guess_style, _parse, _pyyaml_load, _same, plain


def dump(data: Any, *, like: str | None = None) -> str:
    """ruamel round-trip text of data. With like (the text data was read from): the text
    save() would write in its place, which keeps like's indentation, document marker and
    the written form of lines ruamel would reformat, and reads back as data."""
    if like is not None:
        return _render(data, like, Path("<text>"))
    return _dump(data, DEFAULT_STYLE)


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


def _render(data: Any, current: str | None, path: Path, base: str | None = None) -> str:
    """The text to write for data, as close to the current text as the change allows.
    base: ruamel's rewrite of current (`_base`), when the caller has it already."""
    if current is None or not current.strip():
        candidates = [_dump(data, DEFAULT_STYLE)]
    else:
        original = current.replace("\r\n", "\n")
        style = _guess_style(original)
        new = _dump(data, style)
        candidates = [new]
        if base is None:
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


def _base(tree: Any, current: str) -> str | None:
    """ruamel's rewrite of current, which tree was parsed from (before any change to it),
    as _render() would make it; None where _render() must parse current itself."""
    if "\r" in current:  # _render() parses current with its line ends normalised
        return None
    return _dump(tree, _guess_style(current))


def _encode(text: str, like: bytes | None) -> bytes:
    """UTF-8, with the line endings and byte order mark of the file it replaces."""
    if like is not None and b"\r\n" in like and b"\n" not in like.replace(b"\r\n", b""):
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if like is not None and like.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    return data
