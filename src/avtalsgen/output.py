"""Stage 5: write documents safely.

Every write is atomic (temporary file, fsync, rename), and a manifest beside
the output records the hash of what was generated, so a document someone has
edited by hand is never overwritten without --force.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .errors import OutputError

MANIFEST = ".avtalsgen-manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Replace path with data; a crash leaves either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A run killed before its rename leaves a temporary file: clear those first.
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class Manifest:
    """What avtalsgen wrote into one output folder, by file name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST
        try:
            self.hashes: dict[str, str] = json.loads(self.path.read_text("utf-8"))["files"]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            self.hashes = {}

    def edited(self, name: str) -> bool:
        """True when the file exists but is not what avtalsgen last wrote there."""
        target = self.folder / name
        if not target.exists():
            return False
        recorded = self.hashes.get(name)
        return recorded is None or sha256(target.read_bytes()) != recorded

    def check_writable(self, names: list[str]) -> None:
        edited = [n for n in names if self.edited(n)]
        if edited:
            listed = ", ".join(str(self.folder / n) for n in edited)
            raise OutputError(
                f"refusing to overwrite {listed}: changed since avtalsgen wrote it "
                "(edited by hand?). Save your edits elsewhere or use --force.")

    def write(self, name: str, data: bytes) -> bool:
        """Write a file; returns False when it already held exactly these bytes."""
        target = self.folder / name
        digest = sha256(data)
        if target.exists() and self.hashes.get(name) == digest and \
                sha256(target.read_bytes()) == digest:
            return False
        write_atomic(target, data)
        self.hashes[name] = digest
        return True

    def record(self, name: str, data: bytes) -> None:
        """Note a file written by another process (LibreOffice) as generated."""
        self.hashes[name] = sha256(data)

    def save(self) -> None:
        body = json.dumps({"generator": "avtalsgen", "files": dict(sorted(self.hashes.items()))},
                          indent=2, ensure_ascii=False) + "\n"
        write_atomic(self.path, body.encode("utf-8"))
