"""Messages a person reads, from gettext catalogues: Swedish or English.

Every message has one id (its English text, with `{name}` placeholders filled by
`str.format`) in src/avtalsgen/locale/<lang>/LC_MESSAGES/avtalsgen.po. The catalogues
are read with Babel's `read_po` when first needed (no compile step) and kept.

- `Msg("id {x!r}", x=...)` is a message not yet in a language: a `Problem` or an error
  keeps it and each reader renders it in theirs (`render("sv")`).
- `tr("id", lang, **params)` renders at once; `N_("id")` only marks an id for
  extraction (a table of ids rendered later).
- The web editor is always Swedish (`SWEDISH`); the CLI speaks the language of the
  environment (`cli_language`: LANGUAGE, LC_ALL, LC_MESSAGES, LANG; sv* is Swedish,
  anything else English).

A field named in a message can be a `FieldRef`: its YAML path in English, its label
(as the editor's forms name it) in Swedish.

Adding a message: see CONTRIBUTING.md (extract, update, translate; no compile step).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "avtalsgen"
SWEDISH = "sv"
ENGLISH = "en"
LANGUAGES = (SWEDISH, ENGLISH)


def N_(msgid: str) -> str:  # gettext's name for "mark, do not translate"
    return msgid


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid -> translation of one language's catalogue (empty for an unknown one)."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        found = read_po(f, locale=lang, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in found
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def gettext(msgid: str, lang: str) -> str:
    """The translation of msgid, or msgid itself (English) when the catalogue lacks it."""
    return catalogue(lang).get(msgid) or msgid


def cli_language(environ: Any = None) -> str:
    """The CLI's language from the environment: Swedish for sv*, else English."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").strip()
        if value:
            first = value.split(":", 1)[0].lower()
            return SWEDISH if first.startswith("sv") else ENGLISH
    return ENGLISH


class FieldRef:
    """A field named in a message: its label in Swedish, its YAML path in English."""

    __slots__ = ("kind", "leaf", "path")

    def __init__(self, kind: str, path: tuple[Any, ...], *, leaf: bool = False) -> None:
        """leaf: only the field's own name (its last label or key), not the way to it."""
        self.kind, self.path, self.leaf = kind, tuple(path), leaf

    def render(self, lang: str) -> str:
        if lang == SWEDISH:
            from .fieldlabels import SEPARATOR, label_of

            label = label_of(self.kind, self.path)
            return label.rsplit(SEPARATOR, 1)[-1] if self.leaf else label
        from .config import dotted

        return str(self.path[-1]) if self.leaf and self.path else dotted(self.path)

    def __repr__(self) -> str:
        return f"FieldRef({self.kind!r}, {self.path!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldRef) and (self.kind, self.path, self.leaf) == (
            other.kind, other.path, other.leaf)

    def __hash__(self) -> int:
        return hash((self.kind, self.path, self.leaf))


class Msg:
    """A message id and its parameters, rendered in a language when read."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params: Any) -> None:
        self.msgid = msgid
        self.params = params

    def render(self, lang: str) -> str:
        values = {k: _value(v, lang) for k, v in self.params.items()}
        template = gettext(self.msgid, lang)
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation: never lose it
            return self.msgid.format(**values)

    def __str__(self) -> str:
        return self.render(cli_language())

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.msgid, self.params) == (other.msgid,
                                                                         other.params)

    def __hash__(self) -> int:
        return hash((self.msgid, tuple(sorted(self.params))))

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses to and from worker processes like any value.
        return (_rebuild, (self.msgid, self.params))


def _rebuild(msgid: str, params: dict[str, Any]) -> Msg:
    return Msg(msgid, **params)


class Quoted:
    """A value shown quoted and shortened: repr in both languages, at most 60 chars."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        shown = repr(self.value)
        return shown if len(shown) <= 60 else shown[:57] + "..."

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quoted) and self.value == other.value

    def __hash__(self) -> int:
        return hash(repr(self.value))


def _value(value: Any, lang: str) -> Any:
    """A parameter as text in lang: messages, field names and choices render in it."""
    if isinstance(value, (Msg, FieldRef, Choices)):
        return value.render(lang)
    return value


class Choices:
    """The values a field allows: "'a', 'b' or 'c'" in English; in Swedish each by the
    editor's word for it ("Linje (lines) eller Prickad rad (dotted)")."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = tuple(values)

    def render(self, lang: str) -> str:
        if lang == SWEDISH:
            from .fieldlabels import choice_label

            shown = [choice_label(v) for v in self.values]
            joiner = " eller "
        else:
            shown = [repr(v) for v in self.values]
            joiner = " or "
        if len(shown) < 2:
            return "".join(shown)
        return ", ".join(shown[:-1]) + joiner + shown[-1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Choices) and self.values == other.values

    def __hash__(self) -> int:
        return hash(self.values)


def tr(msgid: str, lang: str, /, **params: Any) -> str:
    """msgid rendered at once in lang."""
    return Msg(msgid, **params).render(lang)


def render(message: Any, lang: str) -> str:
    """A message (Msg, or text already in its language) as text in lang."""
    return message.render(lang) if isinstance(message, Msg) else str(message)


class MessageError(ValueError):
    """A ValueError raised by a model's validator with a catalogued message: Pydantic
    keeps the exception in the error's context, where `validation_messages` finds it."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.render(ENGLISH))
        self.message = message
