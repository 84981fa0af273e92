"""What an import did: the files it wrote and what it could not place with certainty."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..messages import ENGLISH, N_, Msg, cli_language, render, tr

# What an import counts, by the importers' names for them.
KINDS: dict[str, str] = {
    "headings": N_("headings"), "paragraphs": N_("paragraphs"),
    "list items": N_("list items"), "labels": N_("labels"), "footnotes": N_("footnotes"),
    "clauses": N_("clauses"), "tables": N_("tables"), "images": N_("images"),
    "statistics tables": N_("statistics tables"), "measures tables": N_("measures tables"),
    "charts with their data": N_("charts with their data"),
    "signature blocks": N_("signature blocks"), "statuses": N_("statuses"),
    "follow-ups": N_("follow-ups"),
}


@dataclass
class ImportReport:
    """Files written (or updated) and notes on what was uncertain, for the summary.
    A note is a catalogued message (`Msg`), rendered in each reader's language."""

    written: list[Path] = field(default_factory=list)
    uncertain: list[Any] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Where a note is, when known: the section's path in its document ('1.0', as the
    # web editor's /avsnitt/ addresses give it); '' or absent: the document as a whole.
    places: dict[Any, str] = field(default_factory=dict)

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def found(self, lang: str) -> list[str]:
        """What was found, one line per kind ("32 headings"), in lang."""
        return [tr("{n} {kind}", lang, n=n, kind=Msg(KINDS[kind]) if kind in KINDS
                     else kind) for kind, n in sorted(self.counts.items())]

    def notes(self, lang: str) -> list[str]:
        """The places to check, in lang."""
        return [render(note, lang) for note in self.uncertain]

    def summary(self, lang: str | None = None) -> str:
        lang = lang or cli_language()
        lines = [tr("wrote {path}", lang, path=p) for p in self.written]
        lines.append(tr("found: {found}", lang,
                          found=", ".join(self.found(lang)) or tr("nothing", lang)))
        if self.uncertain:
            review = self.review()
            lines.append(tr("{count} places to check, most important first (marked in the "
                            "YAML):", lang, count=len(review)))
            lines.extend(tr("  {n}. {topic} ({confidence}): {note}", lang, n=n,
                            topic=tr(TOPIC_NAMES[topic], lang),
                            confidence=tr(CONFIDENCE_NAMES[confidence], lang),
                            note=render(note, lang))
                         for n, (topic, confidence, note) in enumerate(review, start=1))
        return "\n".join(lines)

    def topics(self) -> set[str]:
        """The topics of the notes (see TOPICS): what the review list asks to check."""
        return {topic_of(note) for note in self.uncertain}

    def review(self) -> list[tuple[str, str, Any]]:
        """The notes as a review list, most important first: (topic, confidence, note).
        Parties, period and signing come first (every page prints them), then errors in
        figures, then what was left out, then the structure."""
        items = [(topic_of(note), note) for note in dict.fromkeys(self.uncertain)]
        items.sort(key=lambda item: RANK.index(item[0]))
        return [(topic, CONFIDENCE[topic], note) for topic, note in items]


# Each note is filed under the first topic whose pattern its English text matches.
TOPICS: tuple[tuple[str, str], ...] = (
    ("header", r"page header"),
    ("footer", r"page footer"),
    ("tracked changes", r"tracked change"),
    ("comments", r"\bcomment"),
    ("parties", r"municipality|police area|kommun\.name|polis\.name|\bparty|parties"),
    ("period", r"\bperiod\b"),
    ("signing", r"signat|signing"),
    ("total", r"\btotal\b|Totalt|Summa"),
    ("title", r"\btitle\b"),
    ("headings", r"heading|back page"),
    ("tables", r"table|cell|column|row\b|Brå"),
    ("lists", r"\blist"),
    ("pictures", r"picture|image|caption"),
)
# The review list's order: what every page prints, errors in figures, what was left
# out, then the structure.
RANK = ("parties", "period", "signing", "total", "header", "footer", "tracked changes",
        "comments", "title", "headings", "tables", "lists", "pictures", "other")
# How sure the import is of what it did about a topic: a guess to confirm, or a fact.
CONFIDENCE = {topic: "low" for topic in ("parties", "period", "signing", "total")} | {
    topic: "medium" for topic in ("header", "footer", "tracked changes", "comments",
                                  "title", "headings", "tables")} | {
    topic: "high" for topic in ("lists", "pictures", "other")}
# The review list's words (catalogued: Swedish in locale/sv).
TOPIC_NAMES: dict[str, str] = {
    "parties": N_("Parties"), "period": N_("Period"), "signing": N_("Signing"),
    "total": N_("Totals"), "header": N_("Page header"), "footer": N_("Page footer"),
    "tracked changes": N_("Tracked changes"), "comments": N_("Comments"),
    "title": N_("Title"), "headings": N_("Headings"), "tables": N_("Tables"),
    "lists": N_("Lists"), "pictures": N_("Pictures"), "other": N_("Other"),
}
CONFIDENCE_NAMES = {"low": N_("a guess: check it"), "medium": N_("probably right"),
                    "high": N_("sure")}


def topic_of(note: object) -> str:
    import re

    text = render(note, ENGLISH)  # the English text, its values too (a sheet's "Totalt")
    return next((topic for topic, pattern in TOPICS if re.search(pattern, text)), "other")
