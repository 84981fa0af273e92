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
    "methods": "Metod", "follow_up": "Uppföljning", "labels": "Egna ord framför fälten",
    "continue": "Fortsätt numreringen", "format": "Format", "text": "Text",
    "footnote": "Fotnot", "style": "Stil", "bullets": "Punkter", "numbered": "Punkter",
    "clause": "Standardtext", "params": "Parametrar", "table": "Tabell",
    "caption": "Bildtext", "column_styles": "Stil per kolumn", "chart": "Diagram",
    "kind": "Diagramtyp", "alt": "Alternativtext", "series": "Serier", "image": "Bild",
    "stacked": "Staplade staplar", "render": "Diagrammet som",
    "file": "Fil", "width": "Bredd (cm)", "group": "Grupp", "signatures": "Underskrifter",
    "measures": "Åtgärder", "causes": "Orsaker", "cause": "Orsak", "measure": "Åtgärd",
    "goal": "Operativt mål", "when": "När", "who": "Vem", "page_break": "Sidbrytning",
    "problem_id": "Problem-id", "no_measure_reason": "Skäl till att ingen åtgärd görs",
    "function": "Ansvarig funktion", "due": "Klart senast", "indicators": "Indikatorer",
    "indicator": "Indikator (id)", "what": "Vad som mäts", "baseline": "Utgångsläge",
    "current": "Senaste mätning", "target": "Målvärde", "value": "Värde", "year": "År",
    "progress": "Genomförande", "outcome": "Uppföljningstext",
    "population": "Folkmängd år för år (tabell)",
}
# (model, property) where the same name means something else.
CONTEXT_LABELS: dict[tuple[str, str], str] = {
    ("Period", "start"): "Första år", ("Period", "end"): "Sista år",
    ("Validity", "start"): "Första giltighetsdag", ("Validity", "end"): "Sista giltighetsdag",
    ("Numbering", "start"): "Första nummer", ("Table", "title"): "Rubrik",
    ("Measures", "title"): "Rubrik", ("TableBlock", "caption"): "Tabelltext",
    ("Group", "heading"): "Rubrik i dokumentet", ("Total", "label"): "Radens etikett",
    ("MeasuresBlock", "measures"): "Handlingsplan (Brå)",
    ("Document", "number_sections"): "Numrera avsnitten",
    ("Document", "numbering"): "Avsnittens numrering",
    ("Measure", "problem"): "Problem i lägesbilden (id)",
    ("Cause", "problem"): "Problem i lägesbilden (id)",
    ("Measure", "start"): "Startdatum", ("Measure", "party"): "Ansvarig part",
    ("Indicator", "table"): "Tabell med värden år för år (id)",
    ("Indicator", "row"): "Rad i tabellen",
}
# Help under a field, written for a coordinator, where the model's description (written
# for the YAML) is not: by (model, property) or property; "" shows none (the label says
# it all). Other fields show their description, without repeating the label.
HELP: dict[str | tuple[str, str], str] = {
    "heading": "", "background": "", "problem": "", "goals": "", "commitments": "",
    "responsible": "", "timeline": "", "methods": "", "text": "",
    "sub_goals": "Skrivs ut som ”Delmål 1:”, ”Delmål 2:” och så vidare.",
    "follow_up": "Hur det följs upp: vad som mäts, var siffrorna kommer ifrån och när.",
    "goals_numbered": "Målen får nummer: 1, 2, 3 …",
    ("Document", "number_sections"): "Avsnitten får nummer 1, 2, 3 … som följer med när "
                                     "ett avsnitt flyttas.",
    ("Document", "numbering"): "Första nummer och format för avsnittens nummer.",
    "number_sections": "Underavsnitten får nummer: 1, 2 … eller 6.1, 6.2 …",
    "numbering": "Hur underavsnitten numreras: första nummer, format (till exempel "
                 "”Åtgärd {n}:”) och om numreringen fortsätter från föregående grupp.",
    "in_toc": "Om rubriken står i innehållsförteckningen. Standard: rubriker upp till den "
              "nivå dokumentet anger.",
    "page_break_before": "Avsnittet börjar överst på en ny sida.",
    "content": "Avsnittets text: stycken, listor, tabeller, diagram och bilder, i den "
               "ordning de ska stå.",
    "labels": "Om dokumentet ska ha andra ord än standardorden framför fälten, till "
              "exempel ”Syfte:” i stället för ”Mål:”.",
    "type": "Vilket slags dokument det är; det avgör hur dokumentet ser ut.",
    "clause": "Vilken standardtext ur textbiblioteket som används.",
    "toc_levels": "Hur många rubriknivåer innehållsförteckningen visar.",
    "table": "Vilken av kommunens tabeller (under Statistik) som visas.",
    ("IndicatorsBlock", "indicators"): "Ett diagram år för år per indikator som nämns här, "
                                       "med dess korta namn ur statistiken. Ingen nämnd: "
                                       "alla indikatorer med minst två års värden.",
    "kommun": "", "polis": "", "period": "", "validity": "Exakta datum då överenskommelsen "
    "gäller, om de behövs utöver perioden.",
    "demonym": "Hur invånarna kallas (bara för kommunen).",
    "header_name": "Namnet så som det står i sidhuvudet, till exempel ”LULEÅ KOMMUN”. "
                   "Tomt: partens namn.",
    "place_text": "Egen text i stället för orten, till exempel ”Strängnäs kommun”.",
    "title_position": "Om undertecknarens titel står under eller ovanför namnet.",
    "signatories": "Undertecknarna i den ordning de står i dokumentet. Behövs bara när ett "
                   "dokument har underskrifter.",
    "title_page": "En första sida med parterna, titeln, perioden och status. Utan den "
                  "börjar titeln och texten på samma sida.",
    "toc": "Rubriken för en innehållsförteckning, till exempel ”Innehåll”. Tomt: ingen "
           "innehållsförteckning.",
    "subtitle": "Tomt: kommunens och lokalpolisområdets namn med perioden.",
    "cover": "Text som står på försättssidan under titeln.",
    "closing": "Text som står efter sista avsnittet.",
    "appendices": "Andra dokument som följer med som bilagor (Bilaga 1, 2 …).",
    "tables": "Tabellerna som dokumentens tabeller och diagram visar.",
    "unit": "Vad tabellens värden är: antal, procent eller text.",
    ("Total", "values"): "Summorna så som källan anger dem, om de finns; lämna tomt om "
                         "källan inte anger någon summa.",
    "party_labels": "Om varje parts underskrifter står under ”För kommunen” och ”För "
                    "polisen”. Stäng av bara för att återge ett publicerat dokument som "
                    "saknade dem.",
    ("ClauseBlock", "clause"): "Vilken standardtext ur textbiblioteket som används.",
    ("ClauseBlock", "text"): "Egen lydelse i stället för standardtexten, ett stycke per rad "
                             "i listan.",
    "population": "Tabellen vars första rad är folkmängden år för år; då visas antal per "
                  "1 000 invånare.",
    ("Table", "from"): "Läs tabellens kolumner och rader ur ett kalkylark eller en CSV-fil i "
                       "stället för att skriva in dem; filen läses varje gång dokumenten tas "
                       "fram.",
}
# Words of the YAML, not of the documents: a parenthesis holding one is left out of help.
_DEVELOPER = re.compile(r"\s*\([^()]*(?:\b[a-z]+_[a-z_]+\b|true|false|\.yaml|templates/|"
                        r"<[a-z]+>)[^()]*\)")


def _help(prop: str, model_name: str | None, description: str, label: str) -> str:
    """The help shown under a field (see HELP)."""
    for key in ((model_name or "", prop), prop):
        if key in HELP:
            return HELP[key]
    text = _DEVELOPER.sub("", " ".join(description.split()))
    text = re.sub(r";\s*väljer mallen.*$", ".", text)
    if text.rstrip(".").strip().lower() in ("", label.lower()):
        return ""
    return text


# One item of an array, by the array's property name ("Avsnitt 2", "Mål 1").
ITEM_LABELS: dict[str, str] = {
    "sections": "Avsnitt", "content": "Del", "background": "Del", "problem": "Del",
    "methods": "Del", "mandate": "Del", "reporting": "Del", "cover": "Del",
    "closing": "Del", "goals": "Mål", "sub_goals": "Delmål", "commitments": "Åtagande",
    "responsible": "Ansvarig", "timeline": "Tidplan", "follow_up": "Uppföljning",
    "members": "Medlem", "signatories": "Undertecknare", "documents": "Dokument",
    "appendices": "Bilaga", "bullets": "Punkt", "numbered": "Punkt", "causes": "Orsak",
    "measures": "Åtgärd", "text": "Stycke", "values": "Summa", "column_styles": "Kolumn",
    "columns": "Kolumn", "rows": "Rad", "tables": "Tabell", "params": "Parameter",
}
KEY_LABELS = {"tables": "Kort namn (dokumenten hänvisar till tabellen med det)",
              "params": "Namn"}
# Union variants (the content blocks: model.BLOCK_KEYS, "plain" for a bare text).
VARIANT_LABELS: dict[str, str] = {
    "plain": "Stycke", "text": "Text med fotnot", "heading": "Underrubrik",
    "bullets": "Punktlista", "numbered": "Numrerad lista", "label": "Etikett",
    "clause": "Standardtext", "table": "Tabell", "chart": "Diagram",
    "image": "Bild", "group": "Grupp", "signatures": "Underskrifter",
    "measures": "Åtgärdstabell (Brå)", "page_break": "Sidbrytning",
    "indicators": "Indikatorer år för år",
}
# A list item that is text or text with a footnote (bullets, goals): not a paragraph.
ITEM_VARIANT_LABELS = {"plain": "Text", "text": "Text med fotnot"}
ENUM_LABELS: dict[str, str] = {
    "normal": "Normal", "emphasis": "Kursiv", "strong": "Fet", "quote": "Citat",
    "agreement": "Samverkansöverenskommelse", "action_plan": "Handlingsplan",
    "situation_report": "Lägesbild", "citizen_promises": "Medborgarlöften",
    "appendices": "Bilagor", "follow_up": "Uppföljning", "kommun": "Kommunen", "polis": "Polisen",
    "below": "Under namnet", "above": "Ovanför namnet", "draft": "Utkast",
    "final": "Slutlig", "number": "Antal", "percent": "Procent", "text": "Text",
    "line": "Linjediagram", "bar": "Stapeldiagram", "pie": "Cirkeldiagram",
    "rows": "Varje rad är en serie", "columns": "Varje kolumn är en serie",
    "native": "Word-diagram (redigerbart)", "image": "Bild",
    "steering_group": "Styrgrupp", "preparatory_group": "Beredningsgrupp",
    "working_groups": "Arbetsgrupper", "lines": "Linje", "dotted": "Prickad rad",
    "green": "Grön (enligt plan)", "yellow": "Gul (risk)", "red": "Röd (avvikelse)",
    "planned": "Planerad", "ongoing": "Pågår", "done": "Genomförd", "cancelled": "Inställd",
}
# Text that is usually longer than a line gets a <textarea> even without a newline:
# these properties, and the items of these lists ("plain": a paragraph block).
LONG_TEXT = frozenset({"text", "footnote", "members_intro", "cause", "outcome",
                       "no_measure_reason"})
LONG_ITEMS = frozenset({
    "text", "content", "background", "problem", "methods", "mandate", "reporting", "cover",
    "closing", "goals", "sub_goals", "commitments", "follow_up", "bullets", "numbered",
    "timeline", "responsible", "plain",
})
APOSTROPHE_HINT = ("Lämna tomt för att använda standard; skriv bara ' (en apostrof) för "
                   "att inte visa någon text alls.")
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
    return ENUM_LABELS.get(str(value)) or str(value)


def _option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
