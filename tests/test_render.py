"""Read the generated Luleå documents back and check what a reader sees."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from conftest import paragraphs, visible_paragraphs
from docx import Document

NBSP = "\u00a0"


def test_agreement_headings_and_signatures(rendered: Path) -> None:
    path = rendered / "lulea" / "samverkansoverenskommelse.docx"
    paras = paragraphs(path)
    headings = [(s, t) for s, t in paras if s.startswith("Heading")]
    assert ("Heading 1", "Inledning") in headings
    assert ("Heading 1", "Organisation och arbetssätt") in headings
    assert ("Heading 2", "Styrgrupp") in headings
    assert ("Heading 2", "Beredningsgrupp") in headings
    assert paras[0] == ("Title", "Samverkansöverenskommelse")
    assert paras[1] == ("Subtitle", "Luleå kommun och Lokalpolisområde Luleå-Boden 2020–2023")
    names = [t for s, t in paras if s == "Signatory Name"]
    titles = [t for s, t in paras if s.startswith("Signatory Title")]
    assert names == ["Fredrik Hansson", "Anna Lindh Wikblad", "Petra Hinterthaler"]
    assert titles == ["Kommunalråd", "Kommundirektör", "Lokalpolisområdeschef"]
    assert ("Signing Place", "Luleå 2020") in paras
    # Each signatory has an (empty, bordered) signature line before the name.
    styles = [s for s, _ in paras]
    assert styles.count("Signature Line") == 3


def test_agreement_clauses_are_filled_with_party_names(rendered: Path) -> None:
    path = rendered / "lulea" / "samverkansoverenskommelse.docx"
    text = "\n".join(t for _, t in paragraphs(path))
    assert ("öka tryggheten i Luleå.") in text
    assert ("mellan Luleå kommun och Lokalpolisområde Luleå-Boden är att öka den upplevda "
            "tryggheten bland Luleborna") in text
    assert "{{" not in text and "{%" not in text


def test_agreement_footnote_is_a_real_word_footnote(rendered: Path) -> None:
    path = rendered / "lulea" / "samverkansoverenskommelse.docx"
    with zipfile.ZipFile(path) as z:
        body = z.read("word/document.xml").decode()
        notes = z.read("word/footnotes.xml").decode()
    assert "<w:footnoteReference" in body
    assert "Definition av förebyggande arbete" in notes


def test_action_plan_numbering_and_fields(rendered: Path) -> None:
    path = rendered / "lulea" / "verksamhetsplan.docx"
    paras = visible_paragraphs(path)
    heading_texts = [t for s, t in paras if s.startswith("Heading")]
    for expected in ("1. Samverkan - Organisation", "2. Lägesbild - samlad",
                     "6. Fokusområden för insatser/aktiviteter", "6.1 Trygghet",
                     "6.2 Ungdomar"):
        assert expected in heading_texts
    # The numbers are Word's own numbering, not typed text: a clerk inserting a
    # section in Word gets the rest renumbered.
    typed = [t for s, t in paragraphs(path) if s.startswith("Heading")]
    assert "Samverkan - Organisation" in typed and "Trygghet" in typed
    assert not any(t[:1].isdigit() for t in typed)
    assert ("Cover Meta", "Antagen av Styrgruppen 2020-09-01") in paras
    labels = [t for s, t in paras if s == "Label"]
    assert "Mål:" in labels and "Tidplan:" in labels
    texts = [t for _, t in paras]
    assert any(t.startswith("Delmål 1: Säkerställa vilken grunddata") for t in texts)


def test_statistics_tables_have_computed_totals_in_swedish_format(rendered: Path) -> None:
    doc = Document(str(rendered / "lulea" / "verksamhetsplan.docx"))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    assert len(tables) == 2
    suspects, victims = tables
    assert suspects[0] == ["Mr Ålder", "2014", "2015", "2016", "2017", "2018", "2019"]
    assert suspects[-1] == ["Tot", "625", "719", "828", "806", "764", "690"]
    # Thousands grouped with a non-breaking space; years in the header are not.
    assert victims[-1] == ["Tot", f"1{NBSP}046", f"1{NBSP}113", f"1{NBSP}202",
                           f"1{NBSP}281", f"1{NBSP}177", "975"]
    # The header row repeats on each page and is marked as a header (accessibility).
    header_row = doc.tables[0].rows[0]._tr
    assert header_row.xpath("./w:trPr/w:tblHeader")


def test_document_properties(rendered: Path) -> None:
    doc = Document(str(rendered / "lulea" / "verksamhetsplan.docx"))
    props = doc.core_properties
    assert props.title == "Verksamhetsplan 2020-2021"
    assert props.language == "sv-SE"
    assert "Luleå kommun" in props.author
    styles_xml = doc.styles.element.xml
    assert 'w:val="sv-SE"' in styles_xml


def test_header_names_parties_and_footer_has_page_number(rendered: Path) -> None:
    doc = Document(str(rendered / "lulea" / "verksamhetsplan.docx"))
    section = doc.sections[0]
    header = "\n".join(p.text for p in section.header.paragraphs)
    assert "LULEÅ KOMMUN" in header and "Polisen" in header
    footer_xml = section.footer._element.xml
    assert "PAGE" in footer_xml


def test_charts_have_caption_alt_text_and_numbering(rendered: Path) -> None:
    path = rendered / "skelleftea" / "underlag.docx"
    doc = Document(str(path))
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    # One series for every figure, charts of any kind and pictures (issue 22).
    assert [c.split(".")[0] for c in captions if c.startswith("Figur")] == [
        f"Figur {n}" for n in range(1, 11)]
    assert any(re.match(r"Figur \d+\. Resultat av medborgarundersökning", c) for c in captions)
    docprs = doc.element.body.xpath(".//wp:docPr")
    assert len(docprs) == 10
    for docpr in docprs:
        assert len(docpr.get("descr", "")) > 20
    # Native Word charts (tests/test_wordcharts.py), each with its workbook.
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert len([n for n in names if re.fullmatch(r"word/charts/chart\d+\.xml", n)]) == 10
    assert len([n for n in names if n.startswith("word/embeddings/")]) == 10
    # Each caption's number is a SEQ field, so Word can list and cross-reference figures.
    seq = [p for p in doc.paragraphs if p.style.name == "Caption"
           and "SEQ Figur" in "".join(p._p.itertext())]
    assert len(seq) == 10


def test_rendering_is_reproducible(rendered: Path, tmp_path: Path) -> None:
    from conftest import MUNICIPALITIES

    from avtalsgen.build import Options, render_many

    render_many(["lulea"], Options(out_dir=tmp_path, final=True), root=MUNICIPALITIES)
    for name in ("samverkansoverenskommelse.docx", "verksamhetsplan.docx"):
        assert (tmp_path / "lulea" / name).read_bytes() == \
            (rendered / "lulea" / name).read_bytes()


def test_approvals_are_printed_under_the_title_of_a_final_document(tmp_path: Path) -> None:
    """Who approved for each party is on the first page (and so in the PDF), not only in
    the file's properties, while both approvals match the content; one approval, or
    approvals of other content, print none."""
    import datetime as dt

    from conftest import minimal_municipality, write_municipality

    from avtalsgen import approvals
    from avtalsgen.build import Options, render_municipality

    doc = {"type": "agreement", "title": "Överenskommelse",
           "sections": [{"heading": "Syfte", "content": ["Text."]}]}
    expected = ["Godkänd för kommunen av Kajsa Kommun 2026-11-20",
                "Godkänd för polisen av Per Polis 2026-11-21"]
    given = [("kommun", "Kajsa Kommun", dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)),
             ("polis", "Per Polis", dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC))]
    for title_page in (True, False):
        for parties in (2, 1):
            folder = write_municipality(
                tmp_path / f"{parties}{title_page}" / "provby", minimal_municipality(),
                {"avtal": {**doc, "title_page": title_page}})
            for party, name, when in given[:parties]:
                approvals.approve(folder, party, name, approvals.content_key(folder),
                                  now=when)
            out = tmp_path / f"out-{parties}{title_page}"
            render_municipality(str(folder), Options(out_dir=out))
            texts = [t for _style, t in visible_paragraphs(out / "provby" / "avtal.docx")]
            printed = [t for t in texts if t.startswith("Godkänd för")]
            assert printed == (expected if parties == 2 else []), (parties, title_page)
            if parties == 2:
                assert texts.index(expected[0]) < texts.index("Syfte")


def test_the_package_zip_is_sound(rendered: Path) -> None:
    """The package writer: every entry's CRC checks, pictures and workbooks are stored
    (already compressed), XML is deflated, times fixed; `unzip -t` agrees."""
    import shutil
    import subprocess

    for path in sorted(rendered.rglob("*.docx")):
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None, path
            for info in z.infolist():
                stored = info.filename.rsplit(".", 1)[-1] in ("png", "jpeg", "xlsx")
                assert info.compress_type == (zipfile.ZIP_STORED if stored else
                                              zipfile.ZIP_DEFLATED), info.filename
                assert info.date_time == (1980, 1, 1, 0, 0, 0)
        if shutil.which("unzip"):  # Info-ZIP, a second reader besides Python's
            check = subprocess.run(["unzip", "-tq", str(path)], capture_output=True,
                                   text=True)
            assert check.returncode == 0 and "No errors" in check.stdout, check.stdout
