"""Property-based: any text in any kind of field either reaches the document verbatim
or, when a .docx cannot hold it, fails validation naming the field."""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import minimal_municipality, visible_paragraphs, write_municipality
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from avtalsgen.build import Options, render_municipality
from avtalsgen.errors import ConfigError

# The rule (README, "What avtalsgen guarantees"): XML 1.0 cannot hold these.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Every kind of text field, with where it lands in the model.
FIELD_KINDS = ["title", "subtitle", "heading", "paragraph", "bullet", "numbered", "label",
               "footnote", "goal", "commitment", "table_cell", "column", "signatory_name",
               "signatory_title", "kommun_name", "chart_caption", "group_member"]

texts = st.one_of(
    st.text(max_size=80),  # any Unicode but surrogates: emoji, RTL, combining marks …
    st.text(alphabet=st.sampled_from([*"&<>\"'\n\t\r {}%#_\\", "\u202e", "\u200f", "😀", "ß",
                                      "ﬁ"]), max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3F), max_size=20),
    st.text(min_size=2000, max_size=6000),  # very long strings
)


def _document(values: dict[str, str]) -> tuple[dict, dict, dict]:
    muni = minimal_municipality()
    muni["kommun"]["name"] = "Ort " + values["kommun_name"]
    muni["signing"]["signatories"][0]["name"] = values["signatory_name"]
    muni["signing"]["signatories"][0]["title"] = "T " + values["signatory_title"]
    muni["organisation"] = {"steering_group": {"name": "Styrgrupp",
                                               "members": [values["group_member"]]}}
    doc = {
        "type": "action_plan",
        "title": "T " + values["title"],
        "subtitle": values["subtitle"],
        "sections": [{
            "heading": "H " + values["heading"],
            "content": [values["paragraph"], {"bullets": [values["bullet"]]},
                        {"numbered": [values["numbered"]]}, {"label": "L " + values["label"]},
                        {"text": "fotnot", "footnote": values["footnote"]},
                        {"table": "t"}, {"group": "steering_group"},
                        {"chart": {"table": "n", "kind": "bar",
                                   "caption": "C " + values["chart_caption"],
                                   "alt": "Stapeldiagram med två värden."}},
                        {"signatures": "lines"}],
            "goals": [values["goal"]],
            "commitments": [values["commitment"]],
        }],
    }
    stats = {"tables": {
        "t": {"columns": ["Vad", values["column"]], "rows": [["x", values["table_cell"]]],
              "unit": "text"},
        "n": {"columns": ["Grupp", "2024"], "rows": [["a", 1], ["b", 2]]},
    }}
    return muni, {"plan": doc}, stats


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _visible(path: Path) -> set[str]:
    doc = Document(str(path))
    seen = {text for _style, text in visible_paragraphs(path)}
    seen |= {c.text for t in doc.tables for row in t.rows for c in row.cells}
    seen |= {p.text for p in doc.sections[0].header.paragraphs}
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as z:
        notes = etree.fromstring(z.read("word/footnotes.xml"))
    for note in notes.iter(f"{w}footnote"):
        parts = []
        for el in note.iter():
            if el.tag == f"{w}t":
                parts.append(el.text or "")
            elif el.tag == f"{w}br":
                parts.append("\n")
            elif el.tag == f"{w}tab":
                parts.append("\t")
        seen.add("".join(parts)[1:])  # after the space that follows the mark
    return seen


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.fixed_dictionaries({kind: texts for kind in FIELD_KINDS}))
def test_any_text_in_every_field_kind(values: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_municipality(Path(tmp) / "m" / "ort", *_document(values))
        bad = {k for k, v in values.items() if FORBIDDEN.search(v)}
        if bad:
            with pytest.raises(ConfigError) as info:
                render_municipality(folder, Options(out_dir=Path(tmp) / "out"))
            named = " ".join(p.field for p in info.value.problems)
            assert all("U+" in p.message for p in info.value.problems)
            assert len(info.value.problems) == len(bad), named
            assert not (Path(tmp) / "out").exists()
            return
        [path] = render_municipality(folder, Options(out_dir=Path(tmp) / "out")).written
        seen = _visible(path)
        expected = {
            "title": "T " + values["title"], "heading": "H " + values["heading"],
            "label": "L " + values["label"], "signatory_title": "T " + values["signatory_title"],
            "chart_caption": "Figur 1. C " + values["chart_caption"],
        }
        for kind in FIELD_KINDS:
            want = _normalised(expected.get(kind, values[kind]))
            if kind == "numbered":
                want = f"1.\t{want}"
            elif kind == "kommun_name":
                assert any(_normalised("Ort " + values[kind]) in s for s in seen), kind
                continue
            assert want in seen, (kind, want)
