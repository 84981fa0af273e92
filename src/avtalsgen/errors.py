"""User-facing errors: each carries file, line and field so a person can fix it.

Anything that is not an `AvtalsgenError` is a bug and keeps its traceback.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .messages import Msg, cli_language, render


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config or template, located for a human.

    `message` may be given as a `Msg` (a catalogued message): then `msg` keeps it and
    `message` holds its English text; `text(lang)` is the message in a language, and
    `str()` the whole line (file:line: field: message) in the CLI's language."""

    file: Path | str
    line: int | None
    field: str
    message: str
    msg: Msg | None = dataclasses.field(default=None, compare=False)

    def __init__(self, file: Path | str, line: int | None, field: str, message: str | Msg,
                 msg: Msg | None = None) -> None:
        if isinstance(message, Msg):
            msg = message
        for name, value in (("file", file), ("line", line), ("field", field), ("msg", msg),
                            ("message", msg.render("en") if msg is not None else message)):
            object.__setattr__(self, name, value)

    def text(self, lang: str) -> str:
        """The message alone, in lang (a message given as text is shown as it is)."""
        return self.msg.render(lang) if self.msg is not None else str(self.message)

    def line_text(self, lang: str) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.text(lang)}"

    def __str__(self) -> str:
        return self.line_text(cli_language())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Problem, (self.file, self.line, self.field, self.message, self.msg))


class AvtalsgenError(Exception):
    """Base of every error caused by the user's input rather than by a bug."""

    exit_code = 2

    def text(self, lang: str) -> str:
        """The message in lang (one given as a `Msg`; text is shown as it is)."""
        return render(self.args[0], lang) if len(self.args) == 1 else str(self)


class ConfigError(AvtalsgenError):
    """A municipality's configuration is invalid; lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def text(self, lang: str) -> str:
        return "\n".join(p.line_text(lang) for p in self.problems)

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[Problem]]]:
        # Rebuilt from its problems when it crosses from a worker process.
        return (ConfigError, (self.problems,))


class TemplateError(AvtalsgenError):
    """A Word template is broken (syntax, unknown variable, split tag)."""


class OutputError(AvtalsgenError):
    """Writing would lose work (an edited file) or the output is unusable."""


class ConversionError(AvtalsgenError):
    """PDF conversion failed or LibreOffice is missing."""


class Bug(Exception):
    """An unexpected failure in one municipality (not the user's input): reported with
    its traceback in a log file, exit status 1, while the rest of a batch goes on."""

    exit_code = 1

    def __init__(self, target: str, error: BaseException | str, trace: str | None = None,
                 log: Path | None = None) -> None:
        import traceback

        self.target = target
        self.summary = error if isinstance(error, str) else \
            f"{type(error).__name__}: {error}"
        self.traceback = trace if trace is not None else "" if isinstance(error, str) else \
            "".join(traceback.format_exception(error))
        self.log = log
        super().__init__(self.summary)

    def __str__(self) -> str:
        if self.log:
            return str(Msg("unexpected failure (a bug, please report it): {summary}; the "
                           "traceback is in {log}", summary=self.summary, log=self.log))
        return str(Msg("unexpected failure (a bug, please report it): {summary}",
                       summary=self.summary))

    def __reduce__(self) -> tuple[type[Bug], tuple[str, str, str, Path | None]]:
        # Tracebacks do not cross process boundaries; their text does.
        return (Bug, (self.target, self.summary, self.traceback, self.log))
