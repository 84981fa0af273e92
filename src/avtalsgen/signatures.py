"""The signature block: one design in every template and document (issue 22).

For each party, in the order its first signatory is listed: the party ("För Luleå
kommun"), its place and date line (one line above all parties when they share it), then
for each of its signatories a line to sign on, the name and the title. Every paragraph
but the last keeps with the next, so the block stands on one page and nobody signs
under a page break.
"""

from __future__ import annotations

from typing import Any

from . import model as m
from .formatting import datum

Item = dict[str, Any]

# A party's line when neither place nor date is known: written by hand when signing.
BLANK_PLACE_DATE = "Ort och datum: ……………………………………"


def signatures_item(signing: m.Signing, parties: dict[str, str]) -> Item:
    """The block's items; parties: each party's name by key ("kommun", "polis").
    The config's line style and title position are no longer choices: every block looks
    the same."""
    def place_date(person: m.Signatory) -> str:
        day = person.date or signing.date
        when = "" if day is None else str(day.year) if signing.year_only else datum(day)
        place = person.place or signing.place_text or signing.place or ""
        return " ".join(x for x in (place, when) if x)

    groups: dict[str, Item] = {}
    for person in signing.signatories:
        line = place_date(person)
        if person.party not in groups:
            groups[person.party] = {"label": f"För {parties[person.party]}",
                                    "place_date": line or BLANK_PLACE_DATE,
                                    "signatories": []}
        group = groups[person.party]
        # A signatory who signs elsewhere or another day than the party's first.
        own = line if line and line != group["place_date"] else ""
        group["signatories"].append({"name": person.name, "title": person.title,
                                     "party": person.party, "place_date": own,
                                     "last": False})
    blocks = list(groups.values())
    if blocks:
        blocks[-1]["signatories"][-1]["last"] = True
    # The same place and date for every party stands once, above them all.
    common = {g["place_date"] for g in blocks}
    shared = common.pop() if len(common) == 1 and len(blocks) > 1 else ""
    for group in blocks:
        if shared:
            group["place_date"] = ""
        if not signing.party_labels:
            group["label"] = ""
    return {"kind": "signatures", "place_date": shared, "parties": blocks}
