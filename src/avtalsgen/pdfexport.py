"""What the PDF export asks of LibreOffice, and what pikepdf finishes afterwards.

Every PDF is tagged for PDF/UA (structure, headings, tables, alt text, language,
the title shown); final documents are PDF/A-2b as well. Both conversion paths in
pdf.py (the batch macro and the UNO worker) pass the same `filter_options`.

LibreOffice loses the alt text of native charts (it keeps it for pictures), so
`finish` gives every /Figure without /Alt the description the .docx holds for it
(wp:docPr descr), and writes the XMP metadata from the .docx's own properties:
title, language, the two parties, the approvals. The file is saved with fixed dates
and a document ID derived from its content, so the same .docx gives the same PDF.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from lxml import etree

WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
CHART_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"
FINAL_STATUS = "Slutlig"  # cp:contentStatus of a final document (context.properties)
PDFA_VERSION = 2  # LibreOffice's SelectPdfVersion: 2 is PDF/A-2b
_MADE_WITH = re.compile(r"\s*Skapad med avtalsgen [^ ]*\.$")


def _core(docx: Path) -> dict[str, str]:
    with zipfile.ZipFile(docx) as z:
        root = etree.fromstring(z.read("docProps/core.xml"))
    return {el.tag.split("}")[1]: " ".join((el.text or "").split()) for el in root}


def is_final(docx: Path) -> bool:
    return _core(docx).get("contentStatus") == FINAL_STATUS


def filter_options(docx: Path, pdfa: bool | None = None) -> dict[str, bool | int]:
    """LibreOffice's writer_pdf_Export FilterData for this document: tagged PDF/UA
    always; PDF/A-2b when `pdfa`, or (None) when the document is final."""
    archive = is_final(docx) if pdfa is None else pdfa
    return {"UseTaggedPDF": True, "PDFUACompliance": True, "DisplayPDFDocumentTitle": True,
            "ExportBookmarks": True, "SelectPdfVersion": PDFA_VERSION if archive else 0}


def _drawings(docx: Path) -> list[tuple[str, bool]]:
    """The body's drawings in order: (alt text, is a chart)."""
    with zipfile.ZipFile(docx) as z:
        body = etree.fromstring(z.read("word/document.xml"))
    drawings = []
    for inline in body.iter(f"{WP}inline", f"{WP}anchor"):
        pr = inline.find(f"{WP}docPr")
        data = inline.find(f"{A}graphic/{A}graphicData")
        if pr is None:
            continue
        alt = " ".join((pr.get("descr") or pr.get("title") or "").split())
        drawings.append((alt, data is not None and data.get("uri") == CHART_URI))
    return drawings


def _elements(pdf: Any, kind: str) -> list[Any]:
    """The structure elements of a kind (/Figure, /Note) in reading order."""
    import pikepdf

    found: list[Any] = []
    stack = [pdf.Root.StructTreeRoot.get("/K")]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(reversed(list(node)))
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            if node.S == kind:
                found.append(node)
            stack.append(node.get("/K"))
    return found


def _tag_links(pdf: Any) -> None:
    """What PDF/UA asks of annotations and notes that LibreOffice leaves out: tab order
    by structure on every page with annotations, an /ID on every /Note, and each link
    LibreOffice did not tag (a footnote's link back to its reference) in a /Link element,
    under the /Note on its page or else the document's top element."""
    import pikepdf

    root = pdf.Root.StructTreeRoot
    notes = _elements(pdf, "/Note")
    for n, note in enumerate(notes, start=1):
        if "/ID" not in note:
            note.ID = pikepdf.String(f"note-{n}")
    nums = root.ParentTree.get("/Nums") if "/ParentTree" in root else None
    if nums is None:
        return
    next_key = int(root.get("/ParentTreeNextKey", 0))
    next_key = max([next_key, *(int(nums[i]) + 1 for i in range(0, len(nums), 2))])
    top = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if not annots:
            continue
        page.obj.Tabs = pikepdf.Name.S
        for annot in annots:
            annot.F = int(annot.get("/F", 0)) | 4  # printed as shown
            if annot.get("/Subtype") != pikepdf.Name.Link or "/StructParent" in annot:
                continue
            parent = next((note for note in notes if note.get("/Pg") == page.obj), top)
            shown = str(annot.get("/Contents", "")).strip()
            alt = "Tillbaka till texten" + (f" (fotnot {shown})" if shown else "")
            link = pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.StructElem, S=pikepdf.Name.Link, P=parent, Pg=page.obj,
                Alt=pikepdf.String(alt),
                K=pikepdf.Array([pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=annot,
                                                    Pg=page.obj)])))
            kids = parent.get("/K")
            parent.K = pikepdf.Array([link, *(
                kids if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids])])
            annot.StructParent = next_key
            nums.extend([next_key, link])
            next_key += 1
    root.ParentTreeNextKey = next_key


def _give_alt_text(pdf: Any, drawings: list[tuple[str, bool]]) -> None:
    import pikepdf

    figures = _elements(pdf, "/Figure")
    if len(figures) == len(drawings):
        pairs = [(f, alt) for f, (alt, _chart) in zip(figures, drawings, strict=True)]
    else:  # a drawing LibreOffice did not tag: only the charts are missing their text
        pairs = list(zip([f for f in figures if "/Alt" not in f],
                         [alt for alt, chart in drawings if chart], strict=False))
    for figure, alt in pairs:
        if "/Alt" not in figure and alt:
            figure.Alt = pikepdf.String(alt)


def _fix_profile_dates(pdf: Any, when: dt.datetime) -> None:
    """PDF/A's output intent carries an ICC colour profile that LibreOffice stamps with
    the current time (header bytes 24-35; its profile ID is zero, so no checksum covers
    them): the document's date instead."""
    import pikepdf

    for intent in pdf.Root.get("/OutputIntents", []):
        profile = intent.get("/DestOutputProfile")
        if profile is None:
            continue
        data = bytearray(profile.read_bytes())
        if len(data) >= 128 and data[84:100] == bytes(16):
            data[24:36] = struct.pack(">6H", when.year, when.month, when.day, when.hour,
                                      when.minute, when.second)
            profile.write(zlib.compress(bytes(data), 9), filter=pikepdf.Name.FlateDecode)


def _pdf_date(when: dt.datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%SZ")


def finish(docx: Path, data: bytes) -> bytes:
    """LibreOffice's PDF of `docx`, with the alt text and metadata it loses."""
    import pikepdf

    core = _core(docx)
    drawings = _drawings(docx)
    # The parties, as Word separates authors (context.properties).
    parties = [p.strip() for p in core.get("creator", "").split(";") if p.strip()]
    modified = dt.datetime.strptime(core.get("modified", "2000-01-01T00:00:00Z"),
                                    "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    approvals = _MADE_WITH.sub("", core.get("description", "")).strip()
    subject = " ".join(x for x in (core.get("subject", ""), approvals) if x)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/StructTreeRoot" in pdf.Root:
            _give_alt_text(pdf, drawings)
            _tag_links(pdf)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = core.get("title", "")
            meta["dc:language"] = [core.get("language") or "sv-SE"]
            meta["dc:creator"] = parties
            if subject:
                meta["dc:description"] = subject
            meta["xmp:CreateDate"] = meta["xmp:ModifyDate"] = modified.isoformat()
            meta["xmp:MetadataDate"] = modified.isoformat()
            meta["pdf:Producer"] = str(pdf.docinfo.get("/Producer", "LibreOffice"))
        _fix_profile_dates(pdf, modified)
        pdf.Root.Lang = pikepdf.String(core.get("language") or "sv-SE")
        pdf.docinfo["/CreationDate"] = pdf.docinfo["/ModDate"] = _pdf_date(modified)
        for key in ("/DocChecksum", "/ID"):  # LibreOffice's, different on every export
            if key in pdf.trailer:
                del pdf.trailer[key]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()
