"""The clause library: standard paragraphs written once, with parameters.

Clauses are the only config text that is a template; they render in Jinja's
sandbox with StrictUndefined, so a missing parameter is an error, not a blank.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field

from . import model as m
from .config import TEMPLATES_DIR, load_yaml
from .formatting import FILTERS, period

LIBRARY_FILE = TEMPLATES_DIR / "clauses.yaml"


class Clause(m.Model):
    description: str = Field(description="Vad textblocket säger.")
    text: list[str] = Field(description="Styckena, var och ett en Jinja-mall.", min_length=1)


class ClauseProblem(Exception):
    """A clause could not be rendered with the parameters given."""


@cache
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                               loader=jinja2.DictLoader({}))
    env.filters.update(FILTERS)
    return env


@cache
def load_library(path: Path | None = None) -> dict[str, Clause]:
    source = load_yaml(path or LIBRARY_FILE)
    return {key: Clause.model_validate(value) for key, value in source.data.items()}


@cache
def _compiled(text: str) -> jinja2.Template:
    return _environment().from_string(text)


def base_params(muni: m.Municipality, doc: m.Document | None) -> dict[str, Any]:
    """What every clause can refer to."""
    return {
        "kommun": muni.kommun,
        "polis": muni.polis,
        "period": period(muni.period.start, muni.period.end),
        "signing": muni.signing,
        "validity": doc.validity if doc else None,
    }


def render_clause(clause: Clause, params: dict[str, Any]) -> list[str]:
    out = []
    for paragraph in clause.text:
        try:
            out.append(_compiled(paragraph).render(params))
        except jinja2.UndefinedError as e:
            raise ClauseProblem(f"clause needs a value it was not given: {e.message}") from None
        except jinja2.TemplateError as e:
            raise ClauseProblem(f"clause cannot be rendered: {e}") from None
    return out
