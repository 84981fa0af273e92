"""What pages call things: a municipality by its name, a document by its title, never
by their folder or file names. Template functions, reading the (cached) validation of
the folder, or the file itself when it does not validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import pass_context

from ..model import SLUG_PATTERN
from . import validation

FILE_TITLES = {"kommun": "Kommunens uppgifter", "statistik": "Statistik"}


def _folder(context: Any, slug: str) -> Path | None:
    import re

    request = context.get("request")
    if request is None or not re.fullmatch(SLUG_PATTERN, slug or ""):
        return None
    return Path(request.app.state.root) / slug


def _plain(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _bundle(folder: Path) -> Any:
    from .views.common import validate

    bundle, _problems, _warnings = validation.validated(folder, validate)
    return bundle


@pass_context
def municipality_name(context: Any, slug: str) -> str:
    folder = _folder(context, slug)
    if folder is None:
        return "Kommunen"
    bundle = _bundle(folder)
    if bundle is not None:
        return str(bundle.municipality.kommun.name)
    kommun = _plain(folder / "municipality.yaml").get("kommun")
    name = kommun.get("name") if isinstance(kommun, dict) else None
    return str(name) if isinstance(name, str) and name.strip() else "Kommunen"


@pass_context
def document_title(context: Any, slug: str, doc: str) -> str:
    folder = _folder(context, slug)
    if folder is None:
        return "Dokumentet"
    bundle = _bundle(folder)
    if bundle is not None and doc in bundle.documents:
        return str(bundle.documents[doc].title)
    title = _plain(folder / f"{doc}.yaml").get("title") if "/" not in doc else None
    return str(title) if isinstance(title, str) and title.strip() else "Dokumentet"


def register(env: Any) -> None:
    env.globals.update(municipality_name=municipality_name, document_title=document_title,
                       file_titles=FILE_TITLES)
