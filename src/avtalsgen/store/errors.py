"""The store's errors, and the version that stands for a file that does not exist."""

from __future__ import annotations

from pathlib import Path

from ..errors import AvtalsgenError
from ..messages import N_, Msg, cli_language

VERSION_NONE = ""  # the version of a file that does not exist


class StoreError(AvtalsgenError):
    """A file or a revision cannot be read or written as asked."""


class Conflict(AvtalsgenError):
    """The file changed since the editor loaded it: the save is refused and kept aside."""

    def __init__(self, path: Path, expected: str, current: str, kept: Path | None) -> None:
        self.path, self.expected, self.current, self.kept = path, expected, current, kept
        super().__init__(self.text(cli_language()))

    def text(self, lang: str, *, public: bool = False) -> str:
        """The refusal in lang; public: for a page (no file, no path, no versions)."""
        if public:
            return Msg(N_("Someone else changed this since you opened it, so your change "
                          "was not saved. Reload the page and apply your change again.")
                       ).render(lang)
        now = (Msg(N_("deleted")) if self.current == VERSION_NONE
               else Msg(N_("now {version}"), version=self.current[:12]))
        was = (Msg(N_("did not exist")) if self.expected == VERSION_NONE
               else Msg(N_("was {version}"), version=self.expected[:12]))
        if self.kept:
            return Msg(N_("{path}: changed by someone else since you opened it (it {was}, "
                          "{now}); your version is kept in {kept}. Reload it and apply "
                          "your change again."), path=self.path, was=was, now=now,
                       kept=self.kept).render(lang)
        return Msg(N_("{path}: changed by someone else since you opened it (it {was}, "
                      "{now}). Reload it and apply your change again."), path=self.path,
                   was=was, now=now).render(lang)

    def __reduce__(self) -> tuple[type[Conflict], tuple[Path, str, str, Path | None]]:
        # Rebuilt from its fields when it crosses from a worker process.
        return (Conflict, (self.path, self.expected, self.current, self.kept))
