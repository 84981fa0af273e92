"""A readable word diff of two versions of a rendered document: paragraphs and tables
in the order the document has them, a changed table shown in place, cell by cell."""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass

from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from markupsafe import Markup, escape


@dataclass(frozen=True)
class _Table:
    rows: tuple[tuple[str, ...], ...]

    def key(self, loose: bool) -> tuple[str, ...]:
        # Tables with the same first row are the same table changed; loose: any two.
        return ("\x00table",) if loose or not self.rows else ("\x00table", *self.rows[0])


def _tokens(data: bytes) -> list[str | _Table]:
    """The document's body in order: each paragraph's words and a newline, each table
    as one token (its cells' text)."""
    document = Document(io.BytesIO(data))
    out: list[str | _Table] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            out += [*Paragraph(child, document).text.split(), "\n"]
        elif child.tag == qn("w:tbl"):
            out.append(_Table(tuple(
                tuple(" ".join(Paragraph(p, document).text for p in tc.iter(qn("w:p")))
                      for tc in tr.iterchildren(qn("w:tc")))
                for tr in child.iterchildren(qn("w:tr")))))
    return out


class _Diff:
    """The new text with insertions and deletions marked (<ins>, <del>), tables in
    place: cell by cell, as a small table."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.inserted = self.deleted = 0

    def tokens(self, a: list[str | _Table], b: list[str | _Table], loose: bool = False
               ) -> None:
        keys = [[t if isinstance(t, str) else t.key(loose) for t in side] for side in (a, b)]
        matcher = difflib.SequenceMatcher(None, keys[0], keys[1], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            old, new = a[i1:i2], b[j1:j2]
            if tag == "equal":
                words: list[str] = []
                for x, y in zip(old, new, strict=True):
                    if isinstance(y, str):
                        words.append(y)
                        continue
                    self.text(words)
                    words = []
                    assert isinstance(x, _Table)
                    self.table(x, y)
                self.text(words)
            elif tag == "replace" and not loose and any(isinstance(t, _Table) for t in old) \
                    and any(isinstance(t, _Table) for t in new):
                self.tokens(old, new, loose=True)  # a table changed with its first row
            else:
                self.runs(old, "del")
                self.runs(new, "ins")

    def text(self, words: list[str], mark: str = "") -> None:
        if words:
            text = str(escape(" ".join(words)))
            self.out.append(f"<{mark}>{text}</{mark}>" if mark else text)

    def runs(self, tokens: list[str | _Table], mark: str) -> None:
        """Tokens all deleted or all inserted."""
        words: list[str] = []
        for t in [*tokens, None]:
            if isinstance(t, str):
                words.append(t)
                continue
            self.text(words, mark)
            self._count(mark, len([w for w in words if w != "\n"]))
            words = []
            if isinstance(t, _Table):
                empty = _Table(tuple(("",) * len(r) for r in t.rows))
                self.table(*((t, empty) if mark == "del" else (empty, t)))

    def _count(self, mark: str, n: int) -> None:
        if mark == "del":
            self.deleted += n
        else:
            self.inserted += n

    def words(self, a: str, b: str) -> str:
        """One cell: its words, what changed marked."""
        x, y = a.split(), b.split()
        out = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, x, y,
                                                           autojunk=False).get_opcodes():
            if tag == "equal":
                out.append(str(escape(" ".join(y[j1:j2]))))
                continue
            if i2 > i1:
                out.append(f"<del>{escape(' '.join(x[i1:i2]))}</del>")
                self.deleted += i2 - i1
            if j2 > j1:
                out.append(f"<ins>{escape(' '.join(y[j1:j2]))}</ins>")
                self.inserted += j2 - j1
        return " ".join(out)

    def table(self, old: _Table, new: _Table) -> None:
        """Rows matched by their first cell, cells compared in place."""
        a, b = list(old.rows), list(new.rows)
        rows: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        matcher = difflib.SequenceMatcher(None, [r[:1] for r in a], [r[:1] for r in b],
                                          autojunk=False)
        for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
            left, right = a[i1:i2], b[j1:j2]
            for k in range(max(len(left), len(right))):
                x = left[k] if k < len(left) else ()
                y = right[k] if k < len(right) else ()
                rows.append((x, y))
        html = []
        for n, (x, y) in enumerate(rows):
            cells = []
            for c in range(max(len(x), len(y))):
                p, q = (x[c] if c < len(x) else ""), (y[c] if c < len(y) else "")
                tag = "th scope=\"col\"" if n == 0 else "td"
                cls = ' class="changed"' if p != q else ""
                cells.append(f"<{tag}{cls}>{self.words(p, q)}</{tag.split()[0]}>")
            html.append(f"<tr>{''.join(cells)}</tr>")
        self.out.append(f'<table class="diff-table"><tbody>{"".join(html)}</tbody></table>')


def word_diff(old: bytes, new: bytes) -> tuple[Markup, int, int]:
    """The new text with insertions and deletions marked (<ins>, <del>), and changes in
    tables in place, cell by cell."""
    diff = _Diff()
    diff.tokens(_tokens(old), _tokens(new))
    html = " ".join(diff.out).replace("\n", "<br>")
    return Markup(html), diff.inserted, diff.deleted
