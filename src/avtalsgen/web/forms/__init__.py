"""Editing forms generated from the models' JSON Schema, not written field by field.

A field added to a model appears in the editor without a template change: `render`
walks the schema (objects, arrays, unions, dicts, scalars) and writes plain HTML form
controls; `parse` walks the same schema to read a posted form back into plain data;
`apply_action` performs the form's buttons (add, remove, move, change a block's kind).

Names. Every control's `name` is its field path in the notation of avtalsgen's error
messages (`sections[0].content[2].text`, see `avtalsgen.config.dotted`), so a problem
reported for a field lands on its control. Bookkeeping inputs carry a `__x__` suffix:

- `P.__len__` (hidden): the number of items of the array at P (an empty array too);
- `P.__bool__` (hidden): a checkbox at P was shown, so its absence means false; "1"
  when the data wrote the value, "0" when the default was shown;
- `P.__present__` (hidden): the optional object at P is present (possibly empty);
- `P.__variant__` (hidden) and `P.__kind__` (select): the variant of a union item as
  shown, and as wanted; when they differ `parse` converts the item (see below);
- `P.__keys__` (hidden) and `P.__key__` (text), once per entry in order: a dict's keys as
  shown and as edited (renaming an entry = editing its key field);
- `P.__json__` (hidden): a value of a shape this module does not know, edited as JSON.

Buttons. Plain `<button type="submit" name="action" value="VERB:PATH">` in the
enclosing form; the server parses the form, calls `apply_action` and renders again:
`add:P` (append an empty item to the array P, add an entry `ny` to the dict P, create
the optional object P), `remove:P` (a list item, dict entry or optional object),
`up:P` / `down:P` (move a list item; for a statistics table's `columns[j]` the column
of every row moves along), `kind:P=VARIANT` (change a union item's variant, keeping
its text). The "Byt" button next to a kind select sends `kind:P` without a variant:
`parse` has already converted the item to the selected variant, so it changes nothing.
The form should start with its own default submit button (e.g. "Spara"): pressing
Enter in a field submits with the first button of the form, and should not remove
anything. `<form novalidate>` keeps the browser from blocking a post over a number or
date field it considers wrong: the server validates and shows the problems.

Values. Empty optional fields are omitted (defaults apply, the YAML stays small); a
checkbox left at its default is omitted unless the data wrote it; empty required
fields are kept as "" so validation names them.
Strings are kept verbatim apart from "\\r\\n" -> "\\n". Where an empty field and a text
are ambiguous (an optional text, whose "" can mean "leave empty" as in `header_name`)
or a number and a text are (a table cell), an apostrophe marks the text, as in a
spreadsheet: `'` alone is the empty text, `'2014` the text "2014"; an apostrophe
before anything else is kept as written.

The markup needs one CSS class from the page: `visually-hidden` (text for screen
readers only: grid-cell labels, the context of a button).

This module holds the kinds and their schemas; the work is done by `shapes` (the
schema read into shapes), `labels` (the Swedish words), `fields` (names, ids, text),
`controls` and `render` (HTML), `parse` (form to data) and `actions` (the buttons).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from ... import model as m
from .actions import _apply
from .labels import (
    APOSTROPHE_HINT,
    CELL_HINT,
    CONTEXT_LABELS,
    ENUM_LABELS,
    ITEM_LABELS,
    ITEM_VARIANT_LABELS,
    KEY_LABELS,
    LABELS,
    LONG_ITEMS,
    LONG_TEXT,
    VARIANT_LABELS,
)
from .parse import _Parser
from .render import _Renderer
from .shapes import MISSING, _Schemas, _Shape

__all__ = [
    "APOSTROPHE_HINT", "CELL_HINT", "CONTEXT_LABELS", "ENUM_LABELS", "ITEM_LABELS",
    "ITEM_VARIANT_LABELS", "KEY_LABELS", "KINDS", "LABELS", "LONG_ITEMS", "LONG_TEXT",
    "MISSING", "VARIANT_LABELS", "apply_action", "parse", "render", "schema_for",
]

KINDS: dict[str, type[m.Model]] = {
    "municipality": m.Municipality,
    "document": m.Document,
    "statistics": m.Statistics,
    "section": m.Section,
}


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of a file kind ("municipality", "document", "statistics") or of
    one section ("section"), with its $defs, as Pydantic writes it (by alias)."""
    return copy.deepcopy(_root(kind)[0])


# Here with KINDS, not in `shapes`: `forms._ROOTS` must be the cache itself (tests
# swap it to try kinds of their own).
_ROOTS: dict[str, tuple[dict[str, Any], _Shape]] = {}


def _root(kind: str) -> tuple[dict[str, Any], _Shape]:
    if kind not in _ROOTS:
        try:
            model = KINDS[kind]
        except KeyError:
            raise ValueError(f"unknown form kind {kind!r}") from None
        schema = model.model_json_schema(by_alias=True)
        _ROOTS[kind] = (schema, _Schemas(schema.get("$defs", {})).shape(schema))
    return _ROOTS[kind]


def render(kind: str, value: Any, prefix: str = "",
           problems: Mapping[str, Sequence[str]] | None = None, *,
           exclude: Iterable[str] = frozenset(),
           tables: Mapping[str, str] | None = None) -> Markup:
    """The form fields for `value` (plain data) of a file kind or a section.

    `prefix` is the field path of `value` in its file (e.g. "sections[1].sections[0]"
    for one section of a document): every control's name starts with it. `problems`
    maps field paths to messages; each is shown next to its control, or on the nearest
    enclosing fieldset when the path has no control of its own. `exclude` names
    top-level properties edited elsewhere (not rendered; their problems not shown).
    `tables` (the municipality's statistics tables, id -> title) makes a block's
    `table` a choice among them instead of a typed id."""
    return Markup(_Renderer(_root(kind), problems or {}, prefix, exclude,
                            tables).render(value))


def parse(kind: str, form: Any, prefix: str = "", *,
          exclude: Iterable[str] = frozenset()) -> Any:
    """Plain data from a posted form made by `render` (a mapping of names to lists of
    values, or a multidict such as Starlette's FormData). Properties in `exclude` are
    left out of the result (merge them back from the stored data)."""
    _schema, shape = _root(kind)
    return _Parser(form, exclude).fields(shape, prefix, root=True)


def apply_action(kind: str, data: Any, action: str, *, prefix: str = "") -> Any:
    """Perform a form button on plain data (a copy is returned; `data` is unchanged).

    `add:P`, `remove:P`, `up:P`, `down:P`, `kind:P=VARIANT` (and `kind:P`, which
    changes nothing: `parse` already applied the kind select). P is a field path
    relative to `data` (a leading `prefix` is removed). Raises ValueError (or
    KeyError / IndexError) for an action or path that does not fit the data."""
    _schema, root = _root(kind)
    return _apply(root, data, action, prefix)
