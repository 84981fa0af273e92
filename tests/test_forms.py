"""The editor's forms (avtalsgen.web.forms): generated from the JSON Schema, read back
exactly, every field reachable, text verbatim, actions, problems, labels."""

from __future__ import annotations

import copy
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from markupsafe import escape

from avtalsgen import model as m
from avtalsgen.web import forms

SEED_FILES = sorted((REPO / "municipalities").glob("*/*.yaml"))
EXAMPLE_FILES = sorted((REPO / "templates" / "example").glob("*.yaml"))


def kind_of(path: Path) -> str:
    return {"municipality.yaml": "municipality",
            "statistics.yaml": "statistics"}.get(path.name, "document")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8").replace("__KOMMUN__", "Exempelby"))


# --- a browser, as far as forms go -------------------------------------------------

class Page(HTMLParser):
    """Reads rendered HTML: what a browser would submit, and the controls and labels."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.submitted: list[tuple[str, str]] = []
        self.controls: list[dict[str, str | None]] = []  # visible inputs, selects, textareas
        self.labels: list[str] = []  # the for= of every label
        self.ids: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self._select: dict[str, Any] | None = None
        self._option: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "label" and a.get("for"):
            self.labels.append(a["for"] or "")
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind != "hidden":
                self.controls.append(a)
            if "disabled" in a or kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.submitted.append((a["name"] or "", a.get("value") or "on"))
            else:
                self.submitted.append((a["name"] or "", a.get("value") or ""))
        elif tag == "select":
            self.controls.append(a)
            self._select = {"name": a.get("name"), "options": []}
        elif tag == "option":
            self._option = {"value": a.get("value"), "selected": "selected" in a}
            self._text = []
        elif tag == "textarea":
            self.controls.append(a)
            self._textarea = {"name": a.get("name")}
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._option is not None or self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option["value"]
            self._select["options"].append(
                ("".join(self._text) if value is None else value, self._option["selected"]))
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [v for v, selected in options if selected] or [v for v, _ in options[:1]]
            self.submitted += [(self._select["name"], v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            text = text[1:] if text.startswith("\n") else text  # as the HTML parser does
            # A browser submits every line break as CRLF.
            self.submitted.append((self._textarea["name"], text.replace("\n", "\r\n")))
            self._textarea = None

    def form(self, **extra: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in [*self.submitted, *extra.items()]:
            out.setdefault(name, []).append(value)
        return out

    def names(self) -> set[str]:
        return {name for name, _ in self.submitted} | {
            str(c.get("name")) for c in self.controls if c.get("name")}


def submit(kind: str, value: Any, prefix: str = "", **kw: Any) -> Any:
    html = str(forms.render(kind, value, prefix, **kw))
    return forms.parse(kind, Page(html).form(), prefix, exclude=kw.get("exclude", frozenset()))


# --- what rendering legitimately drops ---------------------------------------------

def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _alternatives(schema: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    alts = schema.get("anyOf") or schema.get("oneOf")
    if not alts:
        return [schema], False
    real = [a for a in alts if a.get("type") != "null"]
    return real, len(real) < len(alts)


def normalise(schema: dict[str, Any], value: Any, defs: dict[str, Any]) -> Any:
    """The value as a form gives it back: dates as dates, and optional fields that
    hold nothing (None, [], {}, "" where "" is not a value of its own) left out."""
    if isinstance(value, dt.datetime):
        return value.date()
    alts, _nullable = _alternatives(schema)
    if isinstance(value, list):
        arrays = [_resolve(a, defs) for a in alts if _resolve(a, defs).get("type") == "array"]
        items = arrays[0].get("items", {}) if arrays else {}
        return [normalise(items, x, defs) for x in value]
    if not isinstance(value, dict):
        return value
    objects = [_resolve(a, defs) for a in alts]
    objects = [o for o in objects if o.get("type") == "object" or "properties" in o]
    fitting = [o for o in objects if set(o.get("required", ())) <= set(value)
               and (set(value) <= set(o.get("properties", {})) or "properties" not in o)]
    target = (fitting or objects or [{}])[0]
    props = target.get("properties")
    if props is None:  # a dict: every value under the one value schema
        inner = target.get("additionalProperties") or next(
            iter(target.get("patternProperties", {}).values()), {})
        return {k: normalise(inner, v, defs) for k, v in value.items()}
    out = {}
    for key, item in value.items():
        prop = props.get(key, {})
        item = normalise(prop, item, defs)
        if key not in target.get("required", ()):
            _alts, prop_nullable = _alternatives(prop)
            if item is None or item == []:
                continue
            if item == {} and not prop_nullable:
                continue
            if item == "" and not prop_nullable:
                continue
        out[key] = item
    return out


def expected(kind: str, value: Any) -> Any:
    schema = forms.schema_for(kind)
    return normalise(_resolve(schema, schema.get("$defs", {})), value, schema.get("$defs", {}))


# --- round trip ---------------------------------------------------------------------

@pytest.mark.parametrize("path", SEED_FILES + EXAMPLE_FILES,
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_round_trip(path: Path) -> None:
    kind = kind_of(path)
    value = load(path)
    back = submit(kind, value)
    assert back == expected(kind, value)
    # What the form gives back is still a valid config.
    forms.KINDS[kind].model_validate(back)


def test_round_trip_drops_only_what_means_nothing() -> None:
    """The normalisation above is small: most seed values come back untouched."""
    value = load(REPO / "municipalities" / "lulea" / "verksamhetsplan.yaml")
    assert submit("document", value) == expected("document", value)
    assert expected("document", value)["sections"] == value["sections"]


def test_round_trip_one_section_under_its_prefix() -> None:
    value = load(REPO / "municipalities" / "lulea" / "verksamhetsplan.yaml")
    parent = next(i for i, s in enumerate(value["sections"]) if s.get("sections"))
    section = value["sections"][parent]["sections"][0]
    prefix = f"sections[{parent}].sections[0]"
    html = str(forms.render("section", section, prefix, exclude={"sections"}))
    names = Page(html).names()
    assert names and all(n.startswith(prefix + ".") for n in names)
    back = forms.parse("section", Page(html).form(), prefix, exclude={"sections"})
    want = expected("section", section)
    want.pop("sections", None)
    assert back == want


def test_parse_takes_a_starlette_form() -> None:
    from starlette.datastructures import FormData

    value = load(REPO / "municipalities" / "strangnas" / "municipality.yaml")
    page = Page(str(forms.render("municipality", value)))
    form = FormData([(k, v) for k, vs in page.form().items() for v in vs])
    assert forms.parse("municipality", form) == expected("municipality", value)


# --- every field reachable ----------------------------------------------------------

def maximal(schema: dict[str, Any], defs: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """A value that fills every optional property, every union variant and every
    dict once (a model that contains itself, once inside itself)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if stack.count(name) >= 2:
            return None
        return maximal(defs[name], defs, (*stack, name))
    alts, _nullable = _alternatives(schema)
    if schema.get("anyOf") or schema.get("oneOf"):
        return maximal(alts[0], defs, stack)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if "properties" in schema:
            out = {}
            for key, prop in schema["properties"].items():
                filled = maximal(prop, defs, stack)
                if filled is not None:
                    out[key] = filled
            return out
        inner = schema.get("additionalProperties") or next(
            iter(schema.get("patternProperties", {}).values()))
        return {"nyckel-1": maximal(inner, defs, stack)}
    if kind == "array":
        items = schema["items"]
        variants = items.get("anyOf") or items.get("oneOf")
        if variants:  # one item of every kind
            made = [maximal(v, defs, stack) for v in variants if v.get("type") != "null"]
        else:
            made = [maximal(items, defs, stack)]
        return [x for x in made if x is not None]
    if kind == "string":
        return dt.date(2020, 1, 2) if schema.get("format") == "date" else "x"
    if kind == "integer":
        return 2
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return None


def property_names(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                names.update(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)  # the root and, recursively, every $defs entry
    return names


@pytest.mark.parametrize("kind", ["document", "municipality", "statistics", "section"])
def test_every_property_has_a_control(kind: str) -> None:
    schema = forms.schema_for(kind)
    defs = schema.get("$defs", {})
    value = maximal(schema, defs)
    page = Page(str(forms.render(kind, value)))
    segments = {part for name in page.names() for part in re.split(r"[.\[\]]+", name)}
    wanted = property_names(schema)
    assert len(wanted) > 10
    assert wanted - segments == set()
    # The maximal value also survives the round trip.
    assert forms.parse(kind, page.form()) == expected(kind, value)


def test_every_block_kind_is_offered() -> None:
    page = Page(str(forms.render("section", {"heading": "A", "content": ["x"]})))
    kinds = [a.get("value") for tag, a in page.elements if tag == "option"]
    assert set(m.BLOCK_KEYS) | {"plain"} <= set(kinds)
    html = str(forms.render("section", {"heading": "A", "content": ["x"]}))
    for word in ("Stycke", "Text med fotnot", "Underrubrik", "Punktlista", "Numrerad lista",
                 "Etikett", "Standardtext", "Tabell", "Diagram", "Bild", "Grupp",
                 "Underskrifter", "Åtgärdstabell (Brå)", "Sidbrytning"):
        assert f">{word}</option>" in html


def test_a_new_model_field_appears_without_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    class Extended(m.Section):
        contact: m.Text | None = m.d("Kontaktperson för avsnittet. Visas inte i dokumentet.",
                                     default=None)
        priority: int = m.d("Prioritet 1-3.", default=2)

    class Odd(m.Section):
        pair: tuple[int, str] | None = m.d("Ett par (okänd form: redigeras som JSON).",
                                           default=None)

    monkeypatch.setitem(forms.KINDS, "extended", Extended)
    monkeypatch.setitem(forms.KINDS, "odd", Odd)
    monkeypatch.setattr(forms, "_ROOTS", dict(forms._ROOTS))
    value = {"heading": "Trygghet", "contact": "Anna", "priority": 1}
    html = str(forms.render("extended", value))
    assert ">Kontaktperson för avsnittet</label>" in html
    assert 'name="contact"' in html and 'name="priority"' in html
    assert submit("extended", value) == value
    # A shape the generator has no control for is still editable, as JSON.
    odd = {"heading": "A", "pair": [1, "två <b>"]}
    assert 'name="pair.__json__"' in str(forms.render("odd", odd))
    assert submit("odd", odd) == odd
    Odd.model_validate(submit("odd", odd))


# --- text is verbatim -----------------------------------------------------------------

NASTY = "& < > \" ' <script>alert(1)</script> {{ x }} 🎉 ĳ\n\nrad tre  \n"


@pytest.mark.parametrize("text", [NASTY, "\nbörjar med radbrytning", "  mellanslag  ",
                                  "'citerad'", "'", "''", "2014", "'2014", "3,5", "0012",
                                  "Tom\ttabb"])
def test_text_survives_exactly(text: str) -> None:
    doc = {"type": "agreement", "title": text, "subtitle": text,
           "sections": [{"heading": text,
                         "content": [text, {"text": text, "footnote": text},
                                     {"bullets": [text, {"text": text, "footnote": text}]}],
                         "labels": {"goals": text}}]}
    stats = {"tables": {"t": {"columns": [text, "2020"], "rows": [[text, 1], ["b", text]],
                              "source": text}}}
    html = str(forms.render("document", doc))
    assert "<script>" not in html and "<script>" not in str(forms.render("statistics", stats))
    assert submit("document", doc) == doc
    assert submit("statistics", stats) == stats


def test_crlf_becomes_lf_and_nothing_else_changes() -> None:
    form = {"type": ["agreement"], "title": ["a\r\nb\r\n"], "subtitle": [" x\r\n"]}
    assert forms.parse("document", form) == {"type": "agreement", "title": "a\nb\n",
                                             "subtitle": " x\n"}


def test_types_follow_the_schema() -> None:
    value = {"kommun": {"name": "A kommun", "short_name": "A"},
             "polis": {"name": "LPO A", "short_name": "A", "header_name": ""},
             "header": False, "period": {"start": 2020, "end": 2023},
             "signing": {"place": "A", "date": dt.date(2020, 9, 1), "year_only": True},
             "documents": ["a"], "version": "0.3", "version_date": "2025-02-01"}
    back = submit("municipality", value)
    assert back["period"] == {"start": 2020, "end": 2023}  # integers
    assert back["header"] is False and back["signing"]["year_only"] is True
    assert back["signing"]["date"] == dt.date(2020, 9, 1) and back["version"] == "0.3"
    assert back["polis"]["header_name"] == ""  # "" (an empty header side) is not omitted
    stats = {"tables": {"t": {"columns": ["Ålder", "2020", 2021], "rows": [["a", 1, 2.5]],
                              "decimals": 1, "total": {}}}}
    assert submit("statistics", stats) == stats  # {} total is kept: it adds a row
    image = {"heading": "A", "content": [{"image": {"file": "a.png", "caption": "c",
                                                     "alt": "a", "width": 9}}]}
    assert submit("section", image) == image
    # A date that is not one stays visible (as text) for validation to name.
    wrong = {**value, "version_date": "2025-13-45"}
    html = str(forms.render("municipality", wrong))
    assert re.search(r'<input type="text" id="f-version_date"[^>]*value="2025-13-45"', html)
    assert submit("municipality", wrong)["version_date"] == "2025-13-45"
    assert re.search(r'<input type="date" id="f-signing.date"[^>]*value="2020-09-01"',
                     str(forms.render("municipality", value)))


def test_dict_keys_with_any_characters() -> None:
    section = {"heading": "A", "content": [{"clause": "behovsanalys",
                                            "params": {"lead": "x", "a.b c[0]": "y & z"}}]}
    assert submit("section", section) == section
    page = Page(str(forms.render("section", section)))
    assert len(page.ids) == len(set(page.ids)) and not any(" " in i for i in page.ids)
    gone = forms.apply_action("section", section, "remove:content[0].params.a.b c[0]")
    assert gone["content"][0]["params"] == {"lead": "x"}


def test_empty_fields_are_omitted_unless_required() -> None:
    page = Page(str(forms.render("document", {"type": "agreement", "title": "T",
                                              "sections": [{"heading": "H"}]})))
    form = page.form()
    form["title"] = [""]
    form["subtitle"] = [""]
    form["sections[0].heading"] = [""]
    back = forms.parse("document", form)
    assert back == {"type": "agreement", "title": "", "sections": [{"heading": ""}]}
    with pytest.raises(Exception, match="title"):
        m.Document.model_validate(back)


# --- actions --------------------------------------------------------------------------

DOC = {"type": "action_plan", "title": "Plan",
       "sections": [{"heading": "A", "content": ["ett", {"text": "två", "footnote": "fn",
                                                         "style": "emphasis"}, "tre"]},
                    {"heading": "B", "sections": [{"heading": "B1"}]}]}


def test_add_remove_move_on_nested_paths() -> None:
    before = copy.deepcopy(DOC)
    added = forms.apply_action("document", DOC, "add:sections[0].content")
    assert added["sections"][0]["content"][-1] == ""
    assert DOC == before  # the input is not changed
    removed = forms.apply_action("document", DOC, "remove:sections[0].content[1]")
    assert removed["sections"][0]["content"] == ["ett", "tre"]
    up = forms.apply_action("document", DOC, "up:sections[0].content[1]")
    assert up["sections"][0]["content"][0]["text"] == "två"
    down = forms.apply_action("document", DOC, "down:sections[0].content[1]")
    assert down["sections"][0]["content"][2]["text"] == "två"
    assert forms.apply_action("document", DOC, "up:sections[0].content[0]") == DOC
    deep = forms.apply_action("document", DOC, "add:sections[1].sections[0].goals")
    assert deep["sections"][1]["sections"][0]["goals"] == [""]
    child = forms.apply_action("document", DOC, "add:sections[1].sections")
    assert child["sections"][1]["sections"][1] == {"heading": ""}
    numbering = forms.apply_action("document", DOC, "add:sections[1].numbering")
    assert numbering["sections"][1]["numbering"] == {}
    assert forms.apply_action("document", numbering, "remove:sections[1].numbering") == DOC
    cause = forms.apply_action("document", {"title": "x", "sections": [{
        "heading": "A", "content": [{"measures": {"causes": []}}]}]},
        "add:sections[0].content[0].measures.causes")
    assert cause["sections"][0]["content"][0]["measures"]["causes"] == [
        {"cause": "", "measures": [{"measure": ""}]}]


def test_change_kind_keeps_the_text() -> None:
    bullets = forms.apply_action("document", DOC, "kind:sections[0].content[0]=bullets")
    assert bullets["sections"][0]["content"][0] == {"bullets": ["ett"]}
    kept = forms.apply_action("document", DOC, "kind:sections[0].content[1]=bullets")
    assert kept["sections"][0]["content"][1] == {
        "bullets": [{"text": "två", "footnote": "fn"}], "style": "emphasis"}
    back = forms.apply_action("document", kept, "kind:sections[0].content[1]=text")
    assert back["sections"][0]["content"][1] == {"text": "två", "footnote": "fn",
                                                 "style": "emphasis"}
    plain = forms.apply_action("document", bullets, "kind:sections[0].content[0]=plain")
    assert plain == DOC
    clause = forms.apply_action("document", DOC, "kind:sections[0].content[2]=clause")
    assert clause["sections"][0]["content"][2] == {"clause": "", "text": ["tre"]}
    heading = forms.apply_action("document", DOC, "kind:sections[0].content[2]=heading")
    assert heading["sections"][0]["content"][2] == {"heading": "tre"}
    page_break = forms.apply_action("document", DOC, "kind:sections[0].content[2]=page_break")
    assert page_break["sections"][0]["content"][2] == {"page_break": True}
    # "Byt" without a variant: parse already applied the select, nothing more to do.
    assert forms.apply_action("document", DOC, "kind:sections[0].content[0]") == DOC


def test_the_kind_select_converts_on_any_submit() -> None:
    page = Page(str(forms.render("document", DOC)))
    form = page.form()
    form["sections[0].content[0].__kind__"] = ["numbered"]
    back = forms.parse("document", form)
    assert back["sections"][0]["content"][0] == {"numbered": ["ett"]}
    html = str(forms.render("document", back))
    assert 'name="sections[0].content[0].numbered[0]"' in html


def test_table_rows_and_columns() -> None:
    stats = {"tables": {"t": {"columns": ["Ålder", "2020", "2021"],
                              "rows": [["a", 1, 2], ["b", 3, 4]]}}}
    col = forms.apply_action("statistics", stats, "add:tables.t.columns")
    assert col["tables"]["t"]["columns"][-1] is None
    assert [len(r) for r in col["tables"]["t"]["rows"]] == [4, 4]
    row = forms.apply_action("statistics", stats, "add:tables.t.rows")
    assert row["tables"]["t"]["rows"][-1] == [None, None, None]
    gone = forms.apply_action("statistics", stats, "remove:tables.t.columns[1]")
    assert gone["tables"]["t"] == {"columns": ["Ålder", "2021"], "rows": [["a", 2], ["b", 4]]}
    moved = forms.apply_action("statistics", stats, "down:tables.t.columns[1]")
    assert moved["tables"]["t"] == {"columns": ["Ålder", "2021", "2020"],
                                    "rows": [["a", 2, 1], ["b", 4, 3]]}
    new = forms.apply_action("statistics", stats, "add:tables")
    assert new["tables"]["ny"] == {"columns": [None], "rows": []}
    dropped = forms.apply_action("statistics", stats, "remove:tables.t")
    assert dropped == {"tables": {}}


def test_renaming_a_dict_entry() -> None:
    stats = {"tables": {"t": {"columns": ["a"], "rows": [["x"]]}}}
    form = Page(str(forms.render("statistics", stats))).form()
    form["tables.__key__"] = ["brott"]
    assert forms.parse("statistics", form) == {"tables": {"brott": stats["tables"]["t"]}}


@pytest.mark.parametrize("action", ["explode:sections[0]", "remove:nosuch", "up:title",
                                    "remove:sections[9]", "add:title", "kind:title=plain",
                                    "kind:sections[0].content[0]=nosuch", "noverb"])
def test_bad_actions_are_refused(action: str) -> None:
    with pytest.raises((ValueError, KeyError, IndexError)):
        forms.apply_action("document", DOC, action)


# --- problems --------------------------------------------------------------------------

def test_a_problem_marks_its_control() -> None:
    doc = {"type": "agreement", "title": "T",
           "sections": [{"heading": "A", "content": [{"text": ""}, "x"]}]}
    problems = {"sections[0].content[0].text": ["must not be empty"],
                "sections[0].content": ["a block is wrong"],
                "sections[0].content[1].nosuch": ["unknown key 'nosuch'"]}
    html = str(forms.render("document", doc, "", problems))
    page = Page(html)
    control = next(a for tag, a in page.elements if a.get("name") == "sections[0].content[0].text")
    assert control.get("aria-invalid") == "true"
    described = (control.get("aria-describedby") or "").split()
    problem_ids = [a["id"] for tag, a in page.elements if tag == "p"
                   and "problem" in (a.get("class") or "")]
    assert set(described) & set(problem_ids)
    pid = next(i for i in described if i in problem_ids)
    assert re.search(rf'<p class="problem" id="{re.escape(pid)}">must not be empty</p>', html)
    # Without a control of its own: on the enclosing fieldset (the list, the item).
    assert re.search(r'<legend>Innehåll</legend>(?:<p class="help"[^>]*>[^<]*</p>)?'
                     r'<p class="problem"[^>]*>a block is wrong</p>', html)
    assert "nosuch:</span> unknown key" in html
    others = [a for tag, a in page.elements if a.get("aria-invalid")]
    assert len(others) == 1


def test_problems_elsewhere_are_not_shown_here() -> None:
    section = {"heading": "A", "sections": [{"heading": ""}]}
    problems = {"sections[0].sections[0].heading": ["must not be empty"],
                "sections[0].heading": ["mine"], "title": ["not mine"]}
    html = str(forms.render("section", section, "sections[0]", problems, exclude={"sections"}))
    assert "mine" in html and "must not be empty" not in html and "not mine" not in html
    # A problem of the section itself (a model check) is shown at the top.
    html = str(forms.render("section", section, "sections[0]",
                            {"sections[0]": ["the section is wrong"]}, exclude={"sections"}))
    assert html.startswith('<div class="form-fields"><p class="problem"')
    assert "the section is wrong" in html


def test_model_level_problem_lands_on_the_table() -> None:
    stats = {"tables": {"t": {"columns": ["a", "b"], "rows": [["x"]]}}}
    html = str(forms.render("statistics", stats, "", {
        "tables.t": ["row 1 has 1 cells but there are 2 columns"],
        "tables.t.rows[0][0]": ["bad cell"]}))
    assert re.search(r'<legend>Tabell: T</legend><p class="problem"[^>]*>row 1 has', html)
    cell = next(a for tag, a in Page(html).elements if a.get("name") == "tables.t.rows[0][0]")
    assert cell.get("aria-invalid") == "true"


# --- markup ----------------------------------------------------------------------------

MARKUP_FILES = [*SEED_FILES[:1], REPO / "templates/example/handlingsplan.yaml",
                REPO / "municipalities/lulea/statistics.yaml",
                REPO / "municipalities/lulea/verksamhetsplan.yaml"]


@pytest.mark.parametrize("path", MARKUP_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_control_has_an_id_and_a_label(path: Path) -> None:
    page = Page(str(forms.render(kind_of(path), load(path))))
    assert page.controls
    labelled = set(page.labels)
    for control in page.controls:
        assert control.get("id"), control
        assert control["id"] in labelled, control
    assert len(page.ids) == len(set(page.ids)), "ids are unique"
    known = set(page.ids)
    for _tag, a in page.elements:
        for ref in (a.get("aria-describedby") or "").split():
            assert ref in known


def test_grids_and_the_computed_total() -> None:
    stats = load(REPO / "municipalities" / "lulea" / "statistics.yaml")
    html = str(forms.render("statistics", stats))
    assert '<th scope="col" class="cell" data-cell="header">' in html
    assert 'value="add:tables.misstankta_ungdomar.rows"' in html
    assert 'value="add:tables.misstankta_ungdomar.columns"' in html
    assert 'value="remove:tables.misstankta_ungdomar.columns[1]"' in html
    foot = re.search(r'<tr class="computed">(.*?)</tr>', html)
    assert foot and "Tot" in foot.group(1) and "1\u00a0046" in html
    broken = copy.deepcopy(stats)
    broken["tables"]["misstankta_ungdomar"]["total"]["values"][0] = 1  # does not validate
    assert html.count('"computed"') - 1 == str(forms.render("statistics",
                                                            broken)).count('"computed"')
    plan = load(REPO / "templates" / "example" / "handlingsplan.yaml")
    html = str(forms.render("document", plan))
    assert re.search(r'<th scope="col"[^>]*>Operativt mål</th>', html)


def test_grid_cells_are_named_and_rows_have_a_template() -> None:
    """Each cell is named by its column and row; the table scrolls in its own box with
    its buttons below; an inert empty row is there for grid.js to clone."""
    stats = {"tables": {"t": {"columns": ["Brott", "2019", "2020"],
                              "rows": [["Stöld", 1046, 10.5], ["Rån", 3, None]],
                              "total": {"label": "Summa"}}}}
    html = str(forms.render("statistics", stats))
    page = Page(html)
    labels = {a.get("for"): tag for tag, a in page.elements if tag == "label"}
    assert "f-tables.t.rows[0][1]" in labels
    assert ">2019, Stöld</label>" in html and ">Brott, rad 2</label>" in html
    assert 'data-rows="tables.t.rows" data-columns="tables.t.columns"' in html
    assert re.search(r'<td class="cell" data-cell="value">.*?name="tables.t.rows\[0\]\[1\]"'
                     r'[^>]*value="1046"', html)
    box = html.index('<div class="grid-box">')
    assert html.index('value="add:tables.t.rows"') > html.index("</table>", box)
    # The total as it will print, in the grid's foot.
    assert re.search(r'<tr class="computed"><th scope="row" class="cell">Summa</th>'
                     r'<td class="cell">1\u00a0049</td><td class="cell">10,5</td>', html)
    # The template row: index 2, numbered "{n}", with its own row length; not posted.
    template = re.search(r'<template class="grid-row" data-index="2">(.*?)</template>', html)
    assert template and 'name="tables.t.rows[2][0]"' in template.group(1)
    assert "Brott, rad {n}" in template.group(1)
    assert 'name="tables.t.rows[2].__len__" value="3"' in template.group(1)
    assert submit("statistics", stats) == stats
    plan = load(REPO / "templates" / "example" / "handlingsplan.yaml")
    html = str(forms.render("document", plan))
    assert re.search(r'<td class="cell" data-cell="text"><div class="field field-textarea">'
                     r'<label for="[^"]+" class="visually-hidden">Operativt mål, åtgärd 1 '
                     r'\(Öppna fritidsgården fredagskvällar\)</label><textarea', html)
    assert '<td class="cell" data-cell="choice">' in html


def test_a_table_is_chosen_from_the_municipalitys_tables() -> None:
    from avtalsgen.web.forms.grid import table_choices

    statistics = {"tables": {"brott": {"title": "Anmälda brott", "columns": ["År"]},
                             "otrygghet": {"columns": ["Kön", "2019", "2020", "2021",
                                                       "2022", "2023"]},
                             "manad": {"columns": ["År", "jan"]},
                             "dubblett": {"title": "Anmälda brott"}}}
    documents = [{"sections": [{"content": [{"chart": {"table": "manad",
                                                       "caption": "Brott per månad"}}]}]}]
    tables = table_choices(statistics, documents)
    assert tables == {"brott": "Anmälda brott",
                      "otrygghet": "Tabell med kolumnerna Kön, 2019, 2020, 2021 …",
                      "manad": "Brott per månad", "dubblett": "Anmälda brott (2)"}
    assert table_choices(None, []) == {}
    section = {"heading": "H", "content": [{"table": "brott", "caption": "T"},
                                           {"chart": {"table": "borta", "kind": "bar",
                                                      "caption": "C", "alt": "A"}}]}
    html = str(forms.render("section", section, tables=tables))
    select = re.search(r'<select id="f-content\[0\].table" name="content\[0\].table"'
                       r'[^>]*>(.*?)</select>', html)
    assert select, html
    assert '<option value="brott" selected>Anmälda brott</option>' in select.group(1)
    assert "(välj)" not in select.group(1) and ">Brott per månad</option>" in select.group(1)
    assert '<label for="f-content[0].table">Tabell</label>' in html
    # A table the statistics no longer has stays chosen, and says so.
    other = re.search(r'name="content\[1\].chart.table"[^>]*>(.*?)</select>', html)
    assert other and '<option value="" selected>' not in other.group(1)
    assert '<option value="borta" selected>borta (finns inte i statistiken)</option>' \
        in other.group(1)
    assert forms.parse("section", Page(html).form()) == section
    # Without the list (tests, other callers) the id is a text field as before.
    assert 'type="text" id="f-content[0].table"' in str(forms.render("section", section))
    empty = str(forms.render("section", section, tables={}))
    assert "(statistiken har inga tabeller än)" in empty


def test_buttons_and_fields_look_as_documented() -> None:
    html = str(forms.render("document", DOC))
    assert ('<button type="submit" name="form:action" value="remove:sections[0].content[1]">'
            "Ta bort") in html
    assert '<button type="submit" name="form:action" value="add:sections[0].content"' in html
    assert 'value="up:sections[0].content[0]" disabled' in html
    assert '<select id="f-sections[0].content[0].__kind__" name="sections[0].content[0].__kind__"' \
        in html
    assert 'value="kind:sections[0].content[0]">Byt' in html
    assert '<input type="checkbox" id="f-title_page" name="title_page"' in html
    assert 'name="toc_levels"' in html and 'type="number" step="any"' in html
    assert "<textarea" in html
    assert html.count("<fieldset") == html.count("</fieldset>")
    excluded = str(forms.render("document", DOC, exclude={"sections"}))
    assert "sections[" not in excluded


def test_schema_for() -> None:
    assert forms.schema_for("section")["$ref"].endswith("/Section")
    assert "tables" in forms.schema_for("statistics")["properties"]
    schema = forms.schema_for("document")
    schema["properties"].clear()  # a copy: the forms keep theirs
    assert "title" in forms.schema_for("document")["properties"]
    with pytest.raises(ValueError):
        forms.schema_for("nosuch")


def test_checkboxes_keep_what_the_file_writes() -> None:
    written = {"type": "agreement", "title": "T", "title_page": True, "toc_levels": 2}
    assert submit("document", written) == written  # explicit default kept
    page = Page(str(forms.render("document", {"type": "agreement", "title": "T"})))
    assert forms.parse("document", page.form()) == {"type": "agreement", "title": "T"}
    form = page.form()
    form.pop("title_page")  # unchecked: differs from the default (true), so it is written
    assert forms.parse("document", form)["title_page"] is False


def test_forged_forms_stay_cheap_and_keep_their_text() -> None:
    form = {"type": ["agreement"], "title": ["T"], "sections.__len__": ["9999999"],
            "toc_levels": ["1" * 5000], "cover.__len__": ["²"]}
    back = forms.parse("document", form)
    assert len(back["sections"]) <= 110 and back["toc_levels"] == "1" * 5000
    assert "cover" not in back
    assert forms.parse("statistics", {"tables.__map__": ["1"], "tables.__keys__": ["t"],
                                      "tables.t.columns.__len__": ["1"],
                                      "tables.t.columns[0]": ["1e999"]}) == {
        "tables": {"t": {"columns": ["1e999"]}}}
    html = str(forms.render("document", {"toc_levels": True}))
    assert re.search(r'<input type="text" id="f-toc_levels"[^>]*value="true"', html)


def test_long_text_gets_a_textarea_and_short_text_a_line() -> None:
    section = {"heading": "H", "content": ["kort"], "goals": ["mål"],
               "labels": {"goals": "Mål för året:"},
               "sections": [{"heading": "Två\nrader"}]}
    page = Page(str(forms.render("section", section)))
    tags = {a.get("name"): tag for tag, a in page.elements if a.get("name")}
    assert tags["content[0]"] == tags["goals[0]"] == tags["sections[0].heading"] == "textarea"
    assert tags["heading"] == tags["labels.goals"] == "input"
    html = str(forms.render("section", section))
    hint = str(escape(forms.APOSTROPHE_HINT))
    # One per label field (the section's and its child's): "" removes a label.
    assert html.count(hint) == 16 == len(re.findall(r'id="h-[^"]*labels\.', html))
