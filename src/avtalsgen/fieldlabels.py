"""A field path named as the editor's forms name it: "Period › Första år", not
`period.start`. The words are the forms' own (web.forms.labels), found by walking the
same schema shapes the forms are drawn from, so a message and the field it is shown
beside always agree."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

SEPARATOR = " › "
# What a whole file is called, when a problem is about the file itself.
KIND_NAMES = {"municipality": "Kommunens uppgifter", "statistics": "Statistiken",
              "document": "Dokumentet", "section": "Avsnittet"}
_BLOCK_LISTS = frozenset({"content", "background", "problem", "methods", "mandate",
                          "reporting", "cover", "closing"})
_PART = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def kind_of(file: Path | str) -> str:
    """The form kind of a municipality's file, by its name."""
    name = Path(str(file)).name
    if name == "municipality.yaml":
        return "municipality"
    if name == "statistics.yaml":
        return "statistics"
    return "document"


def parse_path(dotted: str) -> tuple[Any, ...]:
    """'sections[0].heading' -> ('sections', 0, 'heading') (config.dotted, reversed)."""
    return tuple(int(m.group(1)) if m.group(1) is not None else m.group(2)
                 for m in _PART.finditer(dotted or ""))


def label_of(kind: str, path: tuple[Any, ...] | str,
             names: dict[str, str] | None = None) -> str:
    """The Swedish name of the field at path in a file of this kind. names: what to
    call an entry of a mapping instead of its key (a table by its title)."""
    if isinstance(path, str):
        path = parse_path(path)
    if not path:
        return KIND_NAMES.get(kind, "Filen")
    return SEPARATOR.join(labels_of(kind, tuple(path), tuple(sorted((names or {}).items()))))


@functools.lru_cache(maxsize=4096)
def labels_of(kind: str, path: tuple[Any, ...],
              names: tuple[tuple[str, str], ...] = ()) -> tuple[str, ...]:
    """One label per step of the path (items as "Avsnitt 2", entries as "Tabell x", or
    by the name `names` gives the entry's key: "Tabell ”Anmälda brott”")."""
    try:
        from .web.forms import _root
        from .web.forms.labels import ITEM_LABELS, _label

        shape: Any = _root(kind)[1]
    except Exception:  # the forms cannot say: the path's own words
        return tuple(_plain(p) for p in path)
    out: list[str] = []
    ctx = ""
    section = ""  # "1.2" while the path goes down through sections
    for i, part in enumerate(path):
        item_next = i + 1 < len(path) and isinstance(path[i + 1], int)
        if shape is not None and shape.kind == "union":
            shape = _variant(shape, part)
        if shape is None:
            out.append(_plain(part))
            continue
        if isinstance(part, int) and shape.kind == "array":
            if ctx == "sections":  # nested sections by their number: "Avsnitt 1.2"
                section = f"{section}.{part + 1}" if section else str(part + 1)
                if out and out[-1].startswith("Avsnitt "):
                    out.pop()
                out.append(f"Avsnitt {section}")
            else:
                out.append(f"{ITEM_LABELS.get(ctx, 'Post')} {part + 1}")
            # A row's items are its cells, by column.
            shape, ctx = shape.item, ("columns" if ctx == "rows" else ctx)
        elif shape.kind == "map":
            name = dict(names).get(str(part))
            out.append(f"{ITEM_LABELS.get(ctx, 'Post')} ”{name}”" if name
                       else f"{ITEM_LABELS.get(ctx, 'Post')} {part}")
            shape = shape.item
        elif shape.kind == "object" and part in shape.props:
            child = shape.prop(part)
            # A list named by its items' word ("Undertecknare 1", not "Undertecknare ›
            # Undertecknare 1"); block lists keep theirs ("Bakgrund › Block 1").
            if not ((item_next or (child.kind == "map" and i + 1 < len(path)))
                    and part in ITEM_LABELS
                    and part not in _BLOCK_LISTS):
                out.append(_label(part, shape.name, shape.props[part], child))
            shape, ctx = child, str(part)
        else:
            out.append(_plain(part))
            shape = None
    return tuple(out)


def names_at(kind: str, path: tuple[Any, ...]) -> list[str] | None:
    """The field names the object at path allows (as the forms' schema has them), or
    None when the path leads to no known object."""
    try:
        from .web.forms import _root

        shape: Any = _root(kind)[1]
    except Exception:
        return None
    for part in path:
        if shape is not None and shape.kind == "union":
            shape = _variant(shape, part)
        if shape is None:
            return None
        if shape.kind in ("array", "map"):
            shape = shape.item
        elif shape.kind == "object" and part in shape.props:
            shape = shape.prop(part)
        else:
            return None
    if shape is not None and shape.kind == "union":
        return sorted({p for _k, v in shape.variants if v.kind == "object" for p in v.props})
    return list(shape.props) if shape is not None and shape.kind == "object" else None


def _variant(union: Any, part: Any) -> Any:
    """The variant of a union a path step goes into (the block whose key it is)."""
    if isinstance(part, str):
        found = union.variant(part)
        if found is not None and found.kind == "object":
            return found
        for _key, shape in union.variants:
            if shape.kind == "object" and part in shape.props:
                return shape
    if isinstance(part, int):
        for _key, shape in union.variants:
            if shape.kind == "array":
                return shape
    return None


def _plain(part: Any) -> str:
    if isinstance(part, int):
        return f"nr {part + 1}"
    text = str(part).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def choice_label(value: Any) -> str:
    """A value the editor offers in a list, in its words: "Linje (lines)"."""
    try:
        from .web.forms.labels import _enum_label
    except Exception:
        return repr(value)
    return _enum_label(value)
