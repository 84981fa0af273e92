"""Validation and file reads for pages, remembered per process by what was read.

Every editing page shows the municipality's problems, and validating a folder parses
every YAML file in it (most of a page's time). Folders change far less often than
pages are shown, so the result is kept, keyed by the content of every file under the
folder: a save, a hand edit or another server process writing a file changes the key,
and the next page validates afresh. Nothing is trusted from the time a file was
written. Only pages use this; rendering (preview, downloads) and approvals validate
afresh every time.
"""

from __future__ import annotations

import copy
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import output, store
from ..config import read_bytes
from ..errors import Problem
from ..validate import Bundle

Result = tuple[Bundle | None, list[Problem], list[Problem]]

MAX_ENTRIES = 128  # folders (and files) remembered per process
MAX_FILES = 500  # a folder with more files than this is validated every time
HASHED_BYTES = 1_000_000  # larger files (a template, a picture) are keyed by their stat
SKIPPED = {".git", store.CONFLICTS}  # never read by validation


class _Lru:
    """A small thread-safe LRU mapping."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_results = _Lru(MAX_ENTRIES)
_files = _Lru(MAX_ENTRIES)


def signature(folder: Path) -> tuple[Any, ...] | None:
    """Every file under folder with a sha256 of its bytes (a stat for large ones), links
    with their targets; None when there are too many files to key on."""
    entries: list[tuple[Any, ...]] = [(os.getcwd(), os.path.realpath(folder))]
    count = 0
    for where, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(where, d))]:
            count += 1
            if count > MAX_FILES:
                return None
            path = os.path.join(where, name)
            entries.append((os.path.relpath(path, folder), *_fingerprint(path)))
    return tuple(entries)


def _fingerprint(path: str) -> tuple[Any, ...]:
    link = os.readlink(path) if os.path.islink(path) else None
    try:
        info = os.stat(path)
    except OSError:
        return (link, None)  # a dangling link: validation says so, and so does the key
    if not os.path.isfile(path):
        return (link, "not a file", info.st_mode)
    if info.st_size > HASHED_BYTES:
        return (link, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
    try:
        with open(path, "rb") as handle:
            return (link, hashlib.sha256(handle.read()).hexdigest())
    except OSError as e:
        return (link, "unreadable", e.errno)


def validated(folder: Path, validate: Callable[[Path], Result]) -> Result:
    """validate(folder), or its result for the same files remembered from before. The
    result is shared: callers must not change it."""
    key = signature(folder)
    if key is None:
        return validate(folder)
    found = _results.get(key)
    if found is None:
        found = validate(folder)
        # A file changed while validating: keep nothing rather than a mixed result.
        if signature(folder) == key:
            _results.put(key, found)
    return found  # type: ignore[no-any-return]


def plain_file(path: Path) -> tuple[str, Any]:
    """(version, plain data) of a YAML file as store.read() + store.plain() give them,
    parsed once per content; the data is a copy the caller may change. Raises what
    store.read() raises."""
    raw = read_bytes(path)
    if raw is None:
        return store.VERSION_NONE, None
    version = output.sha256(raw)
    key = (str(path), version)
    found = _files.get(key)
    if found is None:
        loaded = store.read(path)
        if loaded.version != version:  # replaced meanwhile: what was read is current
            return loaded.version, store.plain(loaded.data)
        found = store.plain(loaded.data)
        _files.put(key, found)
    return version, copy.deepcopy(found)


def forget() -> None:
    """Drop everything remembered (tests)."""
    _results.clear()
    _files.clear()
