"""Stage 2: the vocabulary of the documents, as Pydantic models.

Every model forbids unknown keys (a typo must not vanish) and carries a short
Swedish description per field, which `avtalsgen schema` exports for editors.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .messages import N_, MessageError, Msg

# The version of the config vocabulary (JSON Schema "version"); CHANGELOG.md says what
# changed. A config written for an earlier version keeps validating.
SCHEMA_VERSION = "2.0"

# XML 1.0 cannot hold these; a .docx with them is corrupt, so they are refused.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: str) -> str:
    match = _FORBIDDEN.search(value)
    if match:
        raise MessageError(Msg(N_(
            "contains the control character {code} at position {position}, which a Word "
            "document cannot hold"), code=f"U+{ord(match.group()):04X}",
            position=match.start() + 1))
    # Word has one kind of line break: a lone or paired CR becomes a newline.
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise MessageError(Msg(N_("must not be empty")))
    return value


Text = Annotated[str, AfterValidator(_xml_safe)]
Name = Annotated[str, AfterValidator(_xml_safe), AfterValidator(_not_blank)]
# Keys, document names and municipality folders: lower-case a-z, digits, - and _.
SLUG_PATTERN = r"[a-z0-9][a-z0-9_\-]*"
Id = Annotated[str, Field(pattern=f"^{SLUG_PATTERN}$", max_length=64)]
MAX_NUMBER = 10**15  # a table figure beyond this is a typing mistake; it cannot be printed


def _finite(value: float) -> float:
    if value != value or value in (float("inf"), float("-inf")):
        raise MessageError(Msg(N_("must be a finite number (not .inf or .nan)")))
    return _bounded(value)


def _bounded(value: Any) -> Any:
    if abs(value) >= MAX_NUMBER:
        raise MessageError(Msg(N_("the number is too large (at most {most} in size)"),
                               most=f"{MAX_NUMBER - 1:,}".replace(",", " ")))
    return value


Number = Annotated[int, AfterValidator(_bounded)] | Annotated[float, AfterValidator(_finite)]
Cell = Number | Text | None


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def d(text: str, **kw: Any) -> Any:
    """Field with a Swedish description (shown in the JSON Schema)."""
    return Field(description=text, **kw)


# --- parties, period, signing ---------------------------------------------------

class Demonym(Model):
    """Invånarbeteckning: oregelbunden, därför data och inte regel."""

    indefinite: Name = d("Obestämd plural, t.ex. 'Lulebor'.")
    definite: Name = d("Bestämd plural, t.ex. 'Luleborna'.")


class Party(Model):
    """En part i överenskommelsen: kommunen eller lokalpolisområdet."""

    name: Name = d("Fullständigt namn, t.ex. 'Luleå kommun' eller 'Lokalpolisområde Luleå-Boden'.")
    short_name: Name = d("Kort namn, t.ex. 'Luleå' eller 'Luleå-Boden'.")
    demonym: Demonym | None = d("Invånarbeteckning (bara för kommunen).", default=None)
    header_name: Text | None = d(
        "Namn i sidhuvudet (t.ex. 'LULEÅ KOMMUN'); standard är name; \"\" lämnar "
        "sidhuvudets sida tom.", default=None)


class _Span(Model):
    """A start and an end, in that order."""

    @model_validator(mode="after")
    def _ordered(self) -> _Span:
        if self.end < self.start:  # type: ignore[attr-defined]
            raise MessageError(Msg(N_("end ({end}) is before start ({start})"),
                                   end=self.end, start=self.start))  # type: ignore[attr-defined]
        return self


class Period(_Span):
    """Överenskommelsens period i hela år."""

    start: int = d("Första år, t.ex. 2020.", ge=1900, le=2200)
    end: int = d("Sista år, t.ex. 2023.", ge=1900, le=2200)


class Validity(_Span):
    """Exakta giltighetsdatum (t.ex. 2019-12-20 – 2023-06-01)."""

    start: dt.date = d("Första giltighetsdag (ÅÅÅÅ-MM-DD).")
    end: dt.date = d("Sista giltighetsdag (ÅÅÅÅ-MM-DD).")


class Signatory(Model):
    """En person som skriver under."""

    name: Text = d("Namn, t.ex. 'Fredrik Hansson'.")
    title: Name = d("Titel, t.ex. 'Kommunalråd'.")
    party: Literal["kommun", "polis"] = d("Vilken part personen företräder.")
    place: Text | None = d("Egen ort när personen skriver under på annan ort.", default=None)
    date: dt.date | None = d("Eget datum när personen skriver under en annan dag "
                             "(ÅÅÅÅ-MM-DD); visas över personens underskrift.", default=None)


class Signing(Model):
    """Ort, datum och undertecknare."""

    place: Text | None = d("Ort för undertecknandet, t.ex. 'Luleå'.", default=None)
    date: dt.date | None = d("Datum för undertecknandet (ÅÅÅÅ-MM-DD).", default=None)
    year_only: bool = d("Visa bara året ('Luleå 2020') i stället för hela datumet.",
                        default=False)
    place_text: Text | None = d(
        "Egen text för ort och datum, t.ex. 'Strängnäs kommun'; standard är place.",
        default=None)
    title_position: Literal["below", "above"] = d(
        "Används inte längre: titeln står alltid under namnet (below, standard), en och "
        "samma underskriftsdesign i alla dokument; läses men påverkar inte dokumenten.",
        default="below")
    party_labels: bool = d(
        "Skriv 'För <part>' över varje parts underskrifter (standard). false bara för "
        "att återge ett redan undertecknat dokument som saknar dem.", default=True)
    signatories: list[Signatory] = d(
        "Undertecknare i den ordning de visas; behövs bara när ett dokument har "
        "underskrifter (signatures).", default_factory=list)


# --- statistics -----------------------------------------------------------------

class Total(Model):
    """Summarad rad som räknas fram ur tabellens data."""

    label: Name = d("Radens etikett, t.ex. 'Totalt'.", default="Totalt")
    values: list[Cell] | None = d(
        "Valfri kontroll: summor som de står i källan; avvikelse från data är ett fel; "
        "null: källan anger ingen summa för kolumnen (skrivs tom).",
        default=None)


# A cell range as spreadsheets write it: "A1:F12" (columns A-XFD, rows from 1).
RANGE_PATTERN = r"^\$?[A-Za-z]{1,3}\$?[1-9][0-9]{0,6}:\$?[A-Za-z]{1,3}\$?[1-9][0-9]{0,6}$"


class TableSource(Model):
    """Kalkylark (.xlsx) eller CSV-fil i kommunens mapp som tabellen läses ur vid varje
    körning: områdets första rad är kolumnrubrikerna, resten raderna."""

    file: Name = d("Filen i kommunens mapp, t.ex. 'brott.xlsx' eller 'brott.csv'.")
    sheet: Name | None = d("Bladets namn i en .xlsx-fil, t.ex. 'Anmälda brott'; standard är "
                           "första bladet.", default=None)
    range: str | None = d("Cellområde, t.ex. 'A1:F12'; standard är det använda området "
                          "(alla ifyllda celler).", default=None)

    @field_validator("range")
    @classmethod
    def _cell_range(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(RANGE_PATTERN, value):
            raise MessageError(Msg(N_("{value!r} is not a cell range like 'A1:F12'"),
                                   value=value))
        return value


def _field_errors(title: str, errors: list[InitErrorDetails]) -> None:
    """Raise errors located at their fields, not at the model, so that they name the
    field and its line like pydantic's own."""
    raise ValidationError.from_exception_data(title, errors)


def _missing(name: str) -> InitErrorDetails:
    return InitErrorDetails(type="missing", loc=(name,), input={})


def _too_short(name: str) -> InitErrorDetails:
    # The error pydantic gives for min_length=1, word for word.
    return InitErrorDetails(type="too_short", loc=(name,), input=[], ctx={
        "field_type": "List", "min_length": 1, "actual_length": 0})


def _typed_table_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema of a typed table, as before `from` existed (columns and rows
    required, at least one column): the editor's forms build and read tables by it. The
    model itself also accepts a table with only `from` (see Table._source)."""
    schema["required"] = ["columns", "rows", *(r for r in schema.get("required", ())
                                                if r not in ("columns", "rows"))]
    schema["properties"]["columns"]["minItems"] = 1


class Table(Model):
    """Tabell med statistik eller text; första kolumnen är radernas etikett."""

    # populate_by_name: model_dump() writes from_, which must validate again (charts).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              json_schema_extra=_typed_table_schema)

    title: Text | None = d("Rubrik ovanför tabellen.", default=None)
    from_: TableSource | None = d(
        "Läs kolumner och rader ur ett kalkylark eller en CSV-fil (i stället för columns "
        "och rows); filen läses vid varje körning.", default=None, alias="from")
    columns: list[Cell] = d("Kolumnrubriker, inklusive etikettkolumnen.",
                            default_factory=list)
    rows: list[list[Cell]] = d("Rader: etikett följd av ett värde per kolumn.",
                               default_factory=list)
    total: Total | None = d("Lägg till en summarad räknad ur data.", default=None)
    unit: Literal["number", "percent", "text"] = d(
        "Värdenas enhet: number (antal), percent (procent) eller text.", default="number")
    decimals: int | None = d("Antal decimaler; standard är så många som behövs.",
                             default=None, ge=0, le=6)
    source: Text | None = d("Källa, visas under tabellen.", default=None)
    sample_data: bool = d(
        "Sant när värdena är exempeldata (källan saknar siffror); visas i dokumentet.",
        default=False)

    def _source(self) -> None:
        """Exactly one of from (a file, read at load time) and columns with rows. With
        from, an empty list types nothing (the editor's form writes `columns: []`)."""
        given = self.model_fields_set
        if self.from_ is not None:
            typed = [name for name in ("columns", "rows") if getattr(self, name)]
            if typed:
                _field_errors("Table", [InitErrorDetails(
                    type=PydanticCustomError(
                        "from_and_columns",
                        "give either from (a spreadsheet) or {typed}, not both",
                        {"typed": " and ".join(typed)}), loc=("from",), input={})])
            return
        errors = [_missing(name) if name not in given else _too_short(name)
                  for name in ("columns", "rows")
                  if name not in given or (name == "columns" and not self.columns)]
        if errors:
            _field_errors("Table", errors)

    @model_validator(mode="after")
    def _shape(self) -> Table:
        self._source()
        if self.total is not None and self.unit == "text":
            raise MessageError(Msg(N_("a text table cannot have a total")))
        if self.from_ is not None:
            return self  # the data is checked when the file is read (validate stage)
        width = len(self.columns)
        for i, row in enumerate(self.rows):
            if len(row) != width:
                raise MessageError(Msg(N_("row {row} has {cells} cells but there are "
                                          "{columns} columns"), row=i + 1, cells=len(row),
                                       columns=width))
        if self.total is not None:
            for i, row in enumerate(self.rows):
                for j, cell in enumerate(row[1:], start=2):
                    if not (cell is None or isinstance(cell, (int, float))):
                        raise MessageError(Msg(N_(
                            "row {row}, column {column} is text ({cell!r}); a table with "
                            "a total needs numbers"), row=i + 1, column=j, cell=cell))
            given = self.total.values
            if given is not None:
                if len(given) != width - 1:
                    raise MessageError(Msg(N_(
                        "total.values has {given} values but the table has {columns} value "
                        "columns"), given=len(given), columns=width - 1))
                for j, (want, got) in enumerate(zip(given, self.column_sums(), strict=True),
                                                start=2):
                    if want is not None and not _close(want, got):
                        raise MessageError(Msg(N_(
                            "the given total {want!r} in column {column!r} disagrees with "
                            "the sum of the data ({got!r})"), want=want,
                            column=self.columns[j - 1], got=got))
        return self

    def column_sums(self) -> list[float | int]:
        sums: list[float | int] = []
        for j in range(1, len(self.columns)):
            sums.append(sum(row[j] or 0 for row in self.rows))  # type: ignore[misc]
        return sums


def _close(a: Any, b: Any) -> bool:
    return isinstance(a, (int, float)) and abs(float(a) - float(b)) < 1e-9 * max(1, abs(b))


class Chart(Model):
    """Diagram ritat ur en tabell: ett Word-diagram med sina data, eller en bild."""

    table: Id = d("Id för tabellen i statistics.yaml som diagrammet ritas ur.")
    kind: Literal["line", "bar", "pie"] = d("Diagramtyp: line, bar eller pie.")
    caption: Name = d("Bildtext efter 'Figur N.'.")
    alt: Name = d("Alternativtext för skärmläsare: vad diagrammet visar.")
    series: Literal["rows", "columns"] = d(
        "rows: varje rad är en serie (standard 'rows'); columns: varje kolumn.", default="rows")
    stacked: bool = d("Staplade staplar (bara för kind: bar): seriernas värden läggs på "
                      "varandra i stället för bredvid varandra.", default=False)
    render: Literal["native", "image"] = d(
        "'native' (standard): ett Word-diagram med sina data, som kan redigeras i Word; "
        "'image': en bild (PNG) av diagrammet.", default="native")
    axis_from_zero: bool = d(
        "Värdeaxeln börjar på noll (standard true), så att skillnader inte överdrivs. "
        "false: axeln börjar nära det lägsta värdet, och en notering under diagrammet "
        "säger det.", default=True)

    @model_validator(mode="after")
    def _stacked_bars_only(self) -> Chart:
        if self.stacked and self.kind != "bar":
            _field_errors("Chart", [InitErrorDetails(
                type=PydanticCustomError(
                    "stacked_not_bar", "only a bar chart can be stacked (kind is {kind})",
                    {"kind": repr(self.kind)}),
                loc=("stacked",), input=True)])
        return self


# --- content blocks -------------------------------------------------------------

class TextBlock(Model):
    """Stycke med valfri fotnot."""

    text: Text = d("Styckets text.")
    footnote: Text | None = d("Fotnot till stycket.", default=None)
    style: Literal["normal", "emphasis", "strong", "quote"] = d(
        "Stil: normal, emphasis (kursiv), strong (fet) eller quote.", default="normal")


Item = Text | TextBlock


class HeadingBlock(Model):
    heading: Name = d("Underrubrik en nivå under avsnittets rubrik.")
    in_toc: bool | None = d("Med i innehållsförteckningen (true/false); standard: efter "
                            "nivå (toc_levels).", default=None)


class BulletsBlock(Model):
    bullets: list[Item] = d("Punktlista.", min_length=1)
    style: Literal["normal", "emphasis", "strong"] = d("Stil för punkterna.",
                                                        default="normal")


class NumberedBlock(Model):
    numbered: list[Item] = d("Numrerad lista (1., 2., …).", min_length=1)


class LabelBlock(Model):
    label: Name = d("Kort fet etikett, t.ex. 'Mål:'.")


class ClauseBlock(Model):
    clause: Id = d("Nyckel i textbiblioteket (templates/clauses.yaml).")
    params: dict[str, Text] = d("Extra parametrar till textblocket.", default_factory=dict)
    text: list[Text] | None = d("Egen formulering som ersätter bibliotekets stycken.",
                                default=None)


ColumnStyle = Literal["normal", "emphasis", "strong"]


class TableBlock(Model):
    table: Id = d("Id för en tabell i statistics.yaml.")
    caption: Name | None = d("Numrerad tabelltext ovanför tabellen: 'Tabell N. …'.",
                             default=None)
    column_styles: list[ColumnStyle | None] = d(
        "Stil per kolumn i tabellens rader: normal, emphasis (kursiv) eller strong (fet); "
        "null lämnar kolumnen som den är.", default_factory=list)


class ChartBlock(Model):
    chart: Chart = d("Diagram ritat ur en tabell.")


class GroupBlock(Model):
    group: Literal["steering_group", "preparatory_group", "working_groups"] = d(
        "Grupp ur organisation som beskrivs här.")


class SignaturesBlock(Model):
    signatures: Literal["lines", "dotted"] = d(
        "Underskrifter här: 'lines' eller 'dotted' (läses; båda ger samma heldragna "
        "linje, en och samma underskriftsdesign i alla dokument).")


Progress = Literal["planned", "ongoing", "done", "cancelled"]


class Measure(Model):
    """En åtgärd i Brå:s handlingsplanstabell."""

    measure: Name = d("Åtgärd.")
    goal: Text = d("Operativt mål (mätbart).", default="")
    when: Text = d("När, t.ex. 'Vt 2025'.", default="")
    who: Text = d("Vem: en namngiven ansvarig person.", default="")
    follow_up: Text = d("Uppföljning: hur och när.", default="")
    status: Literal["green", "yellow", "red"] | None = d(
        "Uppföljningsstatus: green (enligt plan), yellow (risk), red (avvikelse).",
        default=None)
    problem: Id | None = d(
        "Problemet i lägesbilden som åtgärden svarar mot (avsnittets problem-id), när "
        "orsaken inte redan anger det.", default=None)
    party: Literal["kommun", "polis"] | None = d(
        "Ansvarig part: kommun eller polis.", default=None)
    function: Text = d("Ansvarig funktion, t.ex. 'Fritidschef' eller 'Kommunpolis'.",
                       default="")
    start: dt.date | None = d("Startdatum inom perioden (ÅÅÅÅ-MM-DD).", default=None)
    due: dt.date | None = d("Klart senast, inom perioden (ÅÅÅÅ-MM-DD).", default=None)
    indicator: Id | None = d(
        "Indikatorn som mäter åtgärden: dess namn bland statistikens indikatorer.",
        default=None)
    progress: Progress | None = d(
        "Genomförande: planned (planerad), ongoing (pågår), done (genomförd) eller "
        "cancelled (inställd).", default=None)
    outcome: Text = d("Uppföljningstext: vad som gjordes och hur det gick.", default="")


class Cause(Model):
    """En orsak med sina åtgärder; orsaker numreras 1, 2, … och åtgärder 1.1, 1.2, …"""

    cause: Name = d("Orsak (från orsaksanalysen).")
    problem: Id | None = d(
        "Problemet i lägesbilden som orsaken förklarar (avsnittets problem-id).",
        default=None)
    measures: list[Measure] = d("Åtgärder mot orsaken.", min_length=1)


class Measures(Model):
    title: Text | None = d("Rubrik ovanför tabellen.", default=None)
    causes: list[Cause] = d("Orsaker med åtgärder.", min_length=1)


class MeasuresBlock(Model):
    measures: Measures = d(
        "Handlingsplan enligt Brå: Orsak | Åtgärd | Operativa mål | När | Vem | Uppföljning.")


class Image(Model):
    """En bild ur kommunens mapp (inte ett diagram), med bildtext och alternativtext."""

    file: Text = d("PNG- eller JPEG-fil i kommunens mapp, t.ex. 'brottstriangeln.png'.")
    caption: Name = d("Bildtext efter 'Figur N.'.")
    alt: Name = d("Alternativtext för skärmläsare: vad bilden visar.")
    width: float = d("Bredd i centimeter (högst textbredden 16 cm).", default=12.0, gt=0,
                     le=16)


class ImageBlock(Model):
    image: Image = d("En bild med bildtext (figur).")


class PageBreakBlock(Model):
    page_break: Literal[True] = d("Ny sida här.")


class IndicatorsBlock(Model):
    indicators: list[Id] = d(
        "Ett linjediagram per indikator år för år, för indikatorerna som nämns här (en tom "
        "lista: alla indikatorer i statistiken med minst två års värden); per 1 000 "
        "invånare när statistiken anger en folkmängdstabell.")


def _block_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "plain"
    if isinstance(value, BaseModel):
        return type(value).__name__
    if isinstance(value, dict):
        for key in BLOCK_KEYS:
            if key in value:
                return key
    return None


Block = Annotated[
    (
        Annotated[Text, Tag("plain")]
        | Annotated[TextBlock, Tag("text")]
        | Annotated[HeadingBlock, Tag("heading")]
        | Annotated[BulletsBlock, Tag("bullets")]
        | Annotated[NumberedBlock, Tag("numbered")]
        | Annotated[LabelBlock, Tag("label")]
        | Annotated[ClauseBlock, Tag("clause")]
        | Annotated[TableBlock, Tag("table")]
        | Annotated[ChartBlock, Tag("chart")]
        | Annotated[ImageBlock, Tag("image")]
        | Annotated[GroupBlock, Tag("group")]
        | Annotated[SignaturesBlock, Tag("signatures")]
        | Annotated[MeasuresBlock, Tag("measures")]
        | Annotated[PageBreakBlock, Tag("page_break")]
        | Annotated[IndicatorsBlock, Tag("indicators")]
    ),
    Discriminator(
        _block_kind,
        custom_error_type="block_kind",
        custom_error_message=(
            "a block is text, or a mapping with one of the keys: text, heading, bullets, "
            "numbered, label, clause, table, chart, image, group, signatures, measures, "
            "page_break, indicators"),
    ),
]
# "text" last: a clause block may carry its own `text:` wording.
BLOCK_KEYS = ("clause", "heading", "bullets", "numbered", "label", "table", "chart", "image",
              "group", "signatures", "measures", "page_break", "indicators", "text")


# --- organisation ---------------------------------------------------------------

class Group(Model):
    """Styrgrupp, beredningsgrupp eller arbetsgrupper."""

    name: Name = d("Gruppens namn, t.ex. 'Styrgrupp'.")
    heading: Text | None = d("Rubrik i dokumentet; standard är name.", default=None)
    mandate: list[Block] = d("Uppdrag och mandat (stycken, textblock).", default_factory=list)
    members_intro: Text | None = d(
        "Inledning till medlemslistan, t.ex. 'I beredningsgruppen ingår:'.", default=None)
    members: list[Item] = d("Medlemmar (roller eller namn).", default_factory=list)
    reporting: list[Block] = d("Hur gruppen rapporterar.", default_factory=list)


class Organisation(Model):
    steering_group: Group | None = d("Styrgrupp.", default=None)
    preparatory_group: Group | None = d("Beredningsgrupp.", default=None)
    working_groups: Group | None = d("Arbetsgrupper.", default=None)


# --- sections -------------------------------------------------------------------

class Labels(Model):
    """Egna etiketter för ett avsnitts fält (standard: 'Mål:', 'Åtagande:' …);
    \"\" tar bort etiketten."""

    problem: Text | None = d("Standard 'Problembild'.", default=None)
    goals: Text | None = d("Standard 'Mål:'.", default=None)
    commitments: Text | None = d("Standard 'Åtagande:' / 'Åtaganden:'.", default=None)
    responsible: Text | None = d("Standard 'Ansvarig:'.", default=None)
    timeline: Text | None = d("Standard 'Tidplan:'.", default=None)
    methods: Text | None = d("Standard 'Metod:' (i bilagor 'Tillvägagångssätt:').",
                             default=None)
    background: Text | None = d("Standard 'Bakgrund:'.", default=None)
    follow_up: Text | None = d("Standard 'Uppföljning:'.", default=None)


class Numbering(Model):
    """Hur underavsnitten numreras."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: int = d("Första numret, t.ex. 4.", default=1, ge=0, le=9999)
    continue_: bool = d(
        "Fortsätt numreringen från föregående numrerade grupp i dokumentet (t.ex. åtgärd "
        "1–10 genom flera teman) i stället för att börja om.", default=False, alias="continue")
    format: Text = d("Hur numret skrivs, med {n} för numret: '{n}.' (standard), "
                     "'Åtgärd {n}:' …", default="{n}.", max_length=40)

    @field_validator("format")
    @classmethod
    def _one_number(cls, value: str) -> str:
        if value.count("{n}") != 1 or "%" in value:
            raise MessageError(Msg(N_("the format needs {{n}} exactly once (and no %), e.g. "
                                      "'Åtgärd {{n}}'")))
        return value


# The labelled fields of a section, printed in the order the YAML gives them.
LABELLED_FIELDS = ("background", "problem", "goals", "sub_goals", "commitments",
                   "responsible", "timeline", "methods", "follow_up")


class Section(Model):
    """Avsnitt med rubrik; i handlingsplaner även mål, åtaganden, ansvar och tidplan.

    Fälten med etikett (background … follow_up) skrivs ut i den ordning de står i YAML."""

    heading: Name = d("Avsnittets rubrik.")
    problem_id: Id | None = d(
        "Kort namn på problemet avsnittet beskriver (i lägesbilden), så att orsaker och "
        "åtgärder kan hänvisa till det, t.ex. 'ungdomar-centrum'.", default=None)
    no_measure_reason: Text | None = d(
        "Skäl till att problemet inte får någon åtgärd i år.", default=None)
    number_sections: bool = d("Numrera underavsnitten (1., 2. / 6.1, 6.2).", default=False)
    numbering: Numbering | None = d(
        "Numreringens start, format och fortsättning (med number_sections).", default=None)
    in_toc: bool | None = d("Med i innehållsförteckningen (true/false); standard: efter "
                            "nivå (toc_levels).", default=None)
    page_break_before: bool = d("Börja avsnittet på ny sida.", default=False)
    content: list[Block] = d("Innehåll: stycken, listor, tabeller, diagram …",
                             default_factory=list)
    background: list[Block] = d("Bakgrund (t.ex. för en åtgärd i en bilaga).",
                                default_factory=list)
    problem: list[Block] = d("Problembild.", default_factory=list)
    goals: list[Item] = d("Mål.", default_factory=list)
    goals_numbered: bool = d("Numrera målen (1., 2., …).", default=False)
    sub_goals: list[Text] = d("Delmål, numreras 'Delmål 1:' osv.", default_factory=list)
    commitments: list[Text] = d("Åtaganden.", default_factory=list)
    responsible: list[Text] = d("Ansvarig.", default_factory=list)
    timeline: list[Text] = d("Tidplan.", default_factory=list)
    methods: list[Block] = d("Metod / tillvägagångssätt.", default_factory=list)
    follow_up: list[Item] = d("Uppföljning: indikatorer och hur de följs upp.",
                              default_factory=list)
    labels: Labels = d("Egna etiketter för fälten ovan.", default_factory=Labels)
    sections: list[Section] = d("Underavsnitt.", default_factory=list)

    _order: tuple[str, ...] = PrivateAttr(default=LABELLED_FIELDS)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_field_order(cls, data: Any, handler: Any) -> Section:
        section = handler(data)
        if isinstance(data, dict):
            written = [k for k in data if k in LABELLED_FIELDS]
            section._order = (*written, *(k for k in LABELLED_FIELDS if k not in written))
        return section

    def labelled_fields(self) -> tuple[str, ...]:
        """The labelled fields in the order the config writes them."""
        return self._order


class Adoption(Model):
    by: Name = d("Beslutande organ, t.ex. 'Styrgruppen'.")
    date: dt.date = d("Beslutsdatum (ÅÅÅÅ-MM-DD).")


DocumentType = Literal["agreement", "action_plan", "situation_report", "citizen_promises",
                       "appendices", "follow_up"]


class Document(Model):
    """Ett dokument som kommunen tar fram (en YAML-fil per dokument)."""

    type: DocumentType = d("Dokumenttyp; väljer mallen templates/<type>.docx.")
    title: Name = d("Dokumentets titel, t.ex. 'Samverkansöverenskommelse'.")
    year: int | None = d("Året dokumentet gäller, t.ex. 2025 (åtgärdsplan, uppföljning); "
                         "åtgärdernas tider ska ligga inom det.", default=None, ge=1900,
                         le=2200)
    subtitle: Text | None = d(
        "Undertitel; standard är '<kommun> och <lokalpolisområde> <period>'.", default=None)
    adopted: Adoption | None = d("Antagen av (organ och datum).", default=None)
    title_page: bool = d(
        "Försättssida med parterna, titel, period och status (utan sidnummer); false: "
        "titeln och innehållet börjar på samma sida.", default=True)
    validity: Validity | None = d("Exakta giltighetsdatum.", default=None)
    period: Period | None = d(
        "Dokumentets egna år, när de inte är överenskommelsens: en verksamhetsplan för "
        "2020–2021 under en överenskommelse för 2020–2023. Visas på försättssidan och i "
        "standardundertiteln; standard är överenskommelsens period.", default=None)
    toc: Text | None = d("Rubrik för en innehållsförteckning, t.ex. 'Innehåll'; "
                         "utelämna för ingen.", default=None)
    toc_levels: int = d("Rubriknivåer som tas med i innehållsförteckningen.", default=2,
                        ge=1, le=4)
    number_sections: bool = d(
        "Numrera avsnitten (1., 2., 3. …) som Word gör, så att numren följer med när "
        "avsnitt flyttas.", default=False)
    numbering: Numbering | None = d(
        "Avsnittsnumreringens start och format (med number_sections).", default=None)
    cover: list[Block] = d("Innehåll på försättssidan efter titeln.", default_factory=list)
    sections: list[Section] = d("Dokumentets avsnitt.", default_factory=list)
    closing: list[Block] = d("Avslutande innehåll efter sista avsnittet.",
                             default_factory=list)
    appendices: list[Id] = d(
        "Andra dokument i mappen som läggs till som bilagor (Bilaga 1, 2, …).",
        default_factory=list)


class Approval(Model):
    """Ett godkännande av den slutliga versionen (skrivs av den delade servern)."""

    name: Name = d("Vem som godkände.")
    party: Literal["kommun", "polis"] = d("För vilken part.")
    date: dt.date = d("Datum för godkännandet (ÅÅÅÅ-MM-DD).")


class Municipality(Model):
    """Kommunens gemensamma uppgifter (municipality.yaml)."""

    kommun: Party = d("Kommunen.")
    polis: Party = d("Lokalpolisområdet.")
    header: bool = d("Parternas namn i sidhuvudet (false: inget sidhuvud med namn).",
                     default=True)
    period: Period = d("Överenskommelsens period.")
    signing: Signing = d("Var, när och av vem överenskommelsen skrivs under.")
    organisation: Organisation = d("Samverkansorganisationen.", default_factory=Organisation)
    documents: list[Id] = d(
        "Dokument att ta fram: namn på YAML-filer i mappen (utan .yaml).", min_length=1)
    status: Literal["draft", "final"] = d(
        "draft: dokumenten märks UTKAST; final: den antagna, undertecknade versionen "
        "(kräver att inga platshållare finns kvar). `render --final` ger final ändå. "
        "Gäller bara så länge inga godkännanden finns (approvals.yaml): sedan avgör "
        "parternas godkännanden av innehållet.",
        default="draft")
    version: Name = d("Versionsnummer som visas i utkast, t.ex. '0.3'.", default="0.1")
    version_date: dt.date | None = d("Datum för versionen, visas i utkast (ÅÅÅÅ-MM-DD).",
                                     default=None)
    logo: Text | None = d(
        "Logotyp i sidhuvudet: en PNG- eller JPEG-fil i kommunens mapp, t.ex. 'logo.png'.",
        default=None)
    approvals: list[Approval] = d(
        "Används inte längre (godkännanden gäller ett visst innehåll och skrivs i "
        "approvals.yaml); läses men påverkar inte dokumenten.", default_factory=list)

    @field_validator("documents")
    @classmethod
    def _unique_documents(cls, documents: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in documents:
            if name == "approvals":  # approvals.yaml is the approval record
                raise MessageError(Msg(N_("'approvals' is the name of the approval record "
                                          "(approvals.yaml); give the document another "
                                          "name")))
            if name in seen:
                raise MessageError(Msg(N_("document {name!r} is listed twice"), name=name))
            seen.add(name)
        return documents


class Reading(Model):
    """Ett mätvärde och året det gäller."""

    value: Number = d("Värdet, t.ex. 412 eller 24.5.")
    year: int = d("Året värdet gäller, t.ex. 2024.", ge=1900, le=2200)


class Indicator(Model):
    """Ett mätbart mål: vad som mäts, var siffrorna kommer ifrån, utgångsläge och mål."""

    what: Name = d("Vad som mäts, t.ex. 'Anmälda skadegörelsebrott i centrum'.")
    source: Text = d("Källa för siffrorna, t.ex. 'Polisens anmälningsstatistik'.",
                     default="")
    baseline: Reading | None = d("Utgångsläge: värde och år.", default=None)
    current: Reading | None = d(
        "Senaste mätning: värde och år; standard är tabellradens senaste år.", default=None)
    target: Reading | None = d("Målvärde och året det ska nås.", default=None)
    table: Id | None = d("Tabellen i statistiken med indikatorns värden år för år "
                         "(kolumnerna är år).", default=None)
    row: Text | None = d("Raden i tabellen med indikatorns värden, t.ex. 'Skadegörelse'.",
                         default=None)


class Statistics(Model):
    """Tabeller (statistics.yaml), nåbara med id från dokumenten."""

    tables: dict[Id, Table] = d("Tabeller efter id.", default_factory=dict)
    indicators: dict[Id, Indicator] = d(
        "Indikatorer efter namn: vad åtgärderna mäts med, utgångsläge och mål.",
        default_factory=dict)
    population: Id | None = d(
        "Tabellen med kommunens folkmängd år för år (kolumnerna är år; första raden): "
        "indikatorer som räknar antal visas i uppföljningens diagram per 1 000 invånare.",
        default=None)

    @model_validator(mode="after")
    def _population_table(self) -> Statistics:
        if self.population is not None and self.population not in self.tables:
            _field_errors("Statistics", [InitErrorDetails(
                type=PydanticCustomError("no_table", "no table {name!r} in statistics.yaml",
                                         {"name": self.population}),
                loc=("population",), input=self.population)])
        return self
