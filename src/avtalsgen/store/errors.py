"""The store's errors, and the version that stands for a file that does not exist."""

from __future__ import annotations

from pathlib import Path

from ..errors import AvtalsgenError

VERSION_NONE = ""  # the version of a file that does not exist


class StoreError(AvtalsgenError):
    """A file or a revision cannot be read or written as asked."""


class Conflict(AvtalsgenError):
    """The file changed since the editor loaded it: the save is refused and kept aside."""

    def __init__(self, path: Path, expected: str, current: str, kept: Path | None) -> None:
        self.path, self.expected, self.current, self.kept = path, expected, current, kept
        now = "deleted" if current == VERSION_NONE else f"now {current[:12]}"
        was = "did not exist" if expected == VERSION_NONE else f"was {expected[:12]}"
        where = f"; your version is kept in {kept}" if kept else ""
        super().__init__(f"{path}: changed by someone else since you opened it (it {was}, "
                         f"{now}){where}. Reload it and apply your change again.")

    def __reduce__(self) -> tuple[type[Conflict], tuple[Path, str, str, Path | None]]:
        # Rebuilt from its fields when it crosses from a worker process.
        return (Conflict, (self.path, self.expected, self.current, self.kept))
