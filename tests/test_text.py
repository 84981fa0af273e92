"""Text from users reaches the document verbatim: specials, newlines, any script."""

from __future__ import annotations

from pathlib import Path

from conftest import minimal_municipality, write_municipality
from docx import Document

from avtalsgen.build import Options, render_municipality

HOSTILE = [
    'Tom & Jerry <b>fet</b> "citat" \'enkla\'',
    "rad ett\nrad två\nrad tre",
    "Ελληνικά, Русский, العربية, 中文, हिन्दी, 😀, Åäö",
    "{{ kommun.name }} {% if x %} {_{ }_} {#",
    "]]> &amp; &lt; <![CDATA[ x ]]>",
    "kolumn\tefter tab",
]


def test_hostile_text_in_every_kind_of_field_is_verbatim(tmp_path: Path) -> None:
    muni = minimal_municipality()
    muni["kommun"]["name"] = HOSTILE[0]
    muni["signing"]["signatories"][0]["name"] = HOSTILE[2]
    muni["signing"]["signatories"][1]["title"] = HOSTILE[4]
    doc = {
        "type": "agreement",
        "title": HOSTILE[3],
        "subtitle": HOSTILE[1],
        "sections": [{
            "heading": HOSTILE[0],
            "content": [
                HOSTILE[1],
                {"text": HOSTILE[5], "footnote": HOSTILE[0]},
                {"bullets": HOSTILE},
                {"numbered": [HOSTILE[2]]},
                {"table": "t"},
                {"signatures": "lines"},
            ],
            "goals": [HOSTILE[4]],
            "commitments": [HOSTILE[3]],
        }],
    }
    stats = {"tables": {"t": {"columns": ["Vad", HOSTILE[0]],
                              "rows": [[HOSTILE[1], HOSTILE[2]]], "unit": "text"}}}
    folder = write_municipality(tmp_path / "m" / "exempel", muni, {"avtal": doc}, stats)
    outcome = render_municipality(folder, Options(out_dir=tmp_path / "out"))
    [path] = outcome.written
    document = Document(str(path))
    texts = [p.text for p in document.paragraphs]
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    footnotes = _footnote_texts(path)
    for value in HOSTILE:
        assert value in texts, value
    # The title on the cover, not evaluated as a template.
    assert [t for t, p in zip(texts, document.paragraphs, strict=True)
            if p.style.name == "Cover Title"] == [HOSTILE[3]]
    assert HOSTILE[1] in cells and HOSTILE[2] in cells and HOSTILE[0] in cells
    assert any(HOSTILE[0] in f for f in footnotes)
    header = "\n".join(p.text for p in document.sections[0].header.paragraphs)
    assert HOSTILE[0] in header


def _footnote_texts(path: Path) -> list[str]:
    import zipfile

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/footnotes.xml"))
    return ["".join(t.text or "" for t in fn.iter(f"{w}t")) for fn in root.iter(f"{w}footnote")]
