"""Errors of the accounts layer: user errors, so the CLI exits 2 with the message."""

from __future__ import annotations

from datetime import datetime

from ..errors import AvtalsgenError


class AccountError(AvtalsgenError):
    """A request the accounts layer refuses: bad input, unknown user, missing right."""


class LoginError(AccountError):
    """A login refused; `locked_until` (aware UTC) is set when the account or the
    address is locked, so a caller can say when to try again."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until
