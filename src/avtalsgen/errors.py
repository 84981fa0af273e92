"""User-facing errors: each carries file, line and field so a person can fix it.

Anything that is not an `AvtalsgenError` is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config or template, located for a human."""

    file: Path | str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class AvtalsgenError(Exception):
    """Base of every error caused by the user's input rather than by a bug."""

    exit_code = 2


class ConfigError(AvtalsgenError):
    """A municipality's configuration is invalid; lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[Problem]]]:
        # Rebuilt from its problems when it crosses from a worker process.
        return (ConfigError, (self.problems,))


class TemplateError(AvtalsgenError):
    """A Word template is broken (syntax, unknown variable, split tag)."""


class OutputError(AvtalsgenError):
    """Writing would lose work (an edited file) or the output is unusable."""


class ConversionError(AvtalsgenError):
    """PDF conversion failed or LibreOffice is missing."""
