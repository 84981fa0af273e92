"""Word files for the findings of issue 21: each typed as a real officer types it."""

from __future__ import annotations

from pathlib import Path

from . import Case
from .kit import (
    custom_style,
    header_footer,
    libreoffice_round_trip,
    line,
    new,
    numbered,
    numbering,
    page_break,
    picture,
    prose,
    table,
)

AGREEMENT = "Samverkansöverenskommelse"


def direct_formatting(folder: Path) -> Path:
    """No styles at all: a large bold title, bold 14 pt headings, bold 12 pt
    subheadings; the first page break comes after two sections (finding 2)."""
    doc = new()
    line(doc, f"{AGREEMENT} 2024–2027", bold=True, size=20)
    line(doc, "mellan Ekby kommun och Lokalpolisområde Ekby", size=14)
    line(doc, "Inledning", bold=True, size=14)
    prose(doc, 2)
    line(doc, "Syfte", bold=True, size=14)
    prose(doc)
    page_break(doc)
    line(doc, "Organisation", bold=True, size=14)
    prose(doc)
    line(doc, "Styrgrupp", bold=True, size=12)
    prose(doc)
    line(doc, "Beredningsgrupp", bold=True, size=12)
    prose(doc)
    path = folder / "direktformaterad.docx"
    doc.save(str(path))
    return path


def stad_and_slash_period(folder: Path) -> Path:
    """A city ("Göteborgs stad"), a period "2018/2019", and the place and date typed
    above a signature table (finding 6)."""
    doc = new()
    line(doc, f"{AGREEMENT} 2018/2019", style="Title")
    line(doc, "Göteborgs stad och Lokalpolisområde Centrum")
    line(doc, "Bakgrund", style="Heading 1")
    line(doc, "Göteborgs stad och Lokalpolisområde Centrum samverkar för ett tryggare "
              "centrum.")
    prose(doc)
    line(doc, "Underskrifter", style="Heading 1")
    line(doc, "Göteborg 2018-03-01")
    table(doc, [["……………………………", "……………………………"],
                ["Karin Ek", "Lars Björk"],
                ["Kommundirektör", "Lokalpolisområdeschef"]])
    path = folder / "stad-och-period.docx"
    doc.save(str(path))
    return path


def region_lpo_year(folder: Path) -> Path:
    """A region as the municipality, the police area written "LPO Gotland", the period a
    single operating year ("verksamhetsåret 2025") (finding 6)."""
    doc = new()
    line(doc, "Medborgarlöften för verksamhetsåret 2025", style="Title")
    line(doc, "Region Gotland och LPO Gotland")
    line(doc, "Bakgrund", style="Heading 1")
    line(doc, "Region Gotland och LPO Gotland lovar medborgarna att arbeta för en tryggare "
              "Visby.")
    line(doc, "Våra löften", style="Heading 1")
    line(doc, "Trygghetsvandringar varje månad", style="List Bullet")
    line(doc, "Fler vuxna ute i Östercentrum", style="List Bullet")
    path = folder / "region-gotland.docx"
    doc.save(str(path))
    return path


def dated_period(folder: Path) -> Path:
    """A period written as two dates, a kommun named in the text only (finding 6)."""
    doc = new()
    line(doc, "Verksamhetsplan för samverkan", style="Title")
    line(doc, "Inledning", style="Heading 1")
    line(doc, "Planen gäller 1 januari 2024 – 31 december 2025 och har tagits fram av "
              "Ekby kommun och Lokalpolisområde Ekby.")
    line(doc, "Prioriteringar", style="Heading 1")
    line(doc, "Ungdomar i riskzon", style="List Number")
    line(doc, "Trygghet i centrum", style="List Number")
    path = folder / "datumperiod.docx"
    doc.save(str(path))
    return path


BRA = ["Orsak", "Åtgärd", "Mål", "När", "Vem", "Uppföljning"]
ROW_1 = ["Otrygg miljö i centrum", "Trygghetsvandringar", "Ökad trygghet", "Vt 2025",
         "Trygghetssamordnare", "Trygghetsmätning"]
ROW_2 = ["Unga i riskzon", "SSPF-möten varje vecka", "Färre unga i brott", "Löpande",
         "Kommunpolis", "Halvårsvis i styrgruppen"]


def bra_tables(folder: Path) -> Path:
    """Brå's table with a merged title row above its header, and with an extra
    Resurser column (finding 3)."""
    doc = new()
    line(doc, "Handlingsplan 2025", style="Title")
    line(doc, "Ekby kommun och Lokalpolisområde Ekby")
    line(doc, "Åtgärder i centrum", style="Heading 1")
    t = table(doc, [["Åtgärdsplan centrum", None, None, None, None, None], BRA, ROW_1])
    t.cell(0, 0).merge(t.cell(0, 5))
    line(doc, "Åtgärder för unga", style="Heading 1")
    table(doc, [[*BRA[:5], "Resurser", "Uppföljning"],
                [*ROW_2[:5], "Två fältassistenter", ROW_2[5]]])
    path = folder / "bra-tabeller.docx"
    doc.save(str(path))
    return path


def bra_five_columns(folder: Path) -> Path:
    """The common five-column form (no cause, no goal), split across two pages with its
    header row repeated (finding 3)."""
    doc = new()
    line(doc, "Åtgärdsplan 2025", style="Title")
    line(doc, "Ekby kommun och Lokalpolisområde Ekby")
    line(doc, "Åtgärder", style="Heading 1")
    rows = [["Åtgärd", "Ansvarig", "Tidsplan", "Resurser", "Uppföljning"]]
    rows += [[f"Åtgärd nummer {n}", "Kommunpolis", "Vt 2025", "Befintliga", "Kvartalsvis"]
             for n in range(1, 31)]
    table(doc, rows, header_repeat=True)
    path = folder / "bra-fem-kolumner.docx"
    doc.save(str(path))
    return path


def split_list_ids(folder: Path) -> Path:
    """A numbered list whose items carry two list ids on one numbering definition, as
    LibreOffice writes a list (finding 4)."""
    doc = new()
    line(doc, "Verksamhetsplan 2024–2025", style="Title")
    line(doc, "Ekby kommun och Lokalpolisområde Ekby")
    line(doc, "Prioriterade områden", style="Heading 1")
    first, second = numbering(doc, 2)
    numbered(doc, "Trygghet i centrum", first)
    numbered(doc, "Ungdomar i riskzon", second)
    numbered(doc, "Våld i nära relationer", second)
    path = folder / "delad-lista.docx"
    doc.save(str(path))
    return path


def split_list_libreoffice(folder: Path) -> Path:
    """The same list after a round trip through LibreOffice (finding 4)."""
    doc = new()
    line(doc, "Verksamhetsplan 2024–2025", style="Title")
    line(doc, "Ekby kommun och Lokalpolisområde Ekby")
    line(doc, "Prioriterade områden", style="Heading 1")
    for text in ("Trygghet i centrum", "Ungdomar i riskzon", "Våld i nära relationer"):
        line(doc, text, style="List Number")
    line(doc, "Bakgrund", style="Heading 1")
    prose(doc)
    path = folder / "lista-libreoffice.docx"
    doc.save(str(path))
    return libreoffice_round_trip(path)


def headers_footers(folder: Path) -> Path:
    """A page header whose right half is a reference number, not the police, and a
    footer with the unit's name (finding 5)."""
    doc = new()
    line(doc, f"{AGREEMENT} 2024–2027", style="Title")
    line(doc, "Ekby kommun och Lokalpolisområde Ekby")
    line(doc, "Inledning", style="Heading 1")
    prose(doc)
    header_footer(doc, "Kommunledningskontoret\tDnr KS 2024/55",
                  "Ekby kommun, Storgatan 1, 123 45 Ekby")
    path = folder / "sidhuvud.docx"
    doc.save(str(path))
    return path


def picture_caption(folder: Path) -> Path:
    """A picture with its caption typed under it as a small italic line (finding 7)."""
    doc = new()
    line(doc, "Lägesbild 2024", style="Title")
    line(doc, "Ekby kommun och Lokalpolisområde Ekby")
    line(doc, "Brottsutveckling", style="Heading 1")
    prose(doc)
    picture(doc)
    line(doc, "Anmälda brott i centrum 2019–2024", italic=True, size=9)
    prose(doc)
    path = folder / "bildtext.docx"
    doc.save(str(path))
    return path


def heading_troubles(folder: Path) -> Path:
    """A custom heading style with headings ending in '.', fields under them, two bold
    headings of the same size in a row, a typed table of contents and bold logo lines
    on the back page (finding 8)."""
    doc = new()
    custom_style(doc, "Avsnittsrubrik", size=14)
    line(doc, f"{AGREEMENT} 2024–2027", bold=True, size=22)
    line(doc, "Ekby kommun och Lokalpolisområde Ekby", size=13)
    line(doc, "Innehåll", bold=True)
    line(doc, "1. Inledning\t2")
    line(doc, "2. Trygghet i centrum\t3")
    line(doc, "3. Uppföljning\t4")
    page_break(doc)
    line(doc, "Inledning.", style="Avsnittsrubrik")
    prose(doc)
    line(doc, "Trygghet i centrum.", style="Avsnittsrubrik")
    line(doc, "Mål:", bold=True)
    line(doc, "Fler ska känna sig trygga i centrum kvällstid.")
    line(doc, "Ansvarig:", bold=True)
    line(doc, "Trygghetssamordnare")
    line(doc, "Uppföljning", bold=True, size=12)
    prose(doc)
    line(doc, "Rapportering", bold=True, size=12)
    prose(doc)
    page_break(doc)
    line(doc, "EKBY KOMMUN", bold=True, size=12)
    line(doc, "POLISEN", bold=True, size=12)
    path = folder / "rubriker.docx"
    doc.save(str(path))
    return path


def _measures(*rows: tuple[str, ...]) -> tuple:
    return ("measures", tuple(rows))


WORD_CASES = [
    Case("direktformaterad", "word", "direct formatting only (bold, larger lines), the "
         "first page break after two sections", direct_formatting,
         [("heading", 1, "Inledning"), ("heading", 1, "Syfte"), ("heading", 1, "Organisation"),
          ("heading", 2, "Styrgrupp"), ("heading", 2, "Beredningsgrupp"),
          ("party", "kommun", "Ekby kommun"), ("party", "polis", "Lokalpolisområde Ekby"),
          ("period", 2024, 2027)],
         [("cover_text", "Inledning"), ("cover_text", "Syfte")], finding=2),
    Case("stad-och-period", "word", "'Göteborgs stad', period '2018/2019', place and date "
         "above a signature table", stad_and_slash_period,
         [("party", "kommun", "Göteborgs stad"), ("party", "polis", "Lokalpolisområde Centrum"),
          ("period", 2018, 2019), ("signing", "Göteborg", "2018-03-01"),
          ("signatory", "Karin Ek", "Kommundirektör", "kommun"),
          ("signatory", "Lars Björk", "Lokalpolisområdeschef", "polis")],
         [("party", "kommun", "TODO kommun")], finding=6),
    Case("region-gotland", "word", "'Region Gotland', 'LPO Gotland', 'verksamhetsåret 2025'",
         region_lpo_year,
         [("party", "kommun", "Region Gotland"), ("party", "polis", "Lokalpolisområde Gotland"),
          ("period", 2025, 2025), ("heading", 1, "Våra löften"),
          ("list", "bullets", ("Trygghetsvandringar varje månad",
                               "Fler vuxna ute i Östercentrum"))], finding=6),
    Case("datumperiod", "word", "period '1 januari 2024 – 31 december 2025' in the text",
         dated_period,
         [("period", 2024, 2025), ("party", "kommun", "Ekby kommun"),
          ("list", "numbered", ("Ungdomar i riskzon", "Trygghet i centrum"))], finding=6),
    Case("bra-tabeller", "word", "Brå tables: a merged title row above the header; an extra "
         "Resurser column", bra_tables,
         [_measures(("Otrygg miljö i centrum", *ROW_1[1:])),
          _measures(("Unga i riskzon", "SSPF-möten varje vecka Resurser: Två fältassistenter",
                     *ROW_2[2:]))], finding=3),
    Case("bra-fem-kolumner", "word", "Brå's five-column form (Åtgärd | Ansvarig | Tidsplan | "
         "Resurser | Uppföljning) over two pages, header repeated", bra_five_columns,
         [_measures(*(("TODO", f"Åtgärd nummer {n} Resurser: Befintliga", "", "Vt 2025",
                       "Kommunpolis", "Kvartalsvis") for n in range(1, 31)))], finding=3),
    Case("delad-lista", "word", "one numbered list over two list ids of one numbering "
         "definition", split_list_ids,
         [("list", "numbered", ("Trygghet i centrum", "Ungdomar i riskzon",
                                "Våld i nära relationer"))],
         [("list", "numbered", ("Trygghet i centrum",))], finding=4),
    Case("lista-libreoffice", "word", "a numbered list saved by LibreOffice (.odt and back)",
         split_list_libreoffice,
         [("list", "numbered", ("Trygghet i centrum", "Ungdomar i riskzon",
                                "Våld i nära relationer")),
          ("heading", 1, "Prioriterade områden"), ("heading", 1, "Bakgrund")],
         [("list", "numbered", ("Trygghet i centrum",))], finding=4, libreoffice=True),
    Case("sidhuvud", "word", "a header with a reference number on its right, a footer "
         "with an address", headers_footers,
         [("flag", "header"), ("flag", "footer")],
         [("header_name", "polis", "Dnr KS 2024/55"),
          ("header_name", "kommun", "Kommunledningskontoret")], finding=5),
    Case("bildtext", "word", "a picture with a small italic caption typed under it",
         picture_caption, [("image", "Anmälda brott i centrum 2019–2024")],
         [("text", "Anmälda brott i centrum 2019–2024")], finding=7),
    Case("rubriker", "word", "custom heading style ending in '.', fields under it, bold "
         "headings of one size, a typed table of contents, logo lines on the back page",
         heading_troubles,
         [("heading", 1, "Inledning."), ("heading", 1, "Trygghet i centrum."),
          ("field", "goals", ("Fler ska känna sig trygga i centrum kvällstid.",)),
          ("field", "responsible", ("Trygghetssamordnare",)),
          ("heading", 2, "Uppföljning"), ("heading", 2, "Rapportering"), ("toc",)],
         [("heading", 3, "Rapportering"), ("heading_text", "EKBY KOMMUN"),
          ("heading_text", "POLISEN"), ("list", "numbered", ("Inledning\t2",)),
          ("cover_text", "1. Inledning")], finding=8),
]
