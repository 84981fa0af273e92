"""One paragraph's runs, walked in order for import: text (tabs and line breaks kept),
page breaks, fields (their instructions hidden, their results shown, carried across
paragraphs for a table of contents), footnote references and pictures, and how much
of the text is bold, italic and at which size."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree

from ..messages import Msg

if TYPE_CHECKING:
    from .word_read import Para, _Reader

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
V = "{urn:schemas-microsoft-com:vml}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHART_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"
MAIN_RT = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
           "officeDocument")
EMU_PER_CM = 360_000

# Not walked: properties, and deleted text (w:del, w:moveFrom) that Word does not show.
SKIP = {f"{W}pPr", f"{W}del", f"{W}moveFrom", f"{W}rPr", f"{W}sdtPr", f"{W}sdtEndPr"}


class Runs:
    """Walks one paragraph's runs in order: text, breaks, fields, notes, pictures."""

    def __init__(self, reader: _Reader, para: Para, style_id: str, inner: bool) -> None:
        self.r = reader
        self.para = para
        self.style_id = style_id
        self.inner = inner
        self.parts: list[str] = []
        self.length = 0
        self.chars = {"all": 0, "bold": 0, "italic": 0}
        self.sizes: dict[float, int] = {}
        self.prefix_open = True  # still in the leading bold text

    def add(self, text: str, props: dict[str, Any] | None = None) -> None:
        if not text:
            return
        if self.r.field_stack and not all(f[1] for f in self.r.field_stack):
            return  # a field's instruction part: not shown
        self.parts.append(text)
        self.length += len(text)
        if props is None:
            return
        visible = len(text.strip())
        self.chars["all"] += visible
        self.chars["bold"] += visible if props["b"] else 0
        self.chars["italic"] += visible if props["i"] else 0
        self.sizes[props["sz"]] = self.sizes.get(props["sz"], 0) + visible
        if self.prefix_open:
            if props["b"]:
                self.para.bold_prefix = self.length
            elif visible:
                self.prefix_open = False

    def walk(self, el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if tag == f"{W}r":
                self.run(child)
            elif tag in SKIP or tag == f"{MC}Fallback":
                continue
            elif tag == f"{W}fldSimple":
                instr = (child.get(f"{W}instr") or "").strip()
                self.para.fields.append(instr)
                self.walk(child)
            elif isinstance(tag, str):
                self.walk(child)

    def run(self, r: etree._Element) -> None:
        rpr = r.find(f"{W}rPr")
        props = self.r.styles.run(self.style_id, rpr)
        for child in r:
            tag = child.tag
            if tag == f"{W}t":
                self.add(child.text or "", props)
            elif tag == f"{W}tab":
                self.add("\t")
            elif tag == f"{W}br":
                if child.get(f"{W}type") == "page":
                    self.page_break()
                elif child.get(f"{W}type") != "column":
                    self.add("\n")
            elif tag == f"{W}cr":
                self.add("\n")
            elif tag == f"{W}noBreakHyphen":
                self.add("-", props)
            elif tag == f"{W}fldChar":
                self.field_char(child.get(f"{W}fldCharType"))
            elif tag == f"{W}instrText":
                if self.r.field_stack and not self.r.fields_broken:
                    self.r.field_stack[-1][0] += child.text or ""
            elif tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
                self.note(child, tag == f"{W}endnoteReference")
            elif tag in (f"{W}drawing", f"{W}pict", f"{MC}AlternateContent"):
                self.drawing(child)
            elif tag == f"{W}object":
                self.r.notes.append(Msg("an embedded object (an Excel sheet or similar) "
                                        "cannot be imported; copy its content in by hand"))

    def page_break(self) -> None:
        if "".join(self.parts).strip():
            self.para.break_after = True
        else:
            self.para.break_before = True

    def field_char(self, kind: str | None) -> None:
        stack = self.r.field_stack
        if self.r.fields_broken:
            return
        if kind == "begin":
            stack.append(["", False])
        elif kind == "separate" and stack:
            stack[-1][1] = True
            self.para.fields.append(stack[-1][0].strip())
        elif kind == "end" and stack:
            done = stack.pop()
            if not done[1]:
                self.para.fields.append(done[0].strip())

    def note(self, ref: etree._Element, endnote: bool) -> None:
        notes = self.r.endnotes if endnote else self.r.footnotes
        text = notes.get(ref.get(f"{W}id", ""))
        if text is not None and not self.inner:
            self.para.footnotes.append((self.length, text))
        elif text is not None:
            self.add(f" (fotnot: {text})")

    def drawing(self, el: etree._Element) -> None:
        if el.tag == f"{MC}AlternateContent":
            choice = el.find(f"{MC}Choice")
            el = choice if choice is not None else el
            if el.find(f".//{W}drawing") is None and el.find(f".//{W}pict") is None:
                return
        if el.find(f".//{W}txbxContent") is not None and el.find(f".//{A}blip") is None:
            return  # a text box: its text is read as paragraphs of their own
        picture = self.r.picture(el)
        if picture is None:
            self.r.notes.append(Msg("a drawing without a picture (a shape or a linked image) "
                                    "could not be imported"))
        elif self.inner:
            self.r.notes.append(Msg("a picture inside a table, text box or note could not be "
                                    "kept ({name})", name=picture.alt or picture.name))
        else:
            self.para.pictures.append((self.length, picture))

    def finish(self) -> None:
        para = self.para
        para.text = "".join(self.parts)
        total = self.chars["all"]
        para.bold = total > 0 and self.chars["bold"] == total
        para.italic = total > 0 and self.chars["italic"] == total
        if self.sizes:
            para.size = max(self.sizes.items(), key=lambda kv: kv[1])[0]
        else:
            para.size = self.r.styles.run(self.style_id, None)["sz"]
        if para.bold:
            para.bold_prefix = len(para.text)
