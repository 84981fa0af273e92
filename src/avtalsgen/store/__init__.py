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
  kept aside, never dropped), serialised by locks (per file while rendering, per
  repository while writing and committing, see `lock`; per folder outside git), and
  committed to git when the folder is in a repository;
- `history()`, `file_at()` and `folder_at()` read old versions back from git, with
  every revision resolved to a commit id before git sees it as an argument.

This module is the API (read, save, update, commit); the work is done by
`yamlfile` (round-trip parsing and dumping, YAML 1.1 values, `plain`), `merge`
(with `comments` and `strings`: the edit applied to the tree), `reading` (bytes to
a tree), `writing` (a tree to the text to write), `lock` and `git`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .. import output
from ..config import decode as _decode
from ..config import read_bytes as _read_bytes
from ..errors import ConfigError
from .errors import VERSION_NONE, Conflict, StoreError
from .git import (
    EMAIL_DOMAIN,
    FALLBACK_NAME,
    Commit,
    _commit,
    _relative,
    _repo,
    _slug,
    commit,
    file_at,
    first_change_after,
    folder_at,
    git_root,
    history,
    last_commit,
)
from .lock import GIT_LOCK, LOCK, _locked, file_lockfile
from .merge import merge
from .reading import MAX_FILE_BYTES, _load
from .writing import _base, _encode, _render, dump
from .yamlfile import DEFAULT_STYLE, _dump, plain
from .yamlfile import _same as _same  # tests compare data strictly

__all__ = [
    "CONFLICTS", "DEFAULT_STYLE", "EMAIL_DOMAIN", "FALLBACK_NAME", "GIT_LOCK", "LOCK",
    "MAX_FILE_BYTES", "VERSION_NONE", "Commit", "Conflict", "Loaded", "StoreError", "commit",
    "dump", "file_at", "first_change_after", "folder_at", "git_root", "history", "keep_conflict",
    "last_commit", "merge", "plain", "read", "save", "saved_as", "transaction", "update",
    "version_of", "write_and_commit",
]

CONFLICTS = ".avtalsgen-conflicts"


@dataclass
class Loaded:
    """A file as read for editing: its round-trip data, version and text."""

    path: Path
    data: Any  # ruamel CommentedMap/CommentedSeq (round-trip), or None for an empty file
    version: str  # sha256 hex of the file's bytes (VERSION_NONE if missing)
    text: str


# ---------------------------------------------------------------------------------------
# reading


def version_of(path: Path) -> str:
    """sha256 hex of the file's bytes; VERSION_NONE if it does not exist."""
    data = _read_bytes(Path(path))
    return VERSION_NONE if data is None else output.sha256(data)


def read(path: Path) -> Loaded:
    """Load a YAML file for editing; a missing file loads as empty with VERSION_NONE."""
    path = Path(path)
    data = _read_bytes(path)
    if data is None:
        return Loaded(path, None, VERSION_NONE, "")
    text = _decode(data, path)
    return Loaded(path, _load(text, path), output.sha256(data), text)


def saved_as(path: Path, version: str, limit: int = 50) -> Any:
    """The plain data of the file when its bytes had this version (sha256), from the
    file's last commits (within the folder's last `limit`); None when none holds it
    (outside git, a hand edit never committed). A refused save's form was made from it:
    what the editor changed is what differs from it."""
    path = Path(path)
    if version == VERSION_NONE:
        return None
    for found in history(path.parent, limit):
        if path.name not in found.files:
            continue
        try:
            raw = file_at(path, found.rev)
        except StoreError:
            return None
        if raw is not None and output.sha256(raw) == version:
            try:
                return plain(_load(_decode(raw, path), path))
            except ConfigError:
                return None
    return None


# ---------------------------------------------------------------------------------------
# writing: render, check, lock, write, commit


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
    rel = _relative(repo[0], path) if repo else None
    # In git: this file's lock now, the repository's only to write and commit (see lock).
    with _locked(file_lockfile(repo[1], rel) if repo and rel else folder / LOCK):
        raw = _read_bytes(path)
        current = VERSION_NONE if raw is None else output.sha256(raw)
        if current != expected:
            raise _conflict(path, data, expected, current, author)
        current_text = None
        with contextlib.suppress(ConfigError):  # a broken file is simply replaced
            current_text = None if raw is None else _decode(raw, path)
        tree, base = _tree(data, current_text, path)
        new = _encode(_render(tree, current_text, path, base), raw)
        if new == raw:
            return current  # nothing changed: nothing to write or commit
        with _locked(repo[1] / GIT_LOCK) if repo and rel else contextlib.nullcontext():
            # Saves of this file wait for its lock; this catches a writer that does not
            # (an import, a person with a text editor) since the version was checked.
            again = _read_bytes(path)
            if again != raw:
                now = VERSION_NONE if again is None else output.sha256(again)
                raise _conflict(path, tree, expected, now, author)
            _write_and_commit(repo[0] if repo and rel else None, path, raw, new, author,
                              message)
        return output.sha256(new)


def _write_and_commit(root: Path | None, path: Path, old: bytes | None, new: bytes,
                      author: str, message: str) -> None:
    """Write and commit as one step (the caller holds the lock): when the commit fails,
    the file is put back as it was, so nothing is written that is not committed."""
    output.write_atomic(path, new)
    if root is None:
        return
    try:
        _commit(root, path, author, message)
    except BaseException:
        if old is None:
            path.unlink(missing_ok=True)
        else:
            output.write_atomic(path, old)
        raise


@contextlib.contextmanager
def transaction(folder: Path) -> Iterator[None]:
    """Hold the lock under which saves write and commit: the repository's in git, the
    folder's outside it. Inside it, files change only by hands that take no lock."""
    folder = Path(folder)
    repo = _repo(folder)
    with _locked(repo[1] / GIT_LOCK if repo else folder / LOCK):
        yield


def write_and_commit(path: Path, data: bytes, *, author: str, message: str) -> None:
    """Write a file avtalsgen owns (not a YAML file people edit) and commit it, inside
    transaction(); put back as it was when the commit fails."""
    path = Path(path)
    repo = _repo(path.parent)
    rel = _relative(repo[0], path) if repo else None
    _write_and_commit(repo[0] if repo and rel else None, path, _read_bytes(path), data,
                      author, message)


def _conflict(path: Path, data: Any, expected: str, current: str, author: str) -> Conflict:
    """The Conflict to raise, with the refused text kept aside."""
    kept = None
    with contextlib.suppress(OSError):  # a full disk must not hide the conflict
        kept = keep_conflict(path, _dump(_tree(data, None, path)[0], DEFAULT_STYLE), author)
    return Conflict(path, expected, current, kept)


def _tree(data: Any, current_text: str | None, path: Path) -> tuple[Any, str | None]:
    """data as a ruamel tree: plain data is merged into the current file's tree. Also the
    rewrite of the current text that _render() compares with, when the tree was parsed
    here: made before the merge changes it, so the text is parsed once per save."""
    if isinstance(data, (CommentedMap, CommentedSeq)) or data is None:
        return data, None
    tree = None
    with contextlib.suppress(ConfigError):
        tree = _load(current_text, path) if current_text else None
    base = _base(tree, current_text) if tree is not None and current_text else None
    return merge(tree, data), base


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
