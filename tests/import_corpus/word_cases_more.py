"""Word files typed the wider ways: Google Docs exports, tracked changes, comments,
text boxes, section breaks and landscape pages, Word outline numbering, typed bullets,
tables split across pages, a whole agreement saved by LibreOffice."""

from __future__ import annotations

from pathlib import Path

from . import Case
from .kit import (
    TEXT,
    libreoffice_round_trip,
    line,
    new,
    new_section,
    numbered,
    numbering,
    outline_headings,
    page_break,
    prose,
    table,
    textbox,
    tracked,
)

PARTIES = "Ekby kommun och Lokalpolisområde Ekby"


def google_docs(folder: Path) -> Path:
    """As Google Docs exports: Title and Heading styles, every run with its own font and
    size, empty paragraphs for space, each list with its own list id."""
    doc = new()
    line(doc, "Samverkansöverenskommelse 2023–2026", style="Title", font="Arial")
    line(doc, PARTIES, font="Arial", size=11)
    line(doc)
    line(doc, "Inledning", style="Heading 1", font="Arial", size=20)
    line(doc, TEXT, font="Arial", size=11)
    line(doc)
    line(doc, "Fokusområden", style="Heading 1", font="Arial", size=20)
    line(doc, "Ungdomar", style="Heading 2", font="Arial", size=16)
    (bullets,) = numbering(doc, 1, kind="bullet")
    for text in ("Fältarbete kvällstid", "Föräldravandringar"):
        numbered(doc, text, bullets)
    line(doc)
    path = folder / "google-docs.docx"
    doc.save(str(path))
    return path


def tracked_and_comments(folder: Path) -> Path:
    """Tracked changes left in (an insertion, a deletion) and a comment."""
    doc = new()
    line(doc, "Samverkansöverenskommelse 2024–2027", style="Title")
    line(doc, PARTIES)
    line(doc, "Inledning", style="Heading 1")
    p = line(doc, "Parterna samverkar ")
    tracked(p, "för ett tryggare Ekby.", "för att minska brotten.")
    commented = line(doc, "Uppföljning sker varje halvår.")
    doc.add_comment(commented.runs, text="Stämmer detta med styrgruppens beslut?",
                    author="Granskare")
    path = folder / "sparade-andringar.docx"
    doc.save(str(path))
    return path


def text_boxes(folder: Path) -> Path:
    doc = new()
    line(doc, "Lägesbild 2024", style="Title")
    line(doc, PARTIES)
    line(doc, "Sammanfattning", style="Heading 1")
    prose(doc)
    textbox(doc, "Viktigt: anmälningarna av bostadsinbrott har halverats.")
    path = folder / "textruta.docx"
    doc.save(str(path))
    return path


def sections_landscape(folder: Path) -> Path:
    """Section breaks, a landscape page with a wide table, back to portrait."""
    doc = new()
    line(doc, "Verksamhetsplan 2024–2025", style="Title")
    line(doc, PARTIES)
    line(doc, "Inledning", style="Heading 1")
    prose(doc)
    new_section(doc, landscape=True)
    line(doc, "Aktiviteter", style="Heading 1")
    table(doc, [["Aktivitet", "Vt 2024", "Ht 2024", "Vt 2025", "Ht 2025"],
                ["Trygghetsvandringar", "2", "3", "2", "3"],
                ["Föräldravandringar", "4", "4", "5", "5"]])
    new_section(doc, landscape=False)
    line(doc, "Uppföljning", style="Heading 1")
    prose(doc)
    path = folder / "liggande-sida.docx"
    doc.save(str(path))
    return path


def outline_numbered(folder: Path) -> Path:
    """Headings numbered by Word's outline numbering (1, 1.1)."""
    doc = new()
    line(doc, "Samverkansöverenskommelse 2024–2027", style="Title")
    line(doc, PARTIES)
    num = outline_headings(doc)
    for text, level in (("Inledning", 0), ("Syfte", 1), ("Organisation", 0),
                        ("Styrgrupp", 1), ("Arbetsgrupper", 1)):
        numbered(doc, text, num, level, style=f"Heading {level + 1}")
        prose(doc)
    path = folder / "dispositionsnumrering.docx"
    doc.save(str(path))
    return path


def typed_bullets(folder: Path) -> Path:
    doc = new()
    line(doc, "Medborgarlöften 2025", style="Title")
    line(doc, PARTIES)
    line(doc, "Vi lovar", style="Heading 1")
    for text in ("• Trygghetsvandringar varje månad", "• Fler poliser i centrum",
                 "• Snabb återkoppling på synpunkter"):
        line(doc, text)
    line(doc, "Så gör vi", style="Heading 1")
    for text in ("– Vi träffas varje vecka", "– Vi redovisar på webben"):
        line(doc, text)
    path = folder / "handskrivna-punkter.docx"
    doc.save(str(path))
    return path


def split_table(folder: Path) -> Path:
    """A statistics table split over two pages by hand: the rest of its rows in a second
    table after a page break, the header row typed again."""
    doc = new()
    line(doc, "Lägesbild 2024", style="Title")
    line(doc, PARTIES)
    line(doc, "Anmälda brott", style="Heading 1")
    head = ["Brott", "2022", "2023", "2024"]
    table(doc, [head, ["Misshandel", "120", "131", "118"], ["Skadegörelse", "340", "322",
                                                            "301"]])
    page_break(doc)
    table(doc, [head, ["Stöld", "512", "498", "470"], ["Bedrägeri", "230", "260", "288"]])
    line(doc, "Källa: Polisens statistik", italic=True, size=9)
    path = folder / "delad-tabell.docx"
    doc.save(str(path))
    return path


def libreoffice_agreement(folder: Path) -> Path:
    """A styled agreement with lists, a table and signatures, saved by LibreOffice."""
    doc = new()
    line(doc, "Samverkansöverenskommelse 2024–2027", style="Title")
    line(doc, PARTIES)
    line(doc, "Inledning", style="Heading 1")
    prose(doc)
    line(doc, "Prioriteringar", style="Heading 1")
    for text in ("Ungdomar", "Trygghet", "Narkotika"):
        line(doc, text, style="List Bullet")
    line(doc, "Organisation", style="Heading 1")
    table(doc, [["Grupp", "Ordförande"], ["Styrgrupp", "Kommundirektör"],
                ["Beredningsgrupp", "Kommunpolis"]])
    page_break(doc)
    line(doc, "Ekby 2024-03-15")
    line(doc, "……………………………………")
    line(doc, "Anna Andersson")
    line(doc, "Kommunstyrelsens ordförande")
    line(doc, "……………………………………")
    line(doc, "Bertil Berg")
    line(doc, "Lokalpolisområdeschef")
    path = folder / "libreoffice-avtal.docx"
    doc.save(str(path))
    return libreoffice_round_trip(path)


MORE_WORD_CASES = [
    Case("google-docs", "word", "a Google Docs export: fonts on every run, empty lines, a "
         "list id per list", google_docs,
         [("heading", 1, "Inledning"), ("heading", 1, "Fokusområden"),
          ("heading", 2, "Ungdomar"), ("period", 2023, 2026),
          ("list", "bullets", ("Fältarbete kvällstid", "Föräldravandringar"))]),
    Case("spara-andringar", "word", "tracked changes left in and a comment",
         tracked_and_comments,
         [("text", "Parterna samverkar för ett tryggare Ekby."),
          ("text", "Uppföljning sker varje halvår."), ("flag", "tracked changes"),
          ("flag", "comments")],
         [("any_text", "för att minska brotten"), ("any_text", "Stämmer detta")]),
    Case("textruta", "word", "a text box beside the text", text_boxes,
         [("heading", 1, "Sammanfattning"),
          ("text", "Viktigt: anmälningarna av bostadsinbrott har halverats.")]),
    Case("liggande-sida", "word", "section breaks and a landscape page with a wide table",
         sections_landscape,
         [("heading", 1, "Inledning"), ("heading", 1, "Aktiviteter"),
          ("heading", 1, "Uppföljning"),
          ("table", (("Aktivitet", "Vt 2024", "Ht 2024", "Vt 2025", "Ht 2025"),
                     ("Trygghetsvandringar", "2", "3", "2", "3"),
                     ("Föräldravandringar", "4", "4", "5", "5")))]),
    Case("dispositionsnumrering", "word", "headings numbered by Word's outline numbering",
         outline_numbered,
         # Word's numbers become the document's numbering (number_sections), not text.
         [("heading", 1, "Inledning"), ("heading", 2, "Syfte"),
          ("heading", 1, "Organisation"), ("heading", 2, "Styrgrupp"),
          ("heading", 2, "Arbetsgrupper")]),
    Case("handskrivna-punkter", "word", "bullets typed by hand ('• ', '– ')", typed_bullets,
         [("list", "bullets", ("Trygghetsvandringar varje månad", "Fler poliser i centrum",
                               "Snabb återkoppling på synpunkter")),
          ("list", "bullets", ("Vi träffas varje vecka", "Vi redovisar på webben"))]),
    Case("delad-tabell", "word", "a table split over two pages by hand, its header typed "
         "again", split_table,
         [("table", (("Brott", "2022", "2023", "2024"), ("Misshandel", "120", "131", "118"),
                     ("Skadegörelse", "340", "322", "301"), ("Stöld", "512", "498", "470"),
                     ("Bedrägeri", "230", "260", "288"))),
          ("table_source", "Polisens statistik")],
         [("table", (("Brott", "2022", "2023", "2024"), ("Stöld", "512", "498", "470"),
                     ("Bedrägeri", "230", "260", "288"))),
          ("table", (("Brott", "2022", "2023", "2024"), ("Misshandel", "120", "131", "118"),
                     ("Skadegörelse", "340", "322", "301")))]),
    Case("libreoffice-avtal", "word", "a styled agreement saved by LibreOffice",
         libreoffice_agreement,
         [("heading", 1, "Inledning"), ("heading", 1, "Prioriteringar"),
          ("heading", 1, "Organisation"),
          ("list", "bullets", ("Ungdomar", "Trygghet", "Narkotika")),
          ("table", (("Grupp", "Ordförande"), ("Styrgrupp", "Kommundirektör"),
                     ("Beredningsgrupp", "Kommunpolis"))),
          ("signing", "Ekby", "2024-03-15"),
          ("signatory", "Anna Andersson", "Kommunstyrelsens ordförande", "kommun"),
          ("signatory", "Bertil Berg", "Lokalpolisområdeschef", "polis")],
         libreoffice=True),
]
