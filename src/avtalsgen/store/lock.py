"""The locks that serialise saves and commits.

In a git repository a save holds two: its file's lock (in the git directory, one per
file) while it checks the version and renders the new text, and the repository's lock
only while it writes and commits, so saves of different files render in parallel and
a commit always holds exactly the bytes its save wrote. Outside git one lock per
folder covers the whole save.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .. import output

LOCK = output.LOCK  # the lock file of a folder outside git (same name as an output folder's)
GIT_LOCK = "avtalsgen-store.lock"  # inside the repository's git directory
FILE_LOCKS = "avtalsgen-store-files"  # folder of the per-file locks, in the git directory
_locked = output.file_lock


def file_lockfile(git_dir: Path, rel: str) -> Path:
    """The lock of one file of the work tree (rel: its path relative to the top)."""
    # A digest: any path becomes one flat, safe file name.
    digest = hashlib.sha256(rel.encode("utf-8", "surrogateescape")).hexdigest()
    return git_dir / FILE_LOCKS / f"{digest[:32]}.lock"
