"""The lock that serialises saves and commits (per repository, else per folder)."""

from __future__ import annotations

from .. import output

LOCK = output.LOCK  # the lock file of a folder outside git (same name as an output folder's)
GIT_LOCK = "avtalsgen-store.lock"  # inside the repository's git directory
_locked = output.file_lock
