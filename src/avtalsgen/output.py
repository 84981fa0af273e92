"""Stage 5: write documents safely.

Every write is atomic (temporary file, fsync, rename), and a manifest beside
the output records the hash of what was generated, so a document someone has
edited by hand is never overwritten without --force. A journal, written before
each rename, keeps the manifest honest if a run dies between the two; a lock per
output folder keeps concurrent runs from stepping on each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import OutputError

MANIFEST = ".avtalsgen-manifest.json"
JOURNAL = ".avtalsgen-journal"
LOCK = ".avtalsgen.lock"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _clear_stale(path: Path) -> None:
    """Remove temporary files of runs that died before their rename (never a live one's)."""
    prefix = f".{path.name}."
    for stale in path.parent.glob(f"{prefix}*.tmp"):
        owner = stale.name[len(prefix):].split(".", 1)[0]
        if owner.isdigit() and _alive(int(owner)):
            continue
        stale.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes,
                 before_rename: Callable[[], None] | None = None) -> None:
    """Replace path with data; a crash leaves either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if before_rename is not None:
            before_rename()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def file_lock(lockfile: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file; flock is per open file, so it also serialises
    threads of one process."""
    lockfile.parent.mkdir(parents=True, exist_ok=True)
    with open(lockfile, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def folder_lock(folder: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the output folder for one run: a second run on it waits its turn."""
    return file_lock(folder / LOCK)


class Manifest:
    """What avtalsgen wrote into one output folder, by file name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST
        self.journal = folder / JOURNAL
        self.damaged = False
        self.hashes: dict[str, str] = {}
        # What each document was made from (see inputs.py): its folder's digest, the
        # document names, and per document the template and input key.
        self.inputs: dict[str, Any] = {}
        try:
            body = json.loads(self.path.read_text("utf-8"))
            files = body["files"]
            if not (isinstance(files, dict) and all(
                    isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
                raise TypeError
            self.hashes = files
            inputs = body.get("inputs")
            if _inputs_shape(inputs):
                self.inputs = inputs
        except FileNotFoundError:
            pass
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, OSError):
            self.damaged = True
        # Hashes of files written by a run that died before it saved the manifest.
        self.pending: dict[str, set[str]] = {}
        with contextlib.suppress(OSError, UnicodeDecodeError):
            for line in self.journal.read_text("utf-8").splitlines():
                digest, _, name = line.partition(" ")
                if len(digest) == 64 and name:
                    self.pending.setdefault(name, set()).add(digest)

    def edited(self, name: str, planned: bytes | None = None) -> bool:
        """True when the file exists but is not what avtalsgen wrote (or would write) there."""
        target = self.folder / name
        if not target.exists():
            return False
        digest = sha256(target.read_bytes())
        known = {self.hashes.get(name), *self.pending.get(name, ())}
        if planned is not None:
            known.add(sha256(planned))
        return digest not in known

    def check_writable(self, planned: dict[str, bytes | None]) -> None:
        edited = [n for n, data in planned.items() if self.edited(n, data)]
        if edited:
            listed = ", ".join(str(self.folder / n) for n in edited)
            why = (f"the manifest {self.path} is damaged, so avtalsgen cannot tell whether "
                   "it was edited" if self.damaged else
                   "changed since avtalsgen wrote it (edited by hand?)")
            raise OutputError(f"refusing to overwrite {listed}: {why}. Save your edits "
                              "elsewhere or use --force.")

    def _note(self, name: str, digest: str) -> None:
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write(f"{digest} {name}\n")
            f.flush()
            os.fsync(f.fileno())

    def write(self, name: str, data: bytes) -> bool:
        """Write a file; returns False when it already held exactly these bytes."""
        target = self.folder / name
        digest = sha256(data)
        if target.exists() and self.hashes.get(name) == digest and \
                sha256(target.read_bytes()) == digest:
            return False
        write_atomic(target, data, before_rename=lambda: self._note(name, digest))
        self.hashes[name] = digest
        return True

    def intact(self, name: str) -> bool:
        """True when the file is there and is exactly what avtalsgen last wrote."""
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return False
        return self.hashes.get(name) == sha256(data)

    def record(self, name: str, data: bytes) -> None:
        """Note a file written by another process (LibreOffice) as generated."""
        self.hashes[name] = sha256(data)

    def save(self) -> None:
        content: dict[str, Any] = {"generator": "avtalsgen",
                                   "files": dict(sorted(self.hashes.items()))}
        if self.inputs:
            content["inputs"] = self.inputs
        body = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        write_atomic(self.path, body.encode("utf-8"))
        self.journal.unlink(missing_ok=True)
        self.damaged = False


def _inputs_shape(inputs: Any) -> bool:
    """A manifest's inputs record is used only when it has exactly the expected shape."""
    if not isinstance(inputs, dict):
        return False
    folder, names, keys = inputs.get("folder"), inputs.get("documents"), inputs.get("keys")
    return (isinstance(folder, str) and isinstance(names, list)
            and all(isinstance(n, str) for n in names) and isinstance(keys, dict)
            and all(isinstance(k, str) and isinstance(v, dict)
                    and isinstance(v.get("template"), str) and isinstance(v.get("key"), str)
                    for k, v in keys.items()))
