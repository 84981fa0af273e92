"""The form's Swedish words: labels of fields, items, variants and choices, and hints."""

from __future__ import annotations

import re
from typing import Any

from .shapes import _Shape

# Labels of known property names; a property not listed here is labelled with the
# first sentence of its (Swedish) description, so a new field always has a label.
LABELS: dict[str, str] = {
    "kommun": "Kommun", "polis": "Lokalpolisområde", "header": "Parternas namn i sidhuvudet",
    "period": "Period", "signing": "Undertecknande", "organisation": "Organisation",
    "documents": "Dokument", "status": "Status", "version": "Version",
    "version_date": "Versionsdatum", "logo": "Logotyp", "name": "Namn",
    "short_name": "Kort namn", "demonym": "Invånarbeteckning",
    "header_name": "Namn i sidhuvudet", "indefinite": "Obestämd form (Lulebor)",
    "definite": "Bestämd form (Luleborna)", "start": "Start", "end": "Slut",
    "place": "Ort", "date": "Datum", "year_only": "Visa bara året",
    "place_text": "Egen text för ort och datum", "title_position": "Titelns placering",
    "signatories": "Undertecknare", "title": "Titel", "party": "Part",
    "steering_group": "Styrgrupp", "preparatory_group": "Beredningsgrupp",
    "working_groups": "Arbetsgrupper", "heading": "Rubrik",
    "mandate": "Uppdrag och mandat", "members_intro": "Inledning till medlemslistan",
    "members": "Medlemmar", "reporting": "Rapportering", "tables": "Tabeller",
    "columns": "Kolumnrubriker", "rows": "Rader", "total": "Summarad", "unit": "Enhet",
    "decimals": "Decimaler", "source": "Källa", "sample_data": "Exempeldata",
    "label": "Etikett", "values": "Summor enligt källan", "type": "Dokumenttyp",
    "subtitle": "Undertitel", "adopted": "Antagen", "title_page": "Försättssida",
    "validity": "Giltighet", "toc": "Innehållsförteckningens rubrik",
    "toc_levels": "Rubriknivåer i innehållsförteckningen",
    "cover": "Innehåll på försättssidan", "sections": "Avsnitt", "closing": "Avslutning",
    "appendices": "Bilagor", "by": "Beslutande organ",
    "number_sections": "Numrera underavsnitten", "numbering": "Numrering",
    "in_toc": "Med i innehållsförteckningen", "page_break_before": "Börja på ny sida",
    "content": "Innehåll", "background": "Bakgrund", "problem": "Problembild",
    "goals": "Mål", "goals_numbered": "Numrera målen", "sub_goals": "Delmål",
    "commitments": "Åtaganden", "responsible": "Ansvarig", "timeline": "Tidplan",
    "methods": "Metod", "follow_up": "Uppföljning", "labels": "Egna etiketter",
    "continue": "Fortsätt numreringen", "format": "Format", "text": "Text",
    "footnote": "Fotnot", "style": "Stil", "bullets": "Punkter", "numbered": "Punkter",
    "clause": "Standardtext (nyckel)", "params": "Parametrar", "table": "Tabell (id)",
    "caption": "Bildtext", "column_styles": "Stil per kolumn", "chart": "Diagram",
    "kind": "Diagramtyp", "alt": "Alternativtext", "series": "Serier", "image": "Bild",
    "stacked": "Staplade staplar", "render": "Diagrammet som",
    "file": "Fil", "width": "Bredd (cm)", "group": "Grupp", "signatures": "Underskrifter",
    "measures": "Åtgärder", "causes": "Orsaker", "cause": "Orsak", "measure": "Åtgärd",
    "goal": "Operativt mål", "when": "När", "who": "Vem", "page_break": "Sidbrytning",
}
# (model, property) where the same name means something else.
CONTEXT_LABELS: dict[tuple[str, str], str] = {
    ("Period", "start"): "Första år", ("Period", "end"): "Sista år",
    ("Validity", "start"): "Första giltighetsdag", ("Validity", "end"): "Sista giltighetsdag",
    ("Numbering", "start"): "Första nummer", ("Table", "title"): "Rubrik",
    ("Measures", "title"): "Rubrik", ("TableBlock", "caption"): "Tabelltext",
    ("Group", "heading"): "Rubrik i dokumentet", ("Total", "label"): "Radens etikett",
    ("MeasuresBlock", "measures"): "Handlingsplan (Brå)",
}
# One item of an array, by the array's property name ("Avsnitt 2", "Mål 1").
ITEM_LABELS: dict[str, str] = {
    "sections": "Avsnitt", "content": "Block", "background": "Block", "problem": "Block",
    "methods": "Block", "mandate": "Block", "reporting": "Block", "cover": "Block",
    "closing": "Block", "goals": "Mål", "sub_goals": "Delmål", "commitments": "Åtagande",
    "responsible": "Ansvarig", "timeline": "Tidplan", "follow_up": "Uppföljning",
    "members": "Medlem", "signatories": "Undertecknare", "documents": "Dokument",
    "appendices": "Bilaga", "bullets": "Punkt", "numbered": "Punkt", "causes": "Orsak",
    "measures": "Åtgärd", "text": "Stycke", "values": "Summa", "column_styles": "Kolumn",
    "columns": "Kolumn", "rows": "Rad", "tables": "Tabell", "params": "Parameter",
}
KEY_LABELS = {"tables": "Id", "params": "Namn"}
# Union variants (the content blocks: model.BLOCK_KEYS, "plain" for a bare text).
VARIANT_LABELS: dict[str, str] = {
    "plain": "Stycke", "text": "Text med fotnot", "heading": "Underrubrik",
    "bullets": "Punktlista", "numbered": "Numrerad lista", "label": "Etikett",
    "clause": "Standardtext (clause)", "table": "Tabell", "chart": "Diagram",
    "image": "Bild", "group": "Grupp", "signatures": "Underskrifter",
    "measures": "Åtgärdstabell (Brå)", "page_break": "Sidbrytning",
}
# A list item that is text or text with a footnote (bullets, goals): not a paragraph.
ITEM_VARIANT_LABELS = {"plain": "Text", "text": "Text med fotnot"}
ENUM_LABELS: dict[str, str] = {
    "normal": "Normal", "emphasis": "Kursiv", "strong": "Fet", "quote": "Citat",
    "agreement": "Samverkansöverenskommelse", "action_plan": "Handlingsplan",
    "situation_report": "Lägesbild", "citizen_promises": "Medborgarlöften",
    "appendices": "Bilagor", "kommun": "Kommunen", "polis": "Polisen",
    "below": "Under namnet", "above": "Ovanför namnet", "draft": "Utkast",
    "final": "Slutlig", "number": "Antal", "percent": "Procent", "text": "Text",
    "line": "Linjediagram", "bar": "Stapeldiagram", "pie": "Cirkeldiagram",
    "rows": "Varje rad är en serie", "columns": "Varje kolumn är en serie",
    "native": "Word-diagram (redigerbart)", "image": "Bild",
    "steering_group": "Styrgrupp", "preparatory_group": "Beredningsgrupp",
    "working_groups": "Arbetsgrupper", "lines": "Linje", "dotted": "Prickad rad",
    "green": "Grön (enligt plan)", "yellow": "Gul (risk)", "red": "Röd (avvikelse)",
}
# Text that is usually longer than a line gets a <textarea> even without a newline:
# these properties, and the items of these lists ("plain": a paragraph block).
LONG_TEXT = frozenset({"text", "footnote", "members_intro", "cause"})
LONG_ITEMS = frozenset({
    "text", "content", "background", "problem", "methods", "mandate", "reporting", "cover",
    "closing", "goals", "sub_goals", "commitments", "follow_up", "bullets", "numbered",
    "timeline", "responsible", "plain",
})
APOSTROPHE_HINT = ("Lämna tomt för standard; skriv ' (en apostrof) för en tom text.")
CELL_HINT = ("Tal sparas som tal; börja med ' för att spara något som ser ut som ett tal "
             "som text (t.ex. '2014).")


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?)(?:[.;:](?:\s|$)|\s\()", text)
    sentence = (match.group(1) if match else text).rstrip(".")
    return sentence[:1].upper() + sentence[1:]


def _label(prop: str, model_name: str | None, schema: dict[str, Any],
           shape: _Shape | None = None) -> str:
    if (model_name or "", prop) in CONTEXT_LABELS:
        return CONTEXT_LABELS[(model_name or "", prop)]
    if prop in LABELS:
        return LABELS[prop]
    desc = schema.get("description") or (shape.description if shape else "")
    if desc:
        return _first_sentence(desc)
    return prop.replace("_", " ").capitalize()


def _variant_label(union: _Shape, key: str) -> str:
    keys = {k for k, _ in union.variants}
    if keys == {"plain", "text"} and key in ITEM_VARIANT_LABELS:
        return ITEM_VARIANT_LABELS[key]
    if key in VARIANT_LABELS:
        return VARIANT_LABELS[key]
    shape = union.variant(key)
    if shape is not None and shape.description:
        return _first_sentence(shape.description)
    return key


def _enum_label(value: Any) -> str:
    if value is True:
        return "Ja"
    if value is False:
        return "Nej"
    word = ENUM_LABELS.get(str(value))
    if word is None or word.lower() == str(value).lower():
        return word or str(value)
    return f"{word} ({value})"


def _option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
