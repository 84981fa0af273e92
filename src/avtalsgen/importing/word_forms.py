"""What a Word paragraph is by its form: a heading by its style (Heading N, a
style of the author's own) or a label ("Mål:" in bold)."""

from __future__ import annotations

import re

from .word_read import Para

MAX_HEADING = 120
# Styles whose own italics or bold are not emphasis the author added.
PLAIN_STYLES = ("caption", "table note", "adopted", "figure", "title", "subtitle", "cover",
                "signat", "signing", "toc", "footnote", "header", "footer", "draft")


def own_heading_style(p: Para, text: str) -> bool:
    """A short line ending in '.' in a bold or larger style of the author's own (not
    Normal): a heading the way some officers type them ("Inledning.")."""
    return p.style not in ("normal", "body text", "") and not p.style.startswith(
        PLAIN_STYLES) and text.count(".") == 1 and len(text.split()) <= 8


def heading_style_level(p: Para) -> int:
    match = re.fullmatch(r"heading (\d)", p.style)
    if match:
        return int(match.group(1))
    if p.style in ("title", "cover title"):
        return 1
    if p.outline is not None and p.outline < 9 and p.style not in ("normal",):
        return p.outline + 1
    return 0


KNOWN_LABELS = re.compile(r"^\W*(mål|delmål|åtaganden?|ansvarig|ansvar|ansvariga|tidplan|"
                          r"tidsplan|metod|metoder|tillvägagångssätt|bakgrund|uppföljning|"
                          r"problembild)\s*:", re.IGNORECASE)


def is_label(p: Para, text: str) -> bool:
    return p.bold and text.endswith(":") and len(text) <= MAX_HEADING and "\n" not in text


def label_prefix(text: str, p: Para) -> bool:
    prefix = text[:p.bold_prefix].strip()
    return prefix.endswith(":") and bool(KNOWN_LABELS.match(prefix)) and \
        bool(text[p.bold_prefix:].strip())
