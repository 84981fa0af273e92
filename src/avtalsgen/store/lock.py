"""The lock that serialises saves and commits (per repository, else per folder)."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from .. import output

LOCK = output.LOCK  # the lock file of a folder outside git (same name as an output folder's)
GIT_LOCK = "avtalsgen-store.lock"  # inside the repository's git directory


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
