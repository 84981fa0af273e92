"""The vocabulary for any municipality: each new feature rendered from a small config and
read back from the .docx (text as a reader sees it, Word numbering, XML structure)."""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import W, minimal_municipality, paragraphs, visible_paragraphs, write_municipality
from docx import Document

from avtalsgen import model as m
from avtalsgen.build import load, render_bundle
from avtalsgen.schema import json_schema

SLUG = "exempelby"


# --- helpers ---------------------------------------------------------------------------

def render(tmp_path: Path, documents: dict[str, dict], municipality: dict | None = None,
           statistics: dict | None = None) -> dict[str, Path]:
    """Write a municipality folder, render every document, return the .docx paths."""
    folder = write_municipality(tmp_path / "municipalities" / SLUG,
                                municipality or minimal_municipality(), documents, statistics)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    paths = {}
    for name, data in render_bundle(load(folder)).items():
        paths[name] = out / f"{name}.docx"
        paths[name].write_bytes(data)
    return paths


def render_one(tmp_path: Path, document: dict, **kw: Any) -> Path:
    return render(tmp_path, {"dokument": document}, **kw)["dokument"]


def plan(*sections: dict, **extra: Any) -> dict:
    return {"type": "action_plan", "title": "Handlingsplan", "sections": list(sections),
            **extra}


def body_after_toc(paras: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The paragraphs from the first heading on (skips the cover and the contents)."""
    first = next(i for i, (s, _) in enumerate(paras) if s.startswith("Heading"))
    return paras[first:]


def labels(path: Path) -> list[str]:
    return [t for s, t in paragraphs(path) if s == "Label"]


def headings(path: Path) -> list[str]:
    return [t for s, t in visible_paragraphs(path) if s.startswith("Heading")]


def numbering_of(path: Path, heading_text: str) -> tuple[int, int, Any]:
    """(numId, ilvl, the w:num element) of the heading paragraph with this typed text."""
    doc = Document(str(path))
    [p] = [p for p in doc.paragraphs if p.style.name.startswith("Heading")
           and p.text == heading_text]
    num_pr = p._p.find(f"{W}pPr/{W}numPr")
    assert num_pr is not None, f"{heading_text!r} is not Word-numbered (no w:numPr)"
    num_id = num_pr.find(f"{W}numId").get(f"{W}val")
    ilvl = int(num_pr.find(f"{W}ilvl").get(f"{W}val"))
    root = doc.part.numbering_part.element
    [num] = [n for n in root.iter(f"{W}num") if n.get(f"{W}numId") == num_id]
    return int(num_id), ilvl, num


def lvl_text(path: Path, num: Any, ilvl: int) -> str:
    root = Document(str(path)).part.numbering_part.element
    abstract_id = num.find(f"{W}abstractNumId").get(f"{W}val")
    [abstract] = [a for a in root.iter(f"{W}abstractNum")
                  if a.get(f"{W}abstractNumId") == abstract_id]
    [lvl] = [lv for lv in abstract.iter(f"{W}lvl") if int(lv.get(f"{W}ilvl")) == ilvl]
    return lvl.find(f"{W}lvlText").get(f"{W}val")


def start_override(num: Any, ilvl: int) -> int | None:
    for override in num.iter(f"{W}lvlOverride"):
        if int(override.get(f"{W}ilvl")) == ilvl:
            start = override.find(f"{W}startOverride")
            return None if start is None else int(start.get(f"{W}val"))
    return None


def children(*names: str, **extra: Any) -> list[dict]:
    return [{"heading": n, "content": [f"Om {n}."], **extra} for n in names]


# --- 1. labelled fields in the order the YAML writes them ------------------------------

def test_responsible_before_goals_prints_ansvarig_before_mal(tmp_path: Path) -> None:
    section = {"heading": "Åtgärd", "responsible": ["Fritidschefen"], "goals": ["Färre brott"]}
    path = render_one(tmp_path, plan(section))
    assert labels(path) == ["Ansvarig:", "Mål:"]
    body = body_after_toc(paragraphs(path))
    texts = [t for _, t in body]
    assert texts == ["Åtgärd", "Ansvarig:", "Fritidschefen", "Mål:", "Färre brott"]


def test_methods_before_background_from_hand_written_yaml(tmp_path: Path) -> None:
    folder = write_municipality(tmp_path / "municipalities" / SLUG, minimal_municipality(),
                                {"dokument": plan()})
    (folder / "dokument.yaml").write_text(
        "type: action_plan\n"
        "title: Handlingsplan\n"
        "sections:\n"
        "  - heading: Åtgärd\n"
        "    methods:\n"
        "      - Vi går nattvandringar.\n"
        "    follow_up: [Antal vandringar]\n"
        "    background:\n"
        "      - Oro i centrum.\n", encoding="utf-8")
    path = tmp_path / "d.docx"
    path.write_bytes(render_bundle(load(folder))["dokument"])
    body = body_after_toc(paragraphs(path))
    assert body == [("Heading 1", "Åtgärd"), ("Label", "Metod:"),
                    ("Normal", "Vi går nattvandringar."), ("Label", "Uppföljning:"),
                    ("List Bullet", "Antal vandringar"), ("Label", "Bakgrund:"),
                    ("Normal", "Oro i centrum.")]


def test_old_fixed_order_prints_as_before(tmp_path: Path) -> None:
    # Keys in the order the fields were always printed (before they followed the YAML).
    section = {"heading": "Trygghet",
               "background": ["Bakgrundstext."],
               "problem": ["Problemtext."],
               "goals": ["Målet."],
               "sub_goals": ["Delmålet."],
               "commitments": ["Ett åtagande.", "Ett till."],
               "responsible": ["Kommunen."],
               "timeline": ["Hösten 2025."],
               "methods": ["Metodtext."],
               "follow_up": ["Indikator."]}
    path = render_one(tmp_path, plan(section))
    assert body_after_toc(paragraphs(path)) == [
        ("Heading 1", "Trygghet"),
        ("Label", "Bakgrund:"), ("Normal", "Bakgrundstext."),
        ("Heading 2", "Problembild"), ("Normal", "Problemtext."),
        ("Label", "Mål:"), ("Normal", "Målet."),
        ("Normal", "Delmål 1: Delmålet."),
        ("Label", "Åtaganden:"), ("Normal", "Ett åtagande."), ("Normal", "Ett till."),
        ("Label", "Ansvarig:"), ("Normal", "Kommunen."),
        ("Label", "Tidplan:"), ("Normal", "Hösten 2025."),
        ("Label", "Metod:"), ("Normal", "Metodtext."),
        ("Label", "Uppföljning:"), ("List Bullet", "Indikator.")]


def test_field_order_survives_yaml_reordering_of_every_field(tmp_path: Path) -> None:
    order = list(reversed(m.LABELLED_FIELDS))
    values = {"background": ["B."], "problem": ["P."], "goals": ["G."], "sub_goals": ["S."],
              "commitments": ["C."], "responsible": ["R."], "timeline": ["T."],
              "methods": ["M."], "follow_up": ["F."]}
    section = {"heading": "Omvänt", **{k: values[k] for k in order}}
    path = render_one(tmp_path, plan(section))
    texts = [t for _, t in body_after_toc(paragraphs(path))]
    positions = [texts.index(values[k][0] if k != "sub_goals" else "Delmål 1: S.")
                 for k in order]
    assert positions == sorted(positions), texts


# --- 2. numbering: start, format, continue -----------------------------------------------

def test_numbering_start_4_numbers_children_4_and_5_with_nested_4_1(tmp_path: Path) -> None:
    theme = {"heading": "Tema", "number_sections": True, "numbering": {"start": 4},
             "sections": [{"heading": "Fjärde", "number_sections": True,
                           "sections": children("Inre")},
                          {"heading": "Femte"}]}
    path = render_one(tmp_path, plan(theme))
    assert headings(path) == ["Tema", "4. Fjärde", "4.1 Inre", "5. Femte"]
    # Word numbering, not typed text: w:numPr on the heading, start as startOverride.
    _, ilvl, num = numbering_of(path, "Fjärde")
    assert ilvl == 0
    assert lvl_text(path, num, 0) == "%1."
    assert start_override(num, 0) == 4
    inner_id, inner_lvl, _ = numbering_of(path, "Inre")
    assert (inner_id, inner_lvl) == (numbering_of(path, "Fjärde")[0], 1)
    assert lvl_text(path, num, 1) == "%1.%2"
    typed = [t for s, t in paragraphs(path) if s.startswith("Heading")]
    assert not any(t[:1].isdigit() for t in typed)


def test_numbering_format_gives_atgard_n(tmp_path: Path) -> None:
    theme = {"heading": "Tema", "number_sections": True,
             "numbering": {"format": "Åtgärd {n}:"}, "sections": children("Nattvandring",
                                                                         "Belysning")}
    path = render_one(tmp_path, plan(theme))
    # conftest's reader and the start-aware one agree here (start 1).
    vis = [t for s, t in visible_paragraphs(path) if s == "Heading 2"]
    assert vis == ["Åtgärd 1: Nattvandring", "Åtgärd 2: Belysning"]
    assert headings(path)[1:] == vis
    _, _, num = numbering_of(path, "Nattvandring")
    assert lvl_text(path, num, 0) == "Åtgärd %1:"


def test_numbering_continue_counts_on_across_themes(tmp_path: Path) -> None:
    first = {"heading": "Tema ett", "number_sections": True,
             "sections": children("A", "B", "C")}
    second = {"heading": "Tema två", "number_sections": True, "numbering": {"continue": True},
              "sections": children("D", "E")}
    path = render_one(tmp_path, plan(first, second))
    assert headings(path) == ["Tema ett", "1. A", "2. B", "3. C", "Tema två", "4. D", "5. E"]
    a_id, _, a_num = numbering_of(path, "A")
    d_id, d_lvl, d_num = numbering_of(path, "D")
    assert d_lvl == 0
    # Either the same Word list counting on, or a new one starting at 4.
    assert d_id == a_id or start_override(d_num, 0) == 4
    assert lvl_text(path, d_num, 0) == lvl_text(path, a_num, 0) == "%1."


def test_numbering_without_continue_restarts(tmp_path: Path) -> None:
    first = {"heading": "Tema ett", "number_sections": True, "sections": children("A", "B")}
    second = {"heading": "Tema två", "number_sections": True, "sections": children("C")}
    path = render_one(tmp_path, plan(first, second))
    assert headings(path) == ["Tema ett", "1. A", "2. B", "Tema två", "1. C"]


def test_numbering_continue_with_start_and_other_format(tmp_path: Path) -> None:
    first = {"heading": "Tema ett", "number_sections": True, "numbering": {"start": 4},
             "sections": children("A", "B", "C")}
    second = {"heading": "Tema två", "number_sections": True,
              "numbering": {"continue": True, "format": "Åtgärd {n}:"},
              "sections": children("D", "E")}
    path = render_one(tmp_path, plan(first, second))
    assert headings(path) == ["Tema ett", "4. A", "5. B", "6. C", "Tema två",
                              "Åtgärd 7: D", "Åtgärd 8: E"]
    _, _, num = numbering_of(path, "D")
    assert lvl_text(path, num, 0) == "Åtgärd %1:"
    assert start_override(num, 0) == 7


@pytest.mark.parametrize("fmt", ["Åtgärd", "{n}.{n}", "%1 {n}"])
def test_bad_numbering_format_is_a_config_error(tmp_path: Path, cli, fmt: str) -> None:
    theme = {"heading": "Tema", "number_sections": True, "numbering": {"format": fmt},
             "sections": children("A")}
    write_municipality(tmp_path / "municipalities" / SLUG, minimal_municipality(),
                       {"dokument": plan(theme)})
    result = cli("render", SLUG, "--out", "out")
    assert result.exit_code == 2, result.output
    assert re.search(r"dokument\.yaml:\d+: sections\[0\]\.numbering\.format: .*\{n\}",
                     result.output), result.output
    assert "Traceback" not in result.output
    assert not Path("out").exists()


# --- 3. removable labels and header names --------------------------------------------------

def test_empty_background_label_prints_no_label_but_the_text(tmp_path: Path) -> None:
    section = {"heading": "Åtgärd", "background": ["Oro i centrum."],
               "goals": ["Färre brott."], "labels": {"background": ""}}
    path = render_one(tmp_path, plan(section))
    body = body_after_toc(paragraphs(path))
    assert body == [("Heading 1", "Åtgärd"), ("Normal", "Oro i centrum."),
                    ("Label", "Mål:"), ("Normal", "Färre brott.")]
    assert not any(s == "Label" and not t.strip() for s, t in paragraphs(path))


def test_own_label_replaces_default(tmp_path: Path) -> None:
    section = {"heading": "Åtgärd", "responsible": ["Kim"], "labels": {"responsible": "Ansvar:"}}
    assert labels(render_one(tmp_path, plan(section))) == ["Ansvar:"]


def _header_text(path: Path) -> list[str]:
    """The text of the page header (every page after the title page)."""
    return [p.text for p in Document(str(path)).sections[0].header.paragraphs]


def test_empty_kommun_header_name_leaves_that_side_empty(tmp_path: Path) -> None:
    muni = minimal_municipality()
    muni["kommun"] = {**muni["kommun"], "header_name": ""}
    muni["polis"] = {**muni["polis"], "header_name": "Polisen"}
    path = render_one(tmp_path, plan({"heading": "A"}), municipality=muni)
    first = _header_text(path)[0]
    left, right = first.split("\t", 1)
    assert left == ""
    assert right.strip("\t") == "Polisen"
    assert "Exempelby kommun" not in "\n".join(_header_text(path))


def test_header_false_names_neither_party(tmp_path: Path) -> None:
    muni = minimal_municipality(header=False)
    muni["polis"] = {**muni["polis"], "header_name": "Polisen"}
    path = render_one(tmp_path, plan({"heading": "A"}), municipality=muni)
    header = "\n".join(_header_text(path))
    for name in ("Exempelby kommun", "Polisen", "Lokalpolisområde"):
        assert name not in header, header
    assert "UTKAST version 0.1" in header  # the draft mark stays


def test_default_header_names_both_parties(tmp_path: Path) -> None:
    path = render_one(tmp_path, plan({"heading": "A"}))
    left, right = _header_text(path)[0].split("\t", 1)
    assert left == "Exempelby kommun"
    assert right.strip("\t") == "Lokalpolisområde Exempelby"


# --- 4. signatories only where signed ---------------------------------------------------------

SIGNATURE_STYLES = {"Signature Line", "Signatory Name", "Signatory Title",
                    "Signatory Title Kept", "Signing Place", "Signing Party"}


def test_no_signatories_renders_documents_without_signatures(tmp_path: Path) -> None:
    muni = minimal_municipality()
    muni["signing"] = {"place": "Exempelby", "date": "2025-03-01"}
    docs = {"bilagor": {"type": "appendices", "title": "Bilagor",
                        "sections": [{"heading": "Åtgärd", "methods": ["Så här."]}]},
            "lagesbild": {"type": "situation_report", "title": "Lägesbild",
                          "sections": [{"heading": "Läget", "content": ["Lugnt."]}]}}
    paths = render(tmp_path, docs, municipality=muni)
    assert set(paths) == {"bilagor", "lagesbild"}
    for path in paths.values():
        paras = paragraphs(path)
        assert not [s for s, _ in paras if s in SIGNATURE_STYLES]
        assert "Anna Andersson" not in "\n".join(t for _, t in paras)
    assert ("Normal", "Lugnt.") in paragraphs(paths["lagesbild"])


def test_signatures_without_signatories_is_a_config_error(tmp_path: Path, cli) -> None:
    muni = minimal_municipality()
    muni["signing"] = {"place": "Exempelby", "date": "2025-03-01"}
    doc = {"type": "agreement", "title": "Avtal",
           "sections": [{"heading": "Underskrifter",
                         "content": ["Text.", {"signatures": "lines"}]}]}
    folder = write_municipality(tmp_path / "municipalities" / SLUG, muni, {"avtal": doc})
    text = (folder / "avtal.yaml").read_text(encoding="utf-8")
    line = text[:text.index("signatures: lines")].count("\n") + 1
    result = cli("validate", SLUG)
    assert result.exit_code == 2, result.output
    assert re.search(rf"avtal\.yaml:{line}: sections\[0\]\.content\[1\]\.signatures: .*signatures "
                     r"block needs signatories", result.output), result.output
    render_result = cli("render", SLUG, "--out", "out")
    assert render_result.exit_code == 2
    assert "needs signatories" in render_result.output
    assert not Path("out").exists()


def _signed(tmp_path: Path, signing: dict) -> list[tuple[str, str]]:
    muni = minimal_municipality()
    muni["signing"] = signing
    doc = {"type": "agreement", "title": "Avtal",
           "sections": [{"heading": "Underskrifter", "content": [{"signatures": "lines"}]}]}
    path = render_one(tmp_path, doc, municipality=muni)
    return [(s, t) for s, t in paragraphs(path) if s in SIGNATURE_STYLES]


def test_signatory_with_own_place_and_date(tmp_path: Path) -> None:
    got = _signed(tmp_path, {
        "place": "Exempelby", "date": "2025-03-01", "signatories": [
            {"name": "Anna Andersson", "title": "Ordförande", "party": "kommun"},
            {"name": "Bo Berg", "title": "Lokalpolisområdeschef", "party": "polis",
             "place": "Kiruna", "date": "2025-03-03"}]})
    assert got == [
        ("Signing Party", "För Exempelby kommun"), ("Signing Place", "Exempelby 1 mars 2025"),
        ("Signature Line", ""), ("Signatory Name", "Anna Andersson"),
        ("Signatory Title Kept", "Ordförande"),
        ("Signing Party", "För Lokalpolisområde Exempelby"),
        ("Signing Place", "Kiruna 3 mars 2025"),
        ("Signature Line", ""), ("Signatory Name", "Bo Berg"),
        ("Signatory Title", "Lokalpolisområdeschef")]


def test_every_signatory_with_own_place_and_date_has_no_common_line(tmp_path: Path) -> None:
    got = _signed(tmp_path, {
        "signatories": [
            {"name": "Anna Andersson", "title": "Ordförande", "party": "kommun",
             "place": "Exempelby", "date": "2025-03-01"},
            {"name": "Bo Berg", "title": "Chef", "party": "polis", "place": "Kiruna",
             "date": "2025-03-03"}]})
    places = [t for s, t in got if s == "Signing Place"]
    assert places == ["Exempelby 1 mars 2025", "Kiruna 3 mars 2025"]
    assert got[1] == ("Signing Place", "Exempelby 1 mars 2025")
    assert got[2] == ("Signature Line", "")


def test_one_signature_design_whatever_the_old_choices(tmp_path: Path) -> None:
    """title_position: above and dotted lines are read but change nothing (issue 22):
    a shared place and date stands once, then per party its name, line, name, title."""
    got = _signed(tmp_path, {
        "place": "Exempelby", "date": "2025-03-01", "title_position": "above",
        "signatories": [{"name": "Anna Andersson", "title": "Ordförande", "party": "kommun"},
                        {"name": "Bo Berg", "title": "Chef", "party": "polis"}]})
    texts = [t for _, t in got]
    assert texts == ["Exempelby 1 mars 2025", "För Exempelby kommun", "", "Anna Andersson",
                     "Ordförande", "För Lokalpolisområde Exempelby", "", "Bo Berg", "Chef"]
    assert [s for s, _ in got][-1] == "Signatory Title"  # the last keeps with nothing


# --- 5. validate warns for a draft, refuses a final ----------------------------------------------

def _placeholder_config(tmp_path: Path, status: str = "draft") -> int:
    """A config with a placeholder; returns the line of the placeholder."""
    folder = write_municipality(
        tmp_path / "municipalities" / SLUG, minimal_municipality(status=status),
        {"plan": plan({"heading": "A", "content": ["Inledning.", "TODO: skriv syftet"]})})
    text = (folder / "plan.yaml").read_text(encoding="utf-8")
    return text[:text.index("TODO")].count("\n") + 1


def test_validate_draft_with_placeholder_warns_and_exits_0(tmp_path: Path, cli) -> None:
    line = _placeholder_config(tmp_path)
    result = cli("validate", SLUG)
    assert result.exit_code == 0, result.output
    warning = [ln for ln in result.output.splitlines() if ln.startswith("warning:")]
    assert len(warning) == 1, result.output
    assert f"plan.yaml:{line}:" in warning[0]
    assert "sections[0].content[1]" in warning[0]
    assert "'TODO'" in warning[0]
    assert re.search(r"^ok .*exempelby.*1 warnings?", result.output, re.M), result.output


def test_validate_final_flag_refuses_placeholder(tmp_path: Path, cli) -> None:
    line = _placeholder_config(tmp_path)
    result = cli("validate", "--final", SLUG)
    assert result.exit_code == 2, result.output
    assert re.search(rf"plan\.yaml:{line}: sections\[0\]\.content\[1\]: .*'TODO'", result.output)
    assert not re.search(r"^ok ", result.output, re.M)


def test_validate_status_final_refuses_placeholder(tmp_path: Path, cli) -> None:
    line = _placeholder_config(tmp_path, status="final")
    result = cli("validate", SLUG)
    assert result.exit_code == 2, result.output
    assert re.search(rf"plan\.yaml:{line}: sections\[0\]\.content\[1\]: .*'TODO'", result.output)


def test_validate_clean_draft_has_no_warnings(tmp_path: Path, cli) -> None:
    write_municipality(tmp_path / "municipalities" / SLUG, minimal_municipality(),
                       {"plan": plan({"heading": "A", "content": ["Klart."]})})
    result = cli("validate", SLUG)
    assert result.exit_code == 0
    assert "warning" not in result.output


# --- 6. defaults in the schema equal behaviour ----------------------------------------------

QUOTED = re.compile(r"'([^']*)'")


def _label_defaults() -> dict[str, list[str]]:
    """Per field of Labels, the quoted values after 'Standard' in its schema description."""
    props = json_schema()["$defs"]["Labels"]["properties"]
    assert set(props) == set(m.Labels.model_fields)
    out = {}
    for name, prop in props.items():
        description = prop.get("description", "")
        match = re.match(r"Standard (.*)", description)
        assert match, f"Labels.{name}: description does not start 'Standard …': {description!r}"
        out[name] = QUOTED.findall(match.group(1))
        assert out[name], f"Labels.{name}: no quoted default in {description!r}"
    return out


def _all_fields_section() -> dict:
    return {"heading": "Allt", "background": ["B."], "problem": ["P."], "goals": ["G."],
            "commitments": ["C."], "responsible": ["R."], "timeline": ["T."],
            "methods": ["M."], "follow_up": ["F."]}


def _printed_label(path: Path, field: str) -> list[str]:
    """The label (or, for problem, the sub-heading) printed before the field's value."""
    value = {"background": "B.", "problem": "P.", "goals": "G.", "commitments": "C.",
             "responsible": "R.", "timeline": "T.", "methods": "M.", "follow_up": "F."}[field]
    paras = paragraphs(path)
    i = next(i for i, (_, t) in enumerate(paras) if t == value)
    style, text = paras[i - 1]
    want = "Heading 2" if field == "problem" else "Label"
    assert style == want, f"{field}: the paragraph before {value!r} is {paras[i - 1]}"
    return [text]


def test_label_defaults_in_schema_are_what_an_action_plan_prints(tmp_path: Path) -> None:
    defaults = _label_defaults()
    path = render_one(tmp_path, plan(_all_fields_section()))
    for field, quoted in defaults.items():
        [printed] = _printed_label(path, field)
        assert printed == quoted[0], f"Labels.{field}: schema says {quoted[0]!r}, " \
            f"an action plan prints {printed!r}"
    # Åtagande: / Åtaganden: — the plural for more than one commitment.
    plural = render_one(tmp_path / "plural", plan({"heading": "Två",
                                                   "commitments": ["C.", "D."]}))
    assert labels(plural) == [defaults["commitments"][1]]


def test_methods_default_in_appendices_is_tillvagagangssatt(tmp_path: Path) -> None:
    description = json_schema()["$defs"]["Labels"]["properties"]["methods"]["description"]
    match = re.search(r"\(i bilagor '([^']*)'\)", description)
    assert match, description
    doc = {"type": "appendices", "title": "Bilagor", "sections": [_all_fields_section()]}
    path = render_one(tmp_path, doc)
    assert _printed_label(path, "methods") == [match.group(1)] == ["Tillvägagångssätt:"]
    # The other labels are the same as in an action plan.
    defaults = _label_defaults()
    for field in ("background", "goals", "responsible", "timeline", "follow_up"):
        assert _printed_label(path, field) == [defaults[field][0]]


def test_appendix_of_an_action_plan_uses_appendix_labels(tmp_path: Path) -> None:
    docs = {"plan": {**plan({"heading": "Huvud", "methods": ["M1."]}),
                     "appendices": ["bilagor"]},
            "bilagor": {"type": "appendices", "title": "Bilagor",
                        "sections": [{"heading": "Åtgärd", "methods": ["M2."]}]}}
    path = render(tmp_path, docs)["plan"]
    paras = paragraphs(path)
    i1 = paras.index(("Normal", "M1."))
    i2 = paras.index(("Normal", "M2."))
    assert paras[i1 - 1] == ("Label", "Metod:")
    assert paras[i2 - 1] == ("Label", "Tillvägagångssätt:")


def _walk(node: Any, where: str) -> Any:
    if isinstance(node, dict):
        for key, prop in (node.get("properties") or {}).items():
            if isinstance(prop, dict):
                yield f"{where}.{key}", prop
        for key, value in node.items():
            if key != "properties":
                yield from _walk(value, f"{where}/{key}")
        for key, prop in (node.get("properties") or {}).items():
            yield from _walk(prop, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}[{i}]")


STANDARD_PATTERNS = (
    re.compile(r"[Ss]tandard(?: är)?:? '([^']*)'"),   # "Standard 'Mål:'", "standard är '…'"
    re.compile(r"'([^']*)' \(standard\)"),           # "'{n}.' (standard)"
    re.compile(r"\(([^(),']+), standard\)"),         # "(below, standard)"
)


def test_schema_descriptions_name_the_real_string_defaults() -> None:
    checked: list[str] = []
    unreadable: list[str] = []
    for where, prop in _walk(json_schema(), "#"):
        description = prop.get("description", "")
        if "default" not in prop or "standard" not in description.lower():
            continue
        default = prop["default"]
        if not isinstance(default, str):
            continue
        named = [v for pattern in STANDARD_PATTERNS for v in pattern.findall(description)]
        if not named:
            unreadable.append(f"{where}: {description!r} (default {default!r})")
            continue
        assert default in named, (f"{where}: description says the default is "
                                  f"{named}, the schema default is {default!r}")
        checked.append(where)
    if unreadable:
        warnings.warn("descriptions mentioning 'standard' without a readable default:\n"
                      + "\n".join(sorted(set(unreadable))), stacklevel=1)
    # The walk found what it should: at least the numbering format and title position.
    assert any(w.endswith("Numbering.format") for w in checked), checked
    assert any(w.endswith(".title_position") for w in checked), checked


# --- 7. footnote reference where the author puts it -----------------------------------------

def _runs_around_reference(path: Path, paragraph_text: str) -> list[str]:
    """The paragraph's runs in order: their text, or '^' for a footnote reference."""
    doc = Document(str(path))
    [p] = [p for p in doc.paragraphs if p.text == paragraph_text]
    out = []
    for r in p._p.iter(f"{W}r"):
        if r.find(f"{W}footnoteReference") is not None:
            out.append("^")
        else:
            text = "".join(t.text or "" for t in r.iter(f"{W}t"))
            if text:
                out.append(text)
    return out


def _footnotes(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/footnotes.xml").decode()


def test_footnote_marker_places_the_reference(tmp_path: Path) -> None:
    section = {"heading": "A", "content": [
        {"text": "Före{fotnot} efter.", "footnote": "Not."},
        {"bullets": [{"text": "Punkt{fotnot} två", "footnote": "Punktnot."}, "Vanlig"]},
        {"numbered": [{"text": "Numrerad{fotnot} punkt", "footnote": "Numrerad not."}]},
        {"text": "Utan markör.", "footnote": "Slutnot."}]}
    path = render_one(tmp_path, plan(section))
    paras = paragraphs(path)
    assert ("Normal", "Före efter.") in paras
    assert ("List Bullet", "Punkt två") in paras
    assert "{fotnot}" not in "\n".join(t for _, t in paras)
    assert _runs_around_reference(path, "Före efter.") == ["Före", "^", " efter."]
    assert _runs_around_reference(path, "Punkt två") == ["Punkt", "^", " två"]
    assert _runs_around_reference(path, "Numrerad punkt") == ["Numrerad", "^", " punkt"]
    assert _runs_around_reference(path, "Utan markör.") == ["Utan markör.", "^"]
    notes = _footnotes(path)
    texts = ("Not.", "Punktnot.", "Numrerad not.", "Slutnot.")
    for text in texts:
        assert f">{text}<" in notes
    # Each reference points at the footnote holding its own text.
    body = Document(str(path)).element.body
    ids = [r.get(f"{W}id") for r in body.iter(f"{W}footnoteReference")]
    assert len(ids) == 4
    for ref_id, text in zip(ids, texts, strict=True):
        assert re.search(rf'w:id="{ref_id}">.*?>{re.escape(text)}<', notes), (ref_id, text)


def test_footnote_marker_without_footnote_is_kept_verbatim(tmp_path: Path) -> None:
    path = render_one(tmp_path, plan({"heading": "A", "content": ["Text{fotnot} här."]}))
    assert ("Normal", "Text{fotnot} här.") in paragraphs(path)


# --- 8. contents: in_toc --------------------------------------------------------------------------

def _toc(path: Path) -> list[tuple[str, str]]:
    # Word's own style names ("toc 1"), as python-docx reports them.
    return [(s.upper(), t) for s, t in paragraphs(path) if re.fullmatch(r"toc \d", s)]


def test_in_toc_overrides_toc_levels(tmp_path: Path) -> None:
    doc = plan({"heading": "Med", "sections": [
                   {"heading": "Vald underrubrik", "in_toc": True},
                   {"heading": "Vanlig underrubrik",
                    "content": [{"heading": "Blockrubrik", "in_toc": True},
                                {"heading": "Annan blockrubrik"}]}]},
               {"heading": "Utan", "in_toc": False},
               {"heading": "Sist"}, toc="Innehåll", toc_levels=1)
    path = render_one(tmp_path, doc)
    assert _toc(path) == [("TOC 1", "Med"), ("TOC 2", "Vald underrubrik"),
                          ("TOC 3", "Blockrubrik"), ("TOC 1", "Sist")]
    assert ("TOC Heading", "Innehåll") in paragraphs(path)


def test_in_toc_applies_to_appendix_headings(tmp_path: Path) -> None:
    docs = {"plan": {**plan({"heading": "Huvud"}, toc="Innehåll", toc_levels=1),
                     "appendices": ["bilagor"]},
            "bilagor": {"type": "appendices", "title": "Åtgärder",
                        "sections": [{"heading": "Listad", "in_toc": True},
                                     {"heading": "Ej listad"}]}}
    path = render(tmp_path, docs)["plan"]
    assert _toc(path) == [("TOC 1", "Huvud"), ("TOC 1", "Bilaga 1 Åtgärder"),
                          ("TOC 2", "Listad")]
    assert ("Heading 2", "Ej listad") in paragraphs(path)


def test_toc_entries_of_numbered_headings_read_as_the_headings(tmp_path: Path) -> None:
    themes = [{"heading": "Tema", "number_sections": True, "numbering": {"start": 4},
               "sections": [{"heading": "Barn", "number_sections": True,
                             "sections": [{"heading": "Inre"}]}]},
              {"heading": "Tema två", "number_sections": True,
               "numbering": {"format": "Åtgärd {n}:"},
               "sections": [{"heading": "X", "number_sections": True,
                             "sections": [{"heading": "Y"}]}]}]
    path = render_one(tmp_path, plan(*themes, toc="Innehåll", toc_levels=3))
    toc = [t for _, t in _toc(path)]
    assert toc == headings(path), "the contents list the headings as Word numbers them"


def test_toc_field_lists_what_in_toc_chose(tmp_path: Path) -> None:
    """When Word or LibreOffice updates the TOC field (the document asks for it on
    opening; PDF export does it), the result must still honour in_toc: the field is
    built from TC entries that stand exactly on the chosen headings."""
    doc = plan({"heading": "Med", "sections": [{"heading": "Vald", "in_toc": True}]},
               {"heading": "Utan", "in_toc": False}, toc="Innehåll", toc_levels=1)
    path = render_one(tmp_path, doc)
    document = Document(str(path))
    instr = [t.text or "" for t in document.element.body.iter(f"{W}instrText")]
    toc_field = next(i for i in instr if i.strip().startswith("TOC"))
    assert "\\f" in toc_field and "\\o" not in toc_field, toc_field
    entries = []
    for p in document.paragraphs:
        for text in (t.text or "" for t in p._p.iter(f"{W}instrText")):
            found = re.fullmatch(r'\s*TC "(.*)" \\l (\d) \s*', text)
            if found:
                assert p.style.name.startswith("Heading"), p.style.name
                assert found.group(1) == p.text  # on the heading it lists
                entries.append(found.group(1))
    assert sorted(entries) == sorted(t for _, t in _toc(path)) == ["Med", "Vald"]


def test_toc_in_libreoffice_honours_in_toc(tmp_path: Path) -> None:
    """The contents as LibreOffice recomputes them (PDF export updates every index)."""
    import subprocess

    from conftest import soffice, tool

    soffice()
    tool("pdftotext")
    from avtalsgen.pdf import convert

    doc = plan({"heading": "Med", "sections": [{"heading": "Vald", "in_toc": True},
                                               {"heading": "Ejvald"}]},
               {"heading": "Utan", "in_toc": False}, {"heading": "Tre"},
               toc="Innehåll", toc_levels=1)
    path = render_one(tmp_path, doc)
    pdf = path.with_suffix(".pdf")
    convert([(path, pdf)])
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    contents = text[text.index("Innehåll"):].split("\f", 1)[0]
    listed = [ln.split(".")[0].strip() for ln in contents.splitlines()[1:]
              if re.search(r"\.{3,}\s*\d+\s*$", ln)]
    assert listed == ["Med", "Vald", "Tre"], contents


# --- 9. table captions and column styles ----------------------------------------------------------

STATS = {"tables": {
    "brott": {"columns": ["Brott", "2023", "2024"],
              "rows": [["Stöld", 120, 98], ["Skadegörelse", 40, 51]],
              "total": {"label": "Totalt"}},
    "andra": {"columns": ["Plats", "Antal"], "rows": [["Centrum", 3]]},
}}


def _cell_props(cell: Any) -> set[str]:
    """Run properties on every text run of a cell: 'b' and/or 'i' when all runs have it."""
    runs = [r for r in cell._tc.iter(f"{W}r") if r.find(f"{W}t") is not None]
    assert runs, "an empty cell"
    props = set()
    for tag in ("b", "i"):
        if all(r.find(f"{W}rPr/{W}{tag}") is not None for r in runs):
            props.add(tag)
    return props


def test_table_caption_and_column_styles(tmp_path: Path) -> None:
    section = {"heading": "Statistik", "content": [
        {"table": "brott", "caption": "Anmälda brott",
         "column_styles": ["emphasis", None, "strong"]}]}
    path = render_one(tmp_path, plan(section), statistics=STATS)
    doc = Document(str(path))
    [tbl] = doc.tables
    caption = tbl._tbl.getprevious()
    assert caption.tag == f"{W}p"
    from docx.text.paragraph import Paragraph
    para = Paragraph(caption, doc.part)
    assert para.style.name.lower() == "caption"
    assert para.text == "Tabell 1. Anmälda brott"
    instr = "".join(t.text for t in caption.iter(f"{W}instrText"))
    assert "SEQ Tabell" in instr
    rows = tbl.rows
    assert [c.text for c in rows[0].cells] == ["Brott", "2023", "2024"]
    # Header row: bold as always, never italic.
    for c in rows[0].cells:
        assert _cell_props(c) == {"b"}
    for row in rows[1:3]:
        first, second, third = row.cells
        assert _cell_props(first) == {"i"}, first.text
        assert _cell_props(second) == set(), second.text
        assert _cell_props(third) == {"b"}, third.text
    assert [c.text for c in rows[3].cells] == ["Totalt", "160", "149"]


def test_two_captioned_tables_are_numbered_1_and_2(tmp_path: Path) -> None:
    section = {"heading": "Statistik", "content": [
        {"table": "brott", "caption": "Anmälda brott"},
        {"table": "andra"},  # no caption: takes no number
        {"table": "andra", "caption": "Platser"}]}
    path = render_one(tmp_path, plan(section), statistics=STATS)
    captions = [t for s, t in paragraphs(path) if s.lower() == "caption"]
    assert captions == ["Tabell 1. Anmälda brott", "Tabell 2. Platser"]
    doc = Document(str(path))
    before = [t._tbl.getprevious() for t in doc.tables]
    seq = ["SEQ Tabell" in "".join(x.text for x in p.iter(f"{W}instrText")) for p in before]
    assert seq == [True, False, True]


def test_table_without_column_styles_is_plain(tmp_path: Path) -> None:
    section = {"heading": "Statistik", "content": [{"table": "brott"}]}
    path = render_one(tmp_path, plan(section), statistics=STATS)
    [tbl] = Document(str(path)).tables
    for c in tbl.rows[1].cells:
        assert _cell_props(c) == set()
    assert not [t for s, t in paragraphs(path) if s.lower() == "caption"]


def test_yaml_helper_keeps_key_order() -> None:
    # The order tests above rely on yaml.safe_dump(sort_keys=False) keeping dict order.
    text = yaml.safe_dump({"responsible": [1], "goals": [2]}, sort_keys=False)
    assert text.index("responsible") < text.index("goals")
