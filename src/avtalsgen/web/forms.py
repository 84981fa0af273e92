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
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from .. import model as m

KINDS: dict[str, type[m.Model]] = {
    "municipality": m.Municipality,
    "document": m.Document,
    "statistics": m.Statistics,
    "section": m.Section,
}


class _Missing:
    """No value: the field is absent (omitted from the data)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# --- Swedish words ----------------------------------------------------------------

# Labels of known property names; a property not listed here is labelled with the
# first sentence of its (Swedish) description, so a new field always has a label.
LABELS: dict[str, str] = {
    "kommun": "Kommun", "polis": "Lokalpolisområde", "header": "Parternas namn i sidhuvudet",
    "period": "Period", "signing": "Undertecknande", "organisation": "Organisation",
    "documents": "Dokument", "status": "Status", "version": "Version",
    "version_date": "Versionsdatum", "logo": "Logotyp", "name": "Namn",
    "short_name": "Kort namn", "demonym": "Invånarbeteckning",
    "header_name": "Namn i sidhuvudet", "indefinite": "Obestämd form (Lulebor)",
    "definite": "Bestämd form (Luleborna)", "start": "Start", "end": "Slut",
    "place": "Ort", "date": "Datum", "year_only": "Visa bara året",
    "place_text": "Egen text för ort och datum", "title_position": "Titelns placering",
    "signatories": "Undertecknare", "title": "Titel", "party": "Part",
    "steering_group": "Styrgrupp", "preparatory_group": "Beredningsgrupp",
    "working_groups": "Arbetsgrupper", "heading": "Rubrik",
    "mandate": "Uppdrag och mandat", "members_intro": "Inledning till medlemslistan",
    "members": "Medlemmar", "reporting": "Rapportering", "tables": "Tabeller",
    "columns": "Kolumnrubriker", "rows": "Rader", "total": "Summarad", "unit": "Enhet",
    "decimals": "Decimaler", "source": "Källa", "sample_data": "Exempeldata",
    "label": "Etikett", "values": "Summor enligt källan", "type": "Dokumenttyp",
    "subtitle": "Undertitel", "adopted": "Antagen", "title_page": "Försättssida",
    "validity": "Giltighet", "toc": "Innehållsförteckningens rubrik",
    "toc_levels": "Rubriknivåer i innehållsförteckningen",
    "cover": "Innehåll på försättssidan", "sections": "Avsnitt", "closing": "Avslutning",
    "appendices": "Bilagor", "by": "Beslutande organ",
    "number_sections": "Numrera underavsnitten", "numbering": "Numrering",
    "in_toc": "Med i innehållsförteckningen", "page_break_before": "Börja på ny sida",
    "content": "Innehåll", "background": "Bakgrund", "problem": "Problembild",
    "goals": "Mål", "goals_numbered": "Numrera målen", "sub_goals": "Delmål",
    "commitments": "Åtaganden", "responsible": "Ansvarig", "timeline": "Tidplan",
    "methods": "Metod", "follow_up": "Uppföljning", "labels": "Egna etiketter",
    "continue": "Fortsätt numreringen", "format": "Format", "text": "Text",
    "footnote": "Fotnot", "style": "Stil", "bullets": "Punkter", "numbered": "Punkter",
    "clause": "Standardtext (nyckel)", "params": "Parametrar", "table": "Tabell (id)",
    "caption": "Bildtext", "column_styles": "Stil per kolumn", "chart": "Diagram",
    "kind": "Diagramtyp", "alt": "Alternativtext", "series": "Serier", "image": "Bild",
    "file": "Fil", "width": "Bredd (cm)", "group": "Grupp", "signatures": "Underskrifter",
    "measures": "Åtgärder", "causes": "Orsaker", "cause": "Orsak", "measure": "Åtgärd",
    "goal": "Operativt mål", "when": "När", "who": "Vem", "page_break": "Sidbrytning",
}
# (model, property) where the same name means something else.
CONTEXT_LABELS: dict[tuple[str, str], str] = {
    ("Period", "start"): "Första år", ("Period", "end"): "Sista år",
    ("Validity", "start"): "Första giltighetsdag", ("Validity", "end"): "Sista giltighetsdag",
    ("Numbering", "start"): "Första nummer", ("Table", "title"): "Rubrik",
    ("Measures", "title"): "Rubrik", ("TableBlock", "caption"): "Tabelltext",
    ("Group", "heading"): "Rubrik i dokumentet", ("Total", "label"): "Radens etikett",
    ("MeasuresBlock", "measures"): "Handlingsplan (Brå)",
}
# One item of an array, by the array's property name ("Avsnitt 2", "Mål 1").
ITEM_LABELS: dict[str, str] = {
    "sections": "Avsnitt", "content": "Block", "background": "Block", "problem": "Block",
    "methods": "Block", "mandate": "Block", "reporting": "Block", "cover": "Block",
    "closing": "Block", "goals": "Mål", "sub_goals": "Delmål", "commitments": "Åtagande",
    "responsible": "Ansvarig", "timeline": "Tidplan", "follow_up": "Uppföljning",
    "members": "Medlem", "signatories": "Undertecknare", "documents": "Dokument",
    "appendices": "Bilaga", "bullets": "Punkt", "numbered": "Punkt", "causes": "Orsak",
    "measures": "Åtgärd", "text": "Stycke", "values": "Summa", "column_styles": "Kolumn",
    "columns": "Kolumn", "rows": "Rad", "tables": "Tabell", "params": "Parameter",
}
KEY_LABELS = {"tables": "Id", "params": "Namn"}
# Union variants (the content blocks: model.BLOCK_KEYS, "plain" for a bare text).
VARIANT_LABELS: dict[str, str] = {
    "plain": "Stycke", "text": "Text med fotnot", "heading": "Underrubrik",
    "bullets": "Punktlista", "numbered": "Numrerad lista", "label": "Etikett",
    "clause": "Standardtext (clause)", "table": "Tabell", "chart": "Diagram",
    "image": "Bild", "group": "Grupp", "signatures": "Underskrifter",
    "measures": "Åtgärdstabell (Brå)", "page_break": "Sidbrytning",
}
# A list item that is text or text with a footnote (bullets, goals): not a paragraph.
ITEM_VARIANT_LABELS = {"plain": "Text", "text": "Text med fotnot"}
ENUM_LABELS: dict[str, str] = {
    "normal": "Normal", "emphasis": "Kursiv", "strong": "Fet", "quote": "Citat",
    "agreement": "Samverkansöverenskommelse", "action_plan": "Handlingsplan",
    "situation_report": "Lägesbild", "citizen_promises": "Medborgarlöften",
    "appendices": "Bilagor", "kommun": "Kommunen", "polis": "Polisen",
    "below": "Under namnet", "above": "Ovanför namnet", "draft": "Utkast",
    "final": "Slutlig", "number": "Antal", "percent": "Procent", "text": "Text",
    "line": "Linjediagram", "bar": "Stapeldiagram", "pie": "Cirkeldiagram",
    "rows": "Varje rad är en serie", "columns": "Varje kolumn är en serie",
    "steering_group": "Styrgrupp", "preparatory_group": "Beredningsgrupp",
    "working_groups": "Arbetsgrupper", "lines": "Linje", "dotted": "Prickad rad",
    "green": "Grön (enligt plan)", "yellow": "Gul (risk)", "red": "Röd (avvikelse)",
}
# Text that is usually longer than a line gets a <textarea> even without a newline:
# these properties, and the items of these lists ("plain": a paragraph block).
LONG_TEXT = frozenset({"text", "footnote", "members_intro", "cause"})
LONG_ITEMS = frozenset({
    "text", "content", "background", "problem", "methods", "mandate", "reporting", "cover",
    "closing", "goals", "sub_goals", "commitments", "follow_up", "bullets", "numbered",
    "timeline", "responsible", "plain",
})
APOSTROPHE_HINT = ("Lämna tomt för standard; skriv ' (en apostrof) för en tom text.")
CELL_HINT = ("Tal sparas som tal; börja med ' för att spara något som ser ut som ett tal "
             "som text (t.ex. '2014).")

# --- the schema -------------------------------------------------------------------


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of a file kind ("municipality", "document", "statistics") or of
    one section ("section"), with its $defs, as Pydantic writes it (by alias)."""
    return copy.deepcopy(_root(kind)[0])


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


@dataclass(eq=False)
class _Shape:
    """What the form needs to know about one schema node."""

    kind: str  # scalar | object | map | array | union | json
    schema: dict[str, Any]
    types: frozenset[str] = frozenset()  # scalar: string, integer, number, boolean
    nullable: bool = False
    enum: tuple[Any, ...] | None = None
    const: Any = MISSING
    fmt: str | None = None
    name: str | None = None  # the $defs name of an object
    description: str = ""
    props: dict[str, dict[str, Any]] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    item: _Shape | None = None  # array item, map value
    variants: tuple[tuple[str, _Shape], ...] = ()  # union: (key, shape)
    min_items: int = 0
    schemas: _Schemas | None = None

    def prop(self, name: str) -> _Shape:
        assert self.schemas is not None
        return self.schemas.shape(self.props[name])

    def variant(self, key: str) -> _Shape | None:
        return dict(self.variants).get(key)


class _Schemas:
    """Shapes of the nodes of one schema, resolved through its $defs (cached)."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.cache: dict[int, tuple[dict[str, Any], _Shape]] = {}
        self.named: dict[str, _Shape] = {}

    def shape(self, s: dict[str, Any]) -> _Shape:
        hit = self.cache.get(id(s))
        if hit is None:
            hit = (s, self._classify(s))
            self.cache[id(s)] = hit
        return hit[1]

    def _def(self, name: str) -> _Shape:
        if name not in self.named:
            target = self.defs[name]
            # A placeholder first: a model may contain itself (Section.sections).
            shape = _Shape("object", target, name=name, schemas=self)
            self.named[name] = shape
            filled = self._classify(target)
            shape.__dict__.update({**filled.__dict__, "name": name})
        return self.named[name]

    def _classify(self, s: dict[str, Any]) -> _Shape:
        desc = s.get("description", "")
        if "$ref" in s:
            return self._def(s["$ref"].rsplit("/", 1)[-1])
        alternatives = s.get("anyOf") or s.get("oneOf")
        if isinstance(s.get("type"), list):
            alternatives = [{**s, "type": t} for t in s["type"]]
        if alternatives:
            real = [a for a in alternatives if a.get("type") != "null"]
            nullable = len(real) < len(alternatives)
            shapes = [self.shape(a) for a in real]
            if len(shapes) == 1:
                return replace(shapes[0], nullable=True) if nullable else shapes[0]
            if shapes and all(x.kind == "scalar" and x.const is MISSING for x in shapes):
                types = frozenset().union(*(x.types for x in shapes))
                return _Shape("scalar", s, types=types, nullable=nullable, description=desc,
                              schemas=self)
            variants = tuple((_variant_key(x), x) for x in shapes)
            return _Shape("union", s, nullable=nullable, variants=variants,
                          description=desc, schemas=self)
        kind = s.get("type")
        if "const" in s:
            return _Shape("scalar", s, types=frozenset({kind or "string"}), const=s["const"],
                          description=desc, schemas=self)
        if kind in ("string", "integer", "number", "boolean"):
            enum = tuple(s["enum"]) if "enum" in s else None
            return _Shape("scalar", s, types=frozenset({kind}), enum=enum,
                          fmt=s.get("format"), description=desc, schemas=self)
        if kind == "object" or "properties" in s:
            extra = s.get("additionalProperties")
            patterns = s.get("patternProperties")
            if "properties" in s or extra is False:
                return _Shape("object", s, description=desc, props=s.get("properties", {}),
                              required=frozenset(s.get("required", ())), schemas=self)
            value = next(iter(patterns.values())) if patterns else extra
            if isinstance(value, dict):
                return _Shape("map", s, item=self.shape(value), description=desc,
                              schemas=self)
        if kind == "array" and isinstance(s.get("items"), dict):
            return _Shape("array", s, item=self.shape(s["items"]), description=desc,
                          min_items=s.get("minItems", 0), schemas=self)
        return _Shape("json", s, description=desc, schemas=self)


def _variant_key(shape: _Shape) -> str:
    """A union variant's name: "plain" for text, else the key that marks the block."""
    if shape.kind == "scalar":
        return "plain" if "string" in shape.types else sorted(shape.types)[0]
    if shape.kind == "object":
        if shape.required:
            return next(p for p in shape.props if p in shape.required)
        return (shape.name or "object").lower()
    return shape.kind


def _detect(union: _Shape, value: Any) -> str:
    """The variant a value is: for a mapping, the one whose keys it fits."""
    scalars = [(k, v) for k, v in union.variants if v.kind == "scalar"]
    objects = [(k, v) for k, v in union.variants if v.kind == "object"]
    if isinstance(value, dict):
        keys = set(value)
        fitting = [k for k, v in objects if v.required <= keys and keys <= set(v.props)]
        if fitting:
            return fitting[0]
        for k, v in objects:
            if k in keys and k in v.props:
                return k
        return objects[0][0] if objects else union.variants[0][0]
    if isinstance(value, list):
        arrays = [k for k, v in union.variants if v.kind == "array"]
        if arrays:
            return arrays[0]
    if scalars:
        return scalars[0][0]
    return union.variants[0][0]


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?)(?:[.;:](?:\s|$)|\s\()", text)
    sentence = (match.group(1) if match else text).rstrip(".")
    return sentence[:1].upper() + sentence[1:]


def _label(prop: str, model_name: str | None, schema: dict[str, Any],
           shape: _Shape | None = None) -> str:
    if (model_name or "", prop) in CONTEXT_LABELS:
        return CONTEXT_LABELS[(model_name or "", prop)]
    if prop in LABELS:
        return LABELS[prop]
    desc = schema.get("description") or (shape.description if shape else "")
    if desc:
        return _first_sentence(desc)
    return prop.replace("_", " ").capitalize()


def _variant_label(union: _Shape, key: str) -> str:
    keys = {k for k, _ in union.variants}
    if keys == {"plain", "text"} and key in ITEM_VARIANT_LABELS:
        return ITEM_VARIANT_LABELS[key]
    if key in VARIANT_LABELS:
        return VARIANT_LABELS[key]
    shape = union.variant(key)
    if shape is not None and shape.description:
        return _first_sentence(shape.description)
    return key


def _enum_label(value: Any) -> str:
    if value is True:
        return "Ja"
    if value is False:
        return "Nej"
    word = ENUM_LABELS.get(str(value))
    if word is None or word.lower() == str(value).lower():
        return word or str(value)
    return f"{word} ({value})"


def _option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- names and ids ----------------------------------------------------------------


def _join(base: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{base}[{part}]"
    return f"{base}.{part}" if base else part


def _id(kind: str, name: str) -> str:
    # Percent-encoding keeps the id unique (injective) and free of spaces.
    return f"{kind}-{quote(name, safe='[].') or '_'}"


def _under(path: str, anchor: str) -> bool:
    """Whether the field path is the anchor or inside it."""
    if not anchor:
        return True
    return path == anchor or path.startswith((anchor + ".", anchor + "["))


def _text(value: Any) -> str:
    if value is None or value is MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_COMMA = re.compile(r"[+-]?\d+,\d+")


def _number(text: str, types: Iterable[str]) -> Any:
    """The number a text is (a decimal comma too), or MISSING."""
    if not set(types) & {"integer", "number"} or len(text) > 400:
        return MISSING  # no figure in a table is that long: keep it as text
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text) or _COMMA.fullmatch(text):
        number = float(text.replace(",", "."))
        return number if math.isfinite(number) else MISSING
    return MISSING


def _ambiguous(text: str, numbers: bool) -> bool:
    """Whether a text needs the apostrophe to be read back as this text."""
    if text == "" or (numbers and _number(text, {"number"}) is not MISSING):
        return True
    return text.startswith("'") and _ambiguous(text[1:], numbers)


def _quote_text(text: str, numbers: bool) -> str:
    return "'" + text if _ambiguous(text, numbers) else text


def _unquote_text(text: str, numbers: bool) -> tuple[str, bool]:
    """(text, whether it was marked as text)."""
    if text.startswith("'") and _ambiguous(text[1:], numbers):
        return text[1:], True
    return text, False


# --- rendering --------------------------------------------------------------------


@dataclass
class _F:
    """One field being rendered or parsed."""

    name: str
    label: str = ""
    help: str = ""
    required: bool = False
    default: Any = MISSING
    ctx: str = ""  # the property (or, for an item, the array's property) it belongs to
    item: bool = False  # a list item or table cell: positional, never omitted
    empty_text: bool = False  # "" means something here (the schema says so)


def _attrs(**attrs: Any) -> str:
    out = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        key = key.rstrip("_").replace("_", "-")
        out.append(f" {key}" if value is True else f' {key}="{escape(value)}"')
    return "".join(out)


def _button(action: str, text: str, context: str = "", *, disabled: bool = False,
            cls: str = "") -> str:
    hidden = f'<span class="visually-hidden"> {escape(context)}</span>' if context else ""
    return (f'<button type="submit" name="action"{_attrs(value=action, class_=cls or None)}'
            f'{" disabled" if disabled else ""}>{escape(text)}{hidden}</button>')


def _hidden(name: str, value: Any) -> str:
    return f'<input type="hidden"{_attrs(name=name, value=_text(value))}>'


class _Renderer:
    def __init__(self, kind: str, problems: Mapping[str, list[str]], prefix: str,
                 exclude: Iterable[str]) -> None:
        self.root_schema, self.root = _root(kind)
        self.prefix = prefix
        self.exclude = frozenset(exclude)
        self.unclaimed: dict[str, list[str]] = {}
        for path, messages in (problems or {}).items():
            if not _under(path, prefix):
                continue
            rest = path[len(prefix):].lstrip(".") if prefix else path
            top = re.split(r"[.\[]", rest, maxsplit=1)[0]
            if top in self.exclude:
                continue  # edited elsewhere
            if messages:
                self.unclaimed[path] = [str(x) for x in messages]
        self.count = 0

    # -- problems --------------------------------------------------------------------
    def _claim(self, names: Iterable[str], exact: bool) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for path in list(self.unclaimed):
            for name in names:
                if path == name or (not exact and _under(path, name)):
                    found += [(path, msg) for msg in self.unclaimed.pop(path)]
                    break
        return found

    def _problem_html(self, name: str, found: list[tuple[str, str]],
                      anchor: str) -> tuple[str, list[str]]:
        html, ids = [], []
        for path, message in found:
            self.count += 1
            pid = f"{_id('p', name)}-{self.count}"
            ids.append(pid)
            where = ""
            if path != anchor:
                rel = path[len(anchor):].lstrip(".") if anchor else path
                where = f'<span class="where">{escape(rel)}:</span> '
            html.append(f'<p class="problem" id="{escape(pid)}">{where}{escape(message)}</p>')
        return "".join(html), ids

    # -- dispatch --------------------------------------------------------------------
    def value(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        if shape.kind == "scalar":
            return self.scalar(shape, value, f, buttons=buttons)
        if shape.kind == "object":
            return self.object(shape, value, f, buttons=buttons)
        if shape.kind == "map":
            return self.map(shape, value, f, buttons=buttons)
        if shape.kind == "array":
            return self.array(shape, value, f, buttons=buttons)
        if shape.kind == "union":
            return self.union(shape, value, f, buttons=buttons)
        return self.json(shape, value, f, buttons=buttons)

    def render(self, value: Any) -> str:
        body = self.fields(self.root, value if isinstance(value, dict) else {}, self.prefix,
                           root=True)
        rest = self._claim([self.prefix], exact=False)
        # Problems of fields the schema does not have (an unknown key) land here too.
        problems, _ids = self._problem_html(self.prefix or "root", rest, self.prefix)
        return f'<div class="form-fields">{problems}{body}</div>'

    # -- scalars ---------------------------------------------------------------------
    def scalar(self, shape: _Shape, value: Any, f: _F, *, cell: bool = False,
               buttons: str = "") -> str:
        name = f.name
        if shape.const is not MISSING:
            return _hidden(name, shape.const)
        cid = _id("f", name)
        problems, pids = self._problem_html(name, self._claim([name], exact=True), name)
        hint = ""
        types = shape.types
        numbers = bool(types & {"integer", "number"})
        mixed = "string" in types and numbers
        if mixed and not cell:
            hint = CELL_HINT
        elif (types == {"string"} and shape.nullable and shape.enum is None
              and not cell and not f.item and f.empty_text):
            hint = APOSTROPHE_HINT
        help_text = " ".join(x for x in (f.help, hint) if x) if not cell else ""
        hid = _id("h", name)
        described = ([hid] if help_text else []) + pids
        common = {"id": cid, "name": name,
                  "aria_describedby": " ".join(described) or None,
                  "aria_invalid": "true" if pids else None,
                  "aria_required": "true" if f.required and not f.item else None}
        label_cls = ' class="visually-hidden"' if cell else ""
        label = f'<label for="{escape(cid)}"{label_cls}>{escape(f.label)}</label>'
        help_html = (f'<p class="help" id="{escape(hid)}">{escape(help_text)}</p>'
                     if help_text else "")
        if types == {"boolean"} and not shape.nullable and shape.enum is None:
            # The marker says whether the file writes the value: then it stays written.
            control = (_hidden(f"{name}.__bool__", "0" if value is MISSING else "1")
                       + f'<input type="checkbox"{_attrs(**common, value="true")}'
                       + (" checked" if value is True or (value is MISSING and f.default is True)
                          else "") + ">")
            return (f'<div class="field field-checkbox">{control} {label}{help_html}'
                    f"{problems}{buttons}</div>")
        if shape.enum is not None or types == {"boolean"}:
            control = self._select(shape, value, f, common)
            cls = "field-select"
        elif shape.fmt == "date" and types == {"string"}:
            text = _text(value)
            valid = text == "" or _is_date(text)
            control = f'<input{_attrs(type="date" if valid else "text", **common, value=text)}>'
            cls = "field-date"
        elif numbers and not mixed:
            if value not in (None, MISSING, "") and (
                    isinstance(value, bool) or not isinstance(value, (int, float))):
                # Not a number: a number field would drop it, so it stays visible as text.
                control = f'<input{_attrs(type="text", **common, value=_text(value))}>'
            else:
                attrs = _attrs(type="number", step="any", inputmode="decimal", **common,
                               value=_text(value))
                control = f"<input{attrs}>"
            cls = "field-number"
        else:
            if mixed:
                text = (_quote_text(value, True) if isinstance(value, str) else _text(value))
            elif shape.nullable and isinstance(value, str):
                text = _quote_text(value, False)
            else:
                text = _text(value)
            long = ((not cell and f.ctx in (LONG_ITEMS if f.item else LONG_TEXT))
                    or len(text) > 80)
            if "\n" in text or "\r" in text or long:
                lines = text.count("\n") + 1 + len(text) // 70
                rows = max(2, min(lines, 16)) if not cell else max(1, min(lines, 6))
                # A browser drops a newline right after the start tag: a text that starts
                # with a newline gets one more, so it keeps its own.
                lead = "\n" if text.startswith(("\n", "\r")) else ""
                control = (f"<textarea{_attrs(**common, rows=rows)}>{lead}{escape(text)}"
                           "</textarea>")
                cls = "field-textarea"
            else:
                control = f'<input{_attrs(type="text", **common, value=text)}>'
                cls = "field-text"
        return (f'<div class="field {cls}">{label}{control}{help_html}{problems}{buttons}'
                "</div>")

    def _select(self, shape: _Shape, value: Any, f: _F, common: dict[str, Any]) -> str:
        choices: list[Any] = list(shape.enum) if shape.enum is not None else [True, False]
        current = "" if value is None or value is MISSING else _option_value(value)
        options = []
        if shape.nullable or (not f.required and not f.item):
            if f.default is not MISSING and f.default is not None:
                empty = f"(standard: {_enum_label(f.default)})"
            else:
                empty = "(standard)" if not f.item else "(ingen)"
            options.append(("", empty))
        elif current == "" or current not in {_option_value(c) for c in choices}:
            options.append(("", "(välj)"))
        options += [(_option_value(c), _enum_label(c)) for c in choices]
        if current and current not in {v for v, _ in options}:
            options.append((current, f"{current} (ogiltigt värde)"))
        html = "".join(f'<option{_attrs(value=v, selected=v == current)}>{escape(t)}</option>'
                       for v, t in options)
        return f"<select{_attrs(**common)}>{html}</select>"

    # -- objects ---------------------------------------------------------------------
    def fields(self, shape: _Shape, value: dict[str, Any], name: str, *,
               root: bool = False) -> str:
        parts: list[str] = []
        grid = _table_pair(shape)
        for prop, schema in shape.props.items():
            if root and prop in self.exclude:
                continue
            child = shape.prop(prop)
            if grid and prop in ("columns", "rows"):
                if prop == next(p for p in shape.props if p in ("columns", "rows")):
                    parts.append(self.table_grid(shape, value, name))
                continue
            description = schema.get("description") or child.description
            f = _F(_join(name, prop), _label(prop, shape.name, schema, child), description,
                   prop in shape.required, schema.get("default", MISSING), prop,
                   empty_text='""' in description + shape.description)
            parts.append(self.value(child, value.get(prop, MISSING), f))
        unknown = [k for k in value if k not in shape.props
                   and not (root and k in self.exclude)]
        for key in unknown:
            parts.append(f'<p class="problem">Okänd nyckel {escape(repr(key))}: visas inte här '
                         "och försvinner när formuläret sparas.</p>")
        return "".join(parts)

    def object(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        gid = _id("g", f.name)
        optional = shape.nullable and not f.item
        absent = value is MISSING or value is None
        legend = escape(f.label)
        if optional and absent:
            body = _button(f"add:{f.name}", "Lägg till", f.label)
        else:
            value = value if isinstance(value, dict) else {}
            body = self.fields(shape, value, f.name)
            if optional:
                body = (_hidden(f"{f.name}.__present__", "1") + body
                        + _button(f"remove:{f.name}", "Ta bort", f.label))
        return self._fieldset("object", gid, f.name, legend, f.help, body + buttons)

    def _fieldset(self, cls: str, gid: str, name: str | Iterable[str], legend: Any,
                  help_text: str, body: str, *, extra_attrs: str = "") -> str:
        names = [name] if isinstance(name, str) else list(name)
        problems, pids = self._problem_html(names[0], self._claim(names, exact=False),
                                            names[0])
        hid = _id("hg", names[0])
        help_html = (f'<p class="help" id="{escape(hid)}">{escape(help_text)}</p>'
                     if help_text else "")
        described = ([hid] if help_text else []) + pids
        return (f'<fieldset{_attrs(class_=cls, id=gid)}'
                f'{_attrs(aria_describedby=" ".join(described) or None)}{extra_attrs}>'
                f"<legend>{legend}</legend>{help_html}{problems}{body}</fieldset>")

    # -- dicts -----------------------------------------------------------------------
    def map(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        entries = value if isinstance(value, dict) else {}
        assert shape.item is not None
        singular = ITEM_LABELS.get(f.ctx, "Post")
        key_label = KEY_LABELS.get(f.ctx, "Nyckel")
        parts = [_hidden(f"{f.name}.__map__", "1")]
        for key, item in entries.items():
            key = str(key)
            entry = _join(f.name, key)
            kid = _id("f", f"{entry}.__key__")
            key_input = (_hidden(f"{f.name}.__keys__", key)
                         + f'<div class="field field-key"><label for="{escape(kid)}">'
                         f"{escape(key_label)}</label><input"
                         + _attrs(type="text", id=kid, name=f"{f.name}.__key__", value=key)
                         + "></div>")
            remove = _button(f"remove:{entry}", "Ta bort", f"{singular} {key}")
            child = _F(entry, "Värde" if shape.item.kind == "scalar" else f"{singular} {key}",
                       "", True, MISSING, f.ctx, item=True)
            if shape.item.kind == "object":
                inner = key_input + self.fields(shape.item, item if isinstance(item, dict)
                                                else {}, entry)
            else:
                inner = key_input + self.value(shape.item, item, child)
            parts.append(self._fieldset("entry", _id("g", entry), entry,
                                        escape(f"{singular}: {key}"), "", inner + remove))
        parts.append(_button(f"add:{f.name}", "Lägg till", singular.lower()))
        return self._fieldset("map", _id("g", f.name), f.name, escape(f.label), f.help,
                              "".join(parts) + buttons)

    # -- arrays ----------------------------------------------------------------------
    def array(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        items = value if isinstance(value, list) else []
        item = shape.item
        assert item is not None
        if item.kind == "array" and item.item is not None and item.item.kind == "scalar":
            return self.table_grid(None, None, f.name, rows=(shape, items, f)) + buttons
        if item.kind == "object" and item.props and all(
                item.prop(p).kind == "scalar" for p in item.props):
            return self.object_grid(shape, items, f) + buttons
        singular = ITEM_LABELS.get(f.ctx, "Nr")
        lis = []
        for i, it in enumerate(items):
            iname = f"{f.name}[{i}]"
            label = f"{singular} {i + 1}"
            if isinstance(it, dict):
                title = next((it[k] for k in ("heading", "title", "name", "cause")
                              if isinstance(it.get(k), str) and it[k].strip()), None)
                if title:
                    label += f": {title[:60]}"
            move = self._item_buttons(f.name, i, len(items), f"{singular} {i + 1}")
            child = _F(iname, label, "", True, MISSING, f.ctx, item=True)
            lis.append(f'<li class="item">{self.value(item, it, child, buttons=move)}</li>')
        body = _hidden(f"{f.name}.__len__", len(items))
        if lis:
            body += f'<ol class="items">{"".join(lis)}</ol>'
        body += _button(f"add:{f.name}", "Lägg till", singular.lower(), cls="add")
        return self._fieldset("list", _id("g", f.name), f.name, escape(f.label), f.help,
                              body + buttons)

    def _item_buttons(self, array: str, i: int, n: int, context: str) -> str:
        path = f"{array}[{i}]"
        return ('<div class="item-actions">'
                + _button(f"up:{path}", "Upp", context, disabled=i == 0)
                + _button(f"down:{path}", "Ned", context, disabled=i == n - 1)
                + _button(f"remove:{path}", "Ta bort", context)
                + "</div>")

    # -- grids -----------------------------------------------------------------------
    def table_grid(self, owner: _Shape | None, value: dict[str, Any] | None, name: str, *,
                   rows: tuple[_Shape, list[Any], _F] | None = None) -> str:
        """A table of inputs: a statistics table's columns and rows (owner given), or
        any array of arrays of scalars (rows given)."""
        columns: list[Any] | None = None
        if owner is not None:
            value = value or {}
            rows_shape = owner.prop("rows")
            cols_shape = owner.prop("columns")
            rows_v = value.get("rows") if isinstance(value.get("rows"), list) else []
            columns = value.get("columns") if isinstance(value.get("columns"), list) else []
            rows_name, cols_name = _join(name, "rows"), _join(name, "columns")
            legend = "Tabellens kolumner och rader"
            help_text = " ".join(x for x in (
                owner.props["columns"].get("description", ""),
                owner.props["rows"].get("description", ""), CELL_HINT) if x)
        else:
            assert rows is not None
            rows_shape, rows_v, f = rows
            cols_shape = None
            rows_name, cols_name = f.name, ""
            legend, help_text = f.label, " ".join(x for x in (f.help, CELL_HINT) if x)
        assert rows_shape.item is not None and rows_shape.item.item is not None
        cell = rows_shape.item.item
        rows_v = [r if isinstance(r, list) else [] for r in rows_v]
        width = max([len(columns or [])] + [len(r) for r in rows_v] + [0])
        hidden = [_hidden(f"{rows_name}.__len__", len(rows_v))]
        hidden += [_hidden(f"{rows_name}[{i}].__len__", len(r)) for i, r in enumerate(rows_v)]
        head = []
        names = []
        for j in range(width):
            if columns is not None and j < len(columns):
                assert cols_shape is not None and cols_shape.item is not None
                cname = f"{cols_name}[{j}]"
                control = self.scalar(cols_shape.item, columns[j],
                                      _F(cname, f"Kolumnrubrik {j + 1}", item=True), cell=True)
                context = f"kolumn {j + 1}"
                control += ('<div class="column-actions">'
                            + _button(f"up:{cname}", "Vänster", context, disabled=j == 0)
                            + _button(f"down:{cname}", "Höger", context,
                                      disabled=j == len(columns) - 1)
                            + _button(f"remove:{cname}", "Ta bort kolumn", context)
                            + "</div>")
                names.append(_text(columns[j]) or f"kolumn {j + 1}")
            else:
                control = f"Kolumn {j + 1}"
                names.append(f"kolumn {j + 1}")
            head.append(f'<th scope="col">{control}</th>')
        head.append('<th scope="col">Rad</th>')
        body = []
        for i, row in enumerate(rows_v):
            cells = []
            for j in range(width):
                if j >= len(row):
                    cells.append("<td></td>")
                    continue
                cname = f"{rows_name}[{i}][{j}]"
                control = self.scalar(cell, row[j], _F(cname, f"Rad {i + 1}, {names[j]}",
                                                       item=True), cell=True)
                cells.append(f"<td>{control}</td>")
            context = f"rad {i + 1}"
            cells.append('<td class="row-actions">'
                         + _button(f"up:{rows_name}[{i}]", "Upp", context, disabled=i == 0)
                         + _button(f"down:{rows_name}[{i}]", "Ned", context,
                                   disabled=i == len(rows_v) - 1)
                         + _button(f"remove:{rows_name}[{i}]", "Ta bort", context) + "</td>")
            body.append(f"<tr>{''.join(cells)}</tr>")
        foot = ""
        total = _total_preview(owner, value) if owner is not None else None
        if total:
            tds = "".join(f"<td>{escape(t)}</td>" for t in total[1:])
            foot = (f'<tfoot><tr class="computed"><th scope="row">{escape(total[0])}</th>'
                    f"{tds}<td>(räknas fram)</td></tr></tfoot>")
        table = (f'<table class="grid"><caption class="visually-hidden">{escape(legend)}'
                 f"</caption><thead><tr>{''.join(head)}</tr></thead>"
                 f"<tbody>{''.join(body)}</tbody>{foot}</table>")
        actions = _button(f"add:{rows_name}", "Lägg till rad", cls="add")
        if columns is not None:
            hidden.insert(0, _hidden(f"{cols_name}.__len__", len(columns)))
            actions += _button(f"add:{cols_name}", "Lägg till kolumn", cls="add")
        anchors = [rows_name] + ([cols_name] if columns is not None else [])
        return self._fieldset("grid", _id("g", rows_name), anchors, escape(legend), help_text,
                              "".join(hidden) + table + actions)

    def object_grid(self, shape: _Shape, items: list[Any], f: _F) -> str:
        """An array of objects whose properties are all scalars, as a table."""
        item = shape.item
        assert item is not None
        singular = ITEM_LABELS.get(f.ctx, "Rad")
        props = list(item.props)
        head = "".join(
            f'<th scope="col"{_attrs(title=item.props[p].get("description"))}>'
            f"{escape(_label(p, item.name, item.props[p], item.prop(p)))}</th>" for p in props)
        rows = []
        for i, it in enumerate(items):
            it = it if isinstance(it, dict) else {}
            iname = f"{f.name}[{i}]"
            cells = []
            for p in props:
                label = f"{singular} {i + 1}: {_label(p, item.name, item.props[p])}"
                child = _F(_join(iname, p), label, "", p in item.required,
                           item.props[p].get("default", MISSING), p)
                control = self.scalar(item.prop(p), it.get(p, MISSING), child, cell=True)
                cells.append(f"<td>{control}</td>")
            context = f"{singular.lower()} {i + 1}"
            cells.append('<td class="row-actions">'
                         + _button(f"up:{iname}", "Upp", context, disabled=i == 0)
                         + _button(f"down:{iname}", "Ned", context,
                                   disabled=i == len(items) - 1)
                         + _button(f"remove:{iname}", "Ta bort", context) + "</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        table = (f'<table class="grid"><caption class="visually-hidden">{escape(f.label)}'
                 f'</caption><thead><tr>{head}<th scope="col">Rad</th></tr></thead>'
                 f"<tbody>{''.join(rows)}</tbody></table>")
        body = (_hidden(f"{f.name}.__len__", len(items)) + table
                + _button(f"add:{f.name}", "Lägg till", singular.lower(), cls="add"))
        return self._fieldset("grid", _id("g", f.name), f.name, escape(f.label), f.help, body)

    # -- unions ----------------------------------------------------------------------
    def union(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        absent = value is MISSING or value is None
        if absent and shape.nullable and not f.item:
            body = _button(f"add:{f.name}", "Lägg till", f.label)
            return self._fieldset("union", _id("g", f.name), f.name, escape(f.label), f.help,
                                  body + buttons)
        key = _detect(shape, "" if absent else value)
        variant = shape.variant(key)
        assert variant is not None
        kname = f"{f.name}.__kind__"
        kid = _id("f", kname)
        options = "".join(
            f'<option{_attrs(value=k, selected=k == key)}>{escape(_variant_label(shape, k))}'
            "</option>" for k, _ in shape.variants)
        chooser = (f'<div class="field field-kind"><label for="{escape(kid)}">Typ</label>'
                   f'<select{_attrs(id=kid, name=kname)}>{options}</select> '
                   + _button(f"kind:{f.name}", "Byt", f"typ för {f.label}")
                   + _hidden(f"{f.name}.__variant__", key) + "</div>")
        if variant.kind == "object":
            inner = self.fields(variant, value if isinstance(value, dict) else {}, f.name)
        else:
            child = _F(f.name, _variant_label(shape, key), "", True, MISSING,
                       "plain" if f.ctx in LONG_ITEMS else f.ctx, item=True)
            inner = self.value(variant, "" if absent else value, child)
        legend = escape(f"{f.label} – {_variant_label(shape, key)}")
        return self._fieldset("union", _id("g", f.name), f.name, legend, f.help,
                              chooser + inner + buttons)

    # -- anything else ---------------------------------------------------------------
    def json(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        text = "" if value is MISSING else json.dumps(value, ensure_ascii=False, indent=1,
                                                       default=_text)
        child = _F(f.name, f"{f.label} (JSON)", f.help, f.required, MISSING, "text", f.item)
        control = self.scalar(_Shape("scalar", {}, types=frozenset({"string"})), text, child)
        return _hidden(f"{f.name}.__json__", "1") + control + buttons


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def _table_pair(shape: _Shape) -> bool:
    """An object with `columns` (scalars) and `rows` (arrays of scalars): one grid."""
    if shape.kind != "object" or not {"columns", "rows"} <= set(shape.props):
        return False
    cols, rows = shape.prop("columns"), shape.prop("rows")
    return (cols.kind == "array" and cols.item is not None and cols.item.kind == "scalar"
            and rows.kind == "array" and rows.item is not None and rows.item.kind == "array"
            and rows.item.item is not None and rows.item.item.kind == "scalar")


def _total_preview(owner: _Shape, value: Any) -> list[str] | None:
    """The total row of a statistics table as it will print, when the table validates."""
    if owner.name != "Table" or not isinstance(value, dict) or not value.get("total"):
        return None
    from ..context import table_item

    try:
        table = m.Table.model_validate(value)
        return table_item("", table)["total"]
    except Exception:  # a table that does not validate shows no total
        return None


def render(kind: str, value: Any, prefix: str = "",
           problems: Mapping[str, list[str]] | None = None, *,
           exclude: Iterable[str] = frozenset()) -> Markup:
    """The form fields for `value` (plain data) of a file kind or a section.

    `prefix` is the field path of `value` in its file (e.g. "sections[1].sections[0]"
    for one section of a document): every control's name starts with it. `problems`
    maps field paths to messages; each is shown next to its control, or on the nearest
    enclosing fieldset when the path has no control of its own. `exclude` names
    top-level properties edited elsewhere (not rendered; their problems not shown)."""
    return Markup(_Renderer(kind, problems or {}, prefix, exclude).render(value))


# --- parsing ----------------------------------------------------------------------


class _Form:
    """A posted form as {name: [values]} (a dict of lists or a multidict)."""

    def __init__(self, form: Any) -> None:
        self.data: dict[str, list[str]] = {}
        if hasattr(form, "getlist"):
            items = ((k, v) for k in list(form.keys()) for v in form.getlist(k))
        else:
            items = ((k, v) for k, vs in form.items()
                     for v in (vs if isinstance(vs, (list, tuple)) else [vs]))
        for key, value in items:
            if isinstance(value, str):
                self.data.setdefault(key, []).append(value)

    def get(self, name: str) -> str | None:
        values = self.data.get(name)
        return values[0].replace("\r\n", "\n") if values else None

    def getlist(self, name: str) -> list[str]:
        return [v.replace("\r\n", "\n") for v in self.data.get(name, [])]


class _Parser:
    def __init__(self, form: Any, exclude: Iterable[str]) -> None:
        self.form = _Form(form)
        self.exclude = frozenset(exclude)
        # Every item shown has at least one input: the counts a form claims are bounded
        # by its size, so a forged `__len__` cannot make parsing run away.
        self.budget = 2 * sum(len(v) for v in self.form.data.values()) + 100

    def value(self, shape: _Shape, f: _F) -> Any:
        kind = shape.kind
        if kind == "scalar":
            return self.scalar(shape, f)
        if kind == "object":
            return self.object(shape, f)
        if kind == "map":
            return self.map(shape, f)
        if kind == "array":
            return self.array(shape, f)
        if kind == "union":
            return self.union(shape, f)
        return self.json(f)

    def _empty(self, shape: _Shape, f: _F) -> Any:
        if f.item:
            return None if shape.nullable else ""
        return "" if f.required else MISSING

    def scalar(self, shape: _Shape, f: _F) -> Any:
        if shape.const is not MISSING:
            return shape.const
        types = shape.types
        if types == {"boolean"} and not shape.nullable and shape.enum is None:
            shown = self.form.get(f"{f.name}.__bool__")
            if shown is None:
                return MISSING
            checked = self.form.get(f.name) is not None
            if not f.item and not f.required and shown != "1":
                default = f.default if f.default is not MISSING else False
                if checked == default:
                    return MISSING
            return checked
        text = self.form.get(f.name)
        if text is None:
            return MISSING
        if shape.enum is not None or types == {"boolean"}:
            if text == "":
                return self._empty(shape, f)
            choices = list(shape.enum) if shape.enum is not None else [True, False]
            return next((c for c in choices if _option_value(c) == text), text)
        numbers = bool(types & {"integer", "number"})
        mixed = "string" in types and numbers
        if mixed or (types == {"string"} and shape.nullable):
            text, marked = _unquote_text(text, numbers)
            if marked:
                return text
        if text == "":
            return self._empty(shape, f)
        if numbers:
            number = _number(text, types)
            if number is not MISSING:
                return number
        if shape.fmt == "date" and _is_date(text):
            return dt.date.fromisoformat(text)  # written back as a YAML date, unquoted
        return text  # a string, or what validation will name as not a number

    def fields(self, shape: _Shape, name: str, *, root: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop, schema in shape.props.items():
            if root and prop in self.exclude:
                continue
            f = _F(_join(name, prop), required=prop in shape.required,
                   default=schema.get("default", MISSING), ctx=prop)
            value = self.value(shape.prop(prop), f)
            if value is not MISSING:
                out[prop] = value
        return out

    def object(self, shape: _Shape, f: _F) -> Any:
        if shape.nullable:
            if self.form.get(f"{f.name}.__present__") is None:
                return None if f.item else MISSING
            return self.fields(shape, f.name)
        out = self.fields(shape, f.name)
        if not out and not f.required and not f.item:
            return MISSING
        return out

    def map(self, shape: _Shape, f: _F) -> Any:
        if self.form.get(f"{f.name}.__map__") is None:
            return MISSING
        assert shape.item is not None
        out: dict[str, Any] = {}
        old_keys = self.form.getlist(f"{f.name}.__keys__")
        new_keys = self.form.getlist(f"{f.name}.__key__")
        for i, old in enumerate(old_keys):
            new = new_keys[i] if i < len(new_keys) else old
            if new == "" or new in out:
                new = old if old not in out else f"{old}-{i + 1}"
            child = _F(_join(f.name, old), required=True, ctx=f.ctx, item=True)
            if shape.item.kind == "object":
                value: Any = self.fields(shape.item, child.name)
            else:
                value = self.value(shape.item, child)
            out[new] = None if value is MISSING else value
        if not out and not f.required and not f.item:
            return MISSING
        return out

    def array(self, shape: _Shape, f: _F) -> Any:
        count = self.form.get(f"{f.name}.__len__")
        if count is None or not re.fullmatch(r"[0-9]{1,7}", count):
            return MISSING
        assert shape.item is not None
        n = min(int(count), max(self.budget, 0))
        self.budget -= n
        items = []
        for i in range(n):
            value = self.value(shape.item, _F(f"{f.name}[{i}]", required=True, ctx=f.ctx,
                                              item=True))
            items.append(None if value is MISSING else value)
        if not items and not f.required and not f.item:
            return MISSING
        return items

    def union(self, shape: _Shape, f: _F) -> Any:
        shown = self.form.get(f"{f.name}.__variant__")
        wanted = self.form.get(f"{f.name}.__kind__")
        key = shown or wanted
        variant = shape.variant(key) if key else None
        if variant is None:
            return None if f.item and shape.nullable else MISSING
        if variant.kind == "object":
            value = self.fields(variant, f.name)
        else:
            value = self.value(variant, replace(f, required=True, item=True))
            value = "" if value is MISSING else value
        if wanted and wanted != key and shape.variant(wanted) is not None:
            value = _convert(shape, value, wanted)
        return value

    def json(self, f: _F) -> Any:
        if self.form.get(f"{f.name}.__json__") is None:
            return MISSING
        text = self.form.get(f.name) or ""
        if text.strip() == "":
            return self._empty(_Shape("json", {}), f)
        try:
            return json.loads(text)
        except ValueError:
            return text


def parse(kind: str, form: Any, prefix: str = "", *,
          exclude: Iterable[str] = frozenset()) -> Any:
    """Plain data from a posted form made by `render` (a mapping of names to lists of
    values, or a multidict such as Starlette's FormData). Properties in `exclude` are
    left out of the result (merge them back from the stored data)."""
    _schema, shape = _root(kind)
    return _Parser(form, exclude).fields(shape, prefix, root=True)


# --- editing actions --------------------------------------------------------------


def _empty(shape: _Shape, depth: int = 0) -> Any:
    """A new, empty value of a shape: what "Lägg till" appends."""
    if depth > 20:
        return None
    if shape.kind == "union":
        plain = shape.variant("plain")
        return "" if plain is not None else _empty(shape.variants[0][1], depth + 1)
    if shape.kind == "object":
        return {p: _empty(shape.prop(p), depth + 1) for p in shape.props if p in shape.required}
    if shape.kind == "array":
        assert shape.item is not None
        return [_empty(shape.item, depth + 1) for _ in range(shape.min_items)]
    if shape.kind == "map":
        return {}
    if shape.kind == "scalar":
        if shape.const is not MISSING:
            return shape.const
        if shape.nullable:
            return None
        if shape.types == {"boolean"}:
            return False
        return ""
    return None


def _texts(union: _Shape, value: Any) -> list[Any]:
    """The text of a union item as list items (text, or {text, footnote})."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, dict):
        return []
    key = _detect(union, value)
    main = value.get(key)
    if key == "text" and isinstance(main, str):
        item = {k: value[k] for k in ("text", "footnote") if value.get(k) is not None}
        return [item if len(item) > 1 else main]
    if isinstance(main, str):
        return [main]
    if isinstance(main, list):
        return [x for x in main if isinstance(x, (str, dict))]
    if isinstance(value.get("text"), list):
        return [x for x in value["text"] if isinstance(x, str)]
    return []


def _plain(item: Any) -> str:
    return item if isinstance(item, str) else str(item.get("text", ""))


def _fits(shape: _Shape, value: Any) -> bool:
    if shape.kind != "scalar":
        return False
    if value is None:
        return shape.nullable
    if shape.enum is not None:
        return value in shape.enum
    kinds = {str: "string", bool: "boolean", int: "integer", float: "number"}
    kind = kinds.get(type(value))
    return kind in shape.types or (kind == "integer" and "number" in shape.types)


def _convert(union: _Shape, value: Any, to: str) -> Any:
    """A union item as another variant, keeping its text (a text as first bullet …)."""
    target = union.variant(to)
    if target is None:
        raise ValueError(f"unknown kind {to!r}")
    texts = _texts(union, value)
    if target.kind == "scalar":
        return "\n".join(_plain(t) for t in texts) if "string" in target.types else _empty(
            target)
    if target.kind != "object":
        return _empty(target)
    out = _empty(target)

    def put(prop: str) -> bool:
        shape = target.prop(prop)
        if shape.kind == "array" and shape.item is not None:
            item = shape.item
            keep_dicts = item.kind == "union" and any(
                v.kind == "object" and "text" in v.props for _k, v in item.variants)
            items = [t if keep_dicts else _plain(t) for t in texts]
            out[prop] = items or _empty(shape)
            return True
        if (shape.kind == "scalar" and shape.types == {"string"} and shape.enum is None
                and "pattern" not in shape.schema):
            joiner = "\n" if prop in LONG_TEXT else " "
            out[prop] = joiner.join(_plain(t) for t in texts)
            return True
        return False

    if not (to in target.props and put(to)) and texts and "text" in target.props:
        put("text")
    if isinstance(value, dict):
        source = _detect(union, value)
        for key, item in value.items():
            if key != source and key in target.props and key not in out and _fits(
                    target.prop(key), item):
                out[key] = item
    if "footnote" in target.props and "footnote" not in out:
        notes = [t["footnote"] for t in texts if isinstance(t, dict) and t.get("footnote")]
        if notes:
            out["footnote"] = notes[0]
    return out


@dataclass
class _Step:
    container: Any  # the dict or list holding the value
    key: str | int
    shape: _Shape  # the shape of the value
    owner: _Shape  # the shape of the container's value (object, map, array)


def _locate(root: _Shape, data: dict[str, Any], path: str) -> list[_Step]:
    """The steps from the root to a field path, creating missing containers on the way."""
    steps: list[_Step] = []
    shape, value, rest = root, data, path
    while rest:
        if shape.kind == "union":
            shape = shape.variant(_detect(shape, value)) or shape
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0 or shape.kind != "array" or not isinstance(value, list):
                raise ValueError(f"no list at {path!r}")
            index = int(rest[1:end])
            if not 0 <= index < len(value):
                raise IndexError(f"no item {index} in {path!r}")
            assert shape.item is not None
            steps.append(_Step(value, index, shape.item, shape))
            rest = rest[end + 1:]
            shape, value = shape.item, value[index]
            continue
        if steps:
            if not rest.startswith("."):
                raise ValueError(f"bad path {path!r}")
            rest = rest[1:]
        if not isinstance(value, dict):
            raise ValueError(f"no mapping at {path!r}")
        if shape.kind == "object":
            candidates = list(shape.props)
        elif shape.kind == "map":
            candidates = [str(k) for k in value]
        else:
            raise ValueError(f"no field at {path!r}")
        matches = [k for k in candidates if rest.startswith(k)
                   and rest[len(k):len(k) + 1] in ("", ".", "[")]
        if matches:
            key = max(matches, key=len)
        elif shape.kind == "map":
            key = re.split(r"[.\[]", rest, maxsplit=1)[0]
        else:
            raise KeyError(rest)
        child = shape.prop(key) if shape.kind == "object" else shape.item
        assert child is not None
        rest = rest[len(key):]
        if rest and value.get(key) is None:  # go on inside: make the container
            if child.kind in ("object", "map"):
                value[key] = {}
            elif child.kind == "array":
                value[key] = []
        steps.append(_Step(value, key, child, shape))
        shape, value = child, value.get(key)
    if not steps:
        raise ValueError("an action needs a field path")
    return steps


def _sibling_rows(steps: list[_Step]) -> list[list[Any]] | None:
    """For a statistics table's `columns` (or one of its items), the table's rows."""
    for i in range(len(steps) - 1, -1, -1):
        if steps[i].key == "columns" and _table_pair(steps[i].owner):
            rows = steps[i].container.get("rows")
            return [r for r in rows if isinstance(r, list)] if isinstance(rows, list) else []
    return None


def apply_action(kind: str, data: Any, action: str, *, prefix: str = "") -> Any:
    """Perform a form button on plain data (a copy is returned; `data` is unchanged).

    `add:P`, `remove:P`, `up:P`, `down:P`, `kind:P=VARIANT` (and `kind:P`, which
    changes nothing: `parse` already applied the kind select). P is a field path
    relative to `data` (a leading `prefix` is removed). Raises ValueError (or
    KeyError / IndexError) for an action or path that does not fit the data."""
    _schema, root = _root(kind)
    verb, sep, rest = action.partition(":")
    if not sep:
        raise ValueError(f"unknown action {action!r}")
    if prefix and _under(rest, prefix):
        rest = rest[len(prefix):].lstrip(".")
    arg = None
    if verb == "kind":
        rest, eq, arg = rest.rpartition("=") if "=" in rest else (rest, "", None)
        if not eq:
            return copy.deepcopy(data)
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    steps = _locate(root, data, rest)
    step = steps[-1]
    container, key, shape = step.container, step.key, step.shape
    if verb == "add":
        current = container[key] if isinstance(container, list) or key in container else None
        if shape.kind == "array":
            if not isinstance(current, list):
                current = container[key] = []
            assert shape.item is not None
            if key == "rows" and _table_pair(step.owner):
                width = len(container.get("columns") or [])
                current.append([None] * width)
            elif shape.item.kind == "array":
                width = max([len(r) for r in current if isinstance(r, list)] + [0])
                current.append([None] * width)
            else:
                current.append(_empty(shape.item))
            rows = _sibling_rows(steps)
            if rows is not None:
                for row in rows:
                    row.append(None)
        elif shape.kind == "map":
            if not isinstance(current, dict):
                current = container[key] = {}
            new, n = "ny", 1
            while new in current:
                n += 1
                new = f"ny-{n}"
            assert shape.item is not None
            current[new] = _empty(shape.item)
        elif shape.kind in ("object", "union") and current is None:
            container[key] = _empty(replace(shape, nullable=False))
        else:
            raise ValueError(f"cannot add to {rest!r}")
    elif verb == "remove":
        if isinstance(container, list):
            assert isinstance(key, int)
            del container[key]
            for row in _sibling_rows(steps) or []:
                if key < len(row):
                    del row[key]
        elif key in container:
            del container[key]
    elif verb in ("up", "down"):
        if not isinstance(container, list) or not isinstance(key, int):
            raise ValueError(f"only a list item moves: {rest!r}")
        other = key - 1 if verb == "up" else key + 1
        if 0 <= other < len(container):
            container[key], container[other] = container[other], container[key]
            for row in _sibling_rows(steps) or []:
                if key < len(row) and other < len(row):
                    row[key], row[other] = row[other], row[key]
    elif verb == "kind":
        if shape.kind != "union" or arg is None:
            raise ValueError(f"{rest!r} has no kinds")
        container[key] = _convert(shape, container[key], arg)
    else:
        raise ValueError(f"unknown action {action!r}")
    return data
