"""How faithfully a generated .docx reproduces a reference text, word by word.

The project's own measure for the tests: both texts are read as lower-case words and
numbers and aligned with difflib; the score is what the alignment matches:

    ratio      2 × matched / (generated words + reference words)   (1.0: the same words)
    recall     matched / reference words    (how much of the reference is there)
    precision  matched / generated words    (how much of the output belongs)
"""

from __future__ import annotations

import difflib
import re
import zipfile
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# The parts a reader sees text in; the body first, then notes, headers and footers.
_TEXT_PART = re.compile(r"^word/(document|footnotes|endnotes|header\d*|footer\d*)\.xml$")
_WORD = re.compile(r"\w+")


class Fidelity(NamedTuple):
    ratio: float
    recall: float
    precision: float
    missing: list[str]  # reference passages the generated text lacks, in order

    def __str__(self) -> str:
        return (f"ratio {self.ratio:.3f} (recall {self.recall:.3f}, "
                f"precision {self.precision:.3f})")


def _paragraph_text(paragraph: ElementTree.Element) -> str:
    pieces = []
    for element in paragraph.iter():
        if element.tag == f"{W}t":
            pieces.append(element.text or "")
        elif element.tag in (f"{W}tab", f"{W}br"):
            pieces.append(" ")
    return "".join(pieces)


def docx_text(path: str | Path) -> str:
    """Every paragraph of a .docx (tables' included), one a line: the body, then
    footnotes, endnotes, headers and footers."""
    with zipfile.ZipFile(path) as package:
        parts = sorted((n for n in package.namelist() if _TEXT_PART.match(n)),
                       key=lambda n: (n != "word/document.xml", n))
        return "\n".join(_paragraph_text(p) for name in parts
                         for p in ElementTree.fromstring(package.read(name)).iter(f"{W}p"))


def words(text: str) -> list[str]:
    """The words and numbers of a text, lower case: what the measure compares."""
    return _WORD.findall(text.lower())


def compare(generated: list[str], reference: list[str]) -> Fidelity:
    """Align two word lists; how much of each the other has."""
    matcher = difflib.SequenceMatcher(None, generated, reference, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    missing = [" ".join(reference[j1:j2]) for op, _, _, j1, j2 in matcher.get_opcodes()
               if op in ("replace", "insert")]
    total = len(generated) + len(reference)
    return Fidelity(2 * matched / total if total else 1.0,
                    matched / len(reference) if reference else 1.0,
                    matched / len(generated) if generated else 1.0, missing)


def docx_fidelity(generated: str | Path, reference: str | Path) -> Fidelity:
    """A generated .docx against a reference: a .docx or a UTF-8 text file."""
    ref = Path(reference)
    text = docx_text(ref) if ref.suffix == ".docx" else ref.read_text(encoding="utf-8")
    return compare(words(docx_text(generated)), words(text))
