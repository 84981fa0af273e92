"""What a document is made from, as one hash: a re-run skips what has not changed.

A document's inputs are every file in its municipality's folder (configs,
statistics, spreadsheets, logo, pictures, its own templates), the template it
renders with, the shared clause library, avtalsgen itself (its version, its source
and the libraries that shape the output) and the options that change the bytes.
The manifest beside the output keeps each document's input key; when the key and
the written file are both unchanged, the document is not rendered again.

This module is imported before anything heavy: checking 290 up-to-date
municipalities must not wait for the rendering libraries to load.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import Any

# Libraries whose version changes the bytes of a document.
LIBRARIES = ("docxtpl", "python-docx", "docxcompose", "Jinja2", "babel", "matplotlib",
             "python-pptx", "XlsxWriter", "lxml", "PyYAML")
MAX_FOLDER_FILES = 10_000  # beyond this a folder is not a municipality; no skipping


def _file_digest(path: Path, h: Any) -> None:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)


def folder_digest(folder: Path, skip: frozenset[str] = frozenset()) -> str | None:
    """Every regular file under the folder, by relative path and content; hidden names
    (the editor's conflict copies, lock files) are not inputs, nor the top-level names
    in skip. None when the folder cannot be read as a whole."""
    h = hashlib.sha256()
    count = 0
    try:
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            top = dirpath == str(folder)
            for name in sorted(filenames):
                if name.startswith(".") or (top and name in skip):
                    continue
                path = Path(dirpath, name)
                if not path.is_file():
                    continue
                count += 1
                if count > MAX_FOLDER_FILES:
                    return None
                h.update(os.path.relpath(path, folder).encode("utf-8", "surrogateescape"))
                h.update(b"\0")
                _file_digest(path, h)
                h.update(b"\0")
    except OSError:
        return None
    return h.hexdigest()


@cache
def _shared_file(path: str, _mtime_ns: int, _size: int) -> str:
    h = hashlib.sha256()
    _file_digest(Path(path), h)
    return h.hexdigest()


def file_digest(path: Path) -> str | None:
    """A shared file's hash, computed once per process while it stays the same."""
    try:
        st = path.stat()
    except OSError:
        return None
    return _shared_file(str(path.resolve()), st.st_mtime_ns, st.st_size)


@cache
def generator() -> str:
    """avtalsgen's version and source, and the versions of the libraries it renders
    with: a new release, or a changed line in a source checkout, renders again."""
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode())
        _file_digest(path, h)
    for name in LIBRARIES:
        try:
            h.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            h.update(f"{name}=-".encode())
    return h.hexdigest()


def shared_digest() -> str:
    """The shared text library and any other shared YAML beside the templates."""
    from .config import TEMPLATES_DIR

    h = hashlib.sha256()
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        h.update(path.name.encode())
        h.update((file_digest(path) or "-").encode())
    return h.hexdigest()


def document_key(folder: str, template: Path, final: bool) -> str | None:
    """One document's input key; None when an input cannot be read (then it renders)."""
    template_digest = file_digest(template)
    if template_digest is None:
        return None
    parts = (folder, str(template), template_digest, shared_digest(), generator(),
             f"final={final}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
