"""Stage 2: turn loaded YAML into models and check what the models alone cannot.

Every problem in every file of a municipality is collected, each with its file,
line and field, before anything is raised: a user fixes them all in one round.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import clauses as clause_library
from . import files, spreadsheet_tables
from . import model as m
from .config import MUNICIPALITY_FILE, STATISTICS_FILE, Source, dotted, load_yaml
from .errors import ConfigError, Problem
from .fieldlabels import kind_of
from .messages import N_, FieldRef, Msg, Quoted
from .validation_messages import message as pydantic_message

ModelT = TypeVar("ModelT", bound=BaseModel)

_TAGS = {"plain", "str", "int", "float", "bool", "none", "list", "dict"} | {
    name for name, obj in vars(m).items() if isinstance(obj, type) and issubclass(obj, BaseModel)}


@dataclass
class Bundle:
    """A validated municipality: everything the later stages need."""

    slug: str
    folder: Path
    municipality: m.Municipality
    statistics: m.Statistics
    documents: dict[str, m.Document]
    sources: dict[str, Source] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def _all_field_names() -> set[str]:
    names: set[str] = set()
    for obj in vars(m).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            names.update(obj.model_fields)
    return names


_FIELD_NAMES = _all_field_names()


def _field_path(loc: tuple[Any, ...], source: Source) -> tuple[Any, ...]:
    """Pydantic loc without union tags, as the user wrote it."""
    out: list[Any] = []
    for part in loc:
        if isinstance(part, int):
            out.append(part)
        elif isinstance(part, str):
            if part in _TAGS or "[" in part or (out and out[-1] == part
                                                 and (*out,) in source.lines
                                                 and (*out, part) not in source.lines):
                continue
            out.append(part)
    return tuple(out)


def problems_from(error: ValidationError, source: Source,
                  prefix: tuple[Any, ...] = ()) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    # Of the errors for one value (one per member of a union), our own checks say most.
    errors = sorted(error.errors(include_url=False), key=lambda e: e["type"] != "value_error")
    for err in errors:
        loc = prefix + tuple(err["loc"])
        path = _field_path(loc, source)
        # A value that fits no member of a union gives one error per member: keep one.
        if path in seen and err["type"] not in ("extra_forbidden", "missing"):
            continue
        seen.add(path)
        problems.append(Problem(source.path, source.line_of(path), dotted(path),
                                pydantic_message(err, path, kind_of(source.path),
                                                 _FIELD_NAMES)))
    return problems


def _validate(cls: type[ModelT], source: Source, problems: list[Problem]) -> ModelT | None:
    try:
        return cls.model_validate(source.data)
    except ValidationError as e:
        problems.extend(problems_from(e, source))
        return None


def find_folder(slug_or_path: str, root: Path) -> Path:
    """A slug names a folder under root; anything with a slash is a path."""
    candidate = Path(slug_or_path)
    if "/" in slug_or_path or slug_or_path in (".", "..") or candidate.is_absolute():
        folder = candidate
    else:
        if not is_slug(slug_or_path):
            raise ConfigError([Problem(slug_or_path, None, "", Msg(N_(
                "not a valid municipality name (use lower-case letters, digits, - and _)")))])
        folder = root / slug_or_path
    if not (folder / MUNICIPALITY_FILE).exists():  # a non-file is named by load_yaml
        raise ConfigError([Problem(folder, None, "", Msg(N_(
            "no {file} here: not a municipality folder"), file=MUNICIPALITY_FILE))])
    # The folder's own name becomes the output folder's name: it must be a slug.
    name = folder_slug(folder)
    if not is_slug(name):
        raise ConfigError([Problem(folder, None, "", Msg(N_(
            "the folder name {name!r} is not a valid municipality name (use lower-case "
            "letters a-z, digits, - and _)"), name=name))])
    return folder


def folder_slug(folder: Path) -> str:
    """The name a municipality folder is known by: its own name, even when it is a link."""
    return os.path.basename(os.path.abspath(folder))


def is_slug(text: str) -> bool:
    return bool(re.fullmatch(m.SLUG_PATTERN, text))


def load_municipality(folder: Path, *, display_root: Path | None = None) -> Bundle:
    """Load and validate every file of one municipality folder."""
    def shown(path: Path) -> Path:
        if display_root is not None:
            try:
                return path.resolve().relative_to(display_root.resolve())
            except ValueError:
                return path
        return path

    folder_real = folder.resolve()
    problems: list[Problem] = []
    sources: dict[str, Source] = {}

    def load(path: Path, key: str) -> Source | None:
        if path.is_symlink() and not path.resolve().is_relative_to(folder_real):
            problems.append(Problem(shown(path), None, "", Msg(N_(
                "symlink points outside the municipality folder; refused"))))
            return None
        try:
            source = load_yaml(path, shown(path))
        except ConfigError as e:
            problems.extend(e.problems)
            return None
        sources[key] = source
        return source

    muni_source = load(folder / MUNICIPALITY_FILE, "municipality")
    municipality = _validate(m.Municipality, muni_source, problems) if muni_source else None

    statistics: m.Statistics | None = m.Statistics()
    stats_path = folder / STATISTICS_FILE
    sheets: list[Path] = []
    if stats_path.exists():
        stats_source = load(stats_path, "statistics")
        statistics = _validate(m.Statistics, stats_source, problems) if stats_source else None
        if statistics is not None and stats_source is not None:
            # Tables with `from:` are read from their spreadsheets now, on every load.
            statistics, sheets = spreadsheet_tables.fill_tables(folder, statistics, stats_source,
                                                          problems)

    names: list[str] = []
    if municipality is not None:
        names = list(municipality.documents)
    elif muni_source and isinstance(muni_source.data, dict):
        raw = muni_source.data.get("documents")
        if isinstance(raw, list):
            names = [n for n in raw if isinstance(n, str) and is_slug(n)]

    documents: dict[str, m.Document] = {}
    for name in names:
        doc_path = folder / f"{name}.yaml"
        if not doc_path.exists():
            line = muni_source.line_of(("documents", names.index(name))) if muni_source else None
            problems.append(Problem(shown(folder / MUNICIPALITY_FILE), line, "documents", Msg(
                N_("document {name!r} is listed but {name}.yaml does not exist"), name=name)))
            continue
        source = load(doc_path, name)
        if source:
            document = _validate(m.Document, source, problems)
            if document is not None:
                documents[name] = document

    if municipality is not None and statistics is not None:
        problems.extend(_cross_references(folder, municipality, statistics, documents,
                                          sources))
    if problems:
        raise ConfigError(problems)
    assert municipality is not None and statistics is not None
    return Bundle(folder_slug(folder), folder, municipality, statistics, documents, sources,
                  [folder / MUNICIPALITY_FILE, *([stats_path] if stats_path.exists() else []),
                   *(folder / f"{n}.yaml" for n in documents), *sheets])


# --- cross references --------------------------------------------------------------

def walk_blocks(blocks: list[Any], path: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    for i, block in enumerate(blocks):
        yield block, (*path, i)


def document_blocks(doc: m.Document) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """Every block of a document with its field path."""
    yield from walk_blocks(doc.cover, ("cover",))
    yield from walk_blocks(doc.closing, ("closing",))

    def sections(secs: list[m.Section], path: tuple[Any, ...]) -> Iterator[Any]:
        for i, sec in enumerate(secs):
            p = (*path, i)
            for name in ("content", "background", "problem", "methods"):
                yield from walk_blocks(getattr(sec, name), (*p, name))
            yield from sections(sec.sections, (*p, "sections"))

    yield from sections(doc.sections, ("sections",))


def group_blocks(muni: m.Municipality) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    for name in ("steering_group", "preparatory_group", "working_groups"):
        group = getattr(muni.organisation, name)
        if group is not None:
            for part in ("mandate", "reporting"):
                yield from walk_blocks(getattr(group, part), ("organisation", name, part))


def check_inside(folder: Path, name: str, suffixes: tuple[str, ...]) -> Msg | None:
    """Why a file named in a config is unusable, or None: it must stay in its folder."""
    candidate = Path(name)
    if candidate.is_absolute() or ".." in candidate.parts:
        return Msg(N_("{name!r} must be a file inside the municipality folder (no '..', no "
                      "absolute path)"), name=name)
    path = folder / candidate
    if not path.resolve().is_relative_to(folder.resolve()):
        return Msg(N_("{name!r} points outside the municipality folder (symlink?); refused"),
                   name=name)
    if not path.is_file():
        return Msg(N_("file {name!r} not found in {folder}"), name=name, folder=folder)
    if path.suffix.lower() not in suffixes:
        return Msg(N_("{name!r} must be one of: {suffixes}"), name=name,
                   suffixes=", ".join(suffixes))
    return None


PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")


def picture_problem(folder: Path, name: str) -> Msg | str | None:
    """Why a picture named in a config (logo, image block) is unusable, or None."""
    return check_inside(folder, name, PICTURE_SUFFIXES) or files.image_problem(
        folder / name, PICTURE_SUFFIXES)


def _cross_references(folder: Path, muni: m.Municipality, stats: m.Statistics,
                      documents: dict[str, m.Document],
                      sources: dict[str, Source]) -> list[Problem]:
    problems: list[Problem] = []
    library = clause_library.load_library()

    def check(block: Any, path: tuple[Any, ...], source: Source,
              doc: m.Document | None) -> None:
        def report(sub: tuple[Any, ...], message: Msg | str) -> None:
            full = (*path, *sub)
            problems.append(Problem(source.path, source.line_of(full), dotted(full), message))

        if isinstance(block, m.TableBlock) and block.table not in stats.tables:
            report(("table",), _no_such(N_("no table {name!r} in statistics.yaml"),
                                        N_("no table {name!r} in statistics.yaml (did you "
                                           "mean {close!r}?)"), block.table, stats.tables))
        elif isinstance(block, m.ChartBlock):
            table = stats.tables.get(block.chart.table)
            if table is None:
                report(("chart", "table"), _no_such(
                    N_("no table {name!r} in statistics.yaml"),
                    N_("no table {name!r} in statistics.yaml (did you mean {close!r}?)"),
                    block.chart.table, stats.tables))
            elif table.unit == "text":
                report(("chart", "table"), Msg(N_("table {name!r} holds text; a chart needs "
                                                  "numbers"), name=block.chart.table))
            else:
                problem = chart_data_problem(block.chart, table)
                if problem:
                    report(("chart", "table"), Msg(N_("table {name!r}: {problem}"),
                                                   name=block.chart.table, problem=problem))
        elif isinstance(block, m.IndicatorsBlock):
            for n, name in enumerate(block.indicators):
                if name not in stats.indicators:
                    report(("indicators", n), _no_such(
                        N_("no indicator {name!r} in statistics.yaml"),
                        N_("no indicator {name!r} in statistics.yaml (did you mean "
                           "{close!r}?)"), name, stats.indicators))
        elif isinstance(block, m.ClauseBlock):
            if block.clause not in library:
                report(("clause",), _no_such(
                    N_("no clause {name!r} in the clause library"),
                    N_("no clause {name!r} in the clause library (did you mean {close!r}?)"),
                    block.clause, library))
            elif block.text is None:
                context = {**clause_library.base_params(muni, doc), **block.params}
                try:
                    clause_library.render_clause(library[block.clause], context)
                except clause_library.ClauseProblem as e:
                    report(("clause",), str(e))
        elif isinstance(block, m.SignaturesBlock) and not muni.signing.signatories:
            report(("signatures",), Msg(N_(
                "a signatures block needs signatories: list them under {field} in "
                "municipality.yaml"), field=FieldRef("municipality",
                                                     ("signing", "signatories"))))
        elif isinstance(block, m.ImageBlock):
            unusable = picture_problem(folder, block.image.file)
            if unusable:
                report(("image", "file"), unusable)
        elif isinstance(block, m.GroupBlock) and getattr(muni.organisation, block.group) is None:
            report(("group",), Msg(N_("{field} is not defined in municipality.yaml"),
                                   field=FieldRef("municipality",
                                                  ("organisation", block.group))))

    muni_source = sources.get("municipality")
    if muni_source:
        for block, path in group_blocks(muni):
            check(block, path, muni_source, None)
        if muni.logo is not None:
            unusable = picture_problem(folder, muni.logo)
            if unusable:
                problems.append(Problem(muni_source.path, muni_source.line_of(("logo",)),
                                        "logo", unusable))
    for doc_type in sorted({doc.type for doc in documents.values()}):
        template = files.template_for(folder, doc_type)
        if template.parent.parent == folder:
            problems.extend(Problem(template, None, "", p)
                            for p in files.override_problems(folder, template))
    for name, doc in documents.items():
        source = sources[name]
        for block, path in document_blocks(doc):
            check(block, path, source, doc)
        for i, appendix in enumerate(doc.appendices):
            if appendix == name or appendix not in muni.documents:
                full = ("appendices", i)
                problems.append(Problem(source.path, source.line_of(full), dotted(full), Msg(
                    N_("appendix {name!r} is not another document listed in "
                       "municipality.yaml"), name=appendix)))
    return problems


def chart_data_problem(chart: m.Chart, table: m.Table) -> Msg | None:
    """Why a table cannot be drawn as this chart, or None."""
    if not table.rows or len(table.columns) < 2:
        return Msg(N_("the table has no data to draw"))
    numbers = [c for row in table.rows for c in row[1:] if isinstance(c, (int, float))
               and not isinstance(c, bool)]
    if not numbers:
        return Msg(N_("the table has no numbers to draw"))
    if chart.kind == "pie":
        # A pie draws one series: the first row (or the first value column).
        values = ([row[1] for row in table.rows] if chart.series == "columns"
                  else table.rows[0][1:])
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(numbers) < len(values):
            return Msg(N_("a pie chart needs a number in every cell of its series (no blanks "
                          "or text)"))
        if any(v < 0 for v in numbers):
            return Msg(N_("a pie chart cannot show negative values"))
        if sum(numbers) <= 0:
            return Msg(N_("a pie chart needs at least one value above zero"))
    return None


def _no_such(plain: str, suggesting: str, name: str, known: Any) -> Msg:
    """A name that is not among the known ones, with the closest of them if any."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return Msg(suggesting, name=name, close=close[0]) if close else Msg(plain, name=name)


# --- final documents ----------------------------------------------------------------

PLACEHOLDERS = ("TODO", "XXX", "Förnamn Efternamn")


def final_problems(bundle: Bundle) -> list[Problem]:
    """What stops a municipality's documents from being final (signable)."""
    problems: list[Problem] = []
    for source in bundle.sources.values():
        for path, value in _strings(source.data, ()):
            for marker in PLACEHOLDERS:
                if marker in value:
                    problems.append(Problem(source.path, source.line_of(path), dotted(path),
                                            Msg(N_("still holds the placeholder {marker!r}"),
                                                marker=marker)))
    muni_source = bundle.sources["municipality"]
    signing = bundle.municipality.signing

    def missing(path: tuple[Any, ...], message: Msg) -> None:
        problems.append(Problem(muni_source.path, muni_source.line_of(path), dotted(path),
                                message))

    stats_source = bundle.sources.get("statistics")
    shown_tables: dict[str, str] = {}  # table id -> the caption it is first shown with
    for doc in bundle.documents.values():
        for block, _path in document_blocks(doc):
            if isinstance(block, m.TableBlock):
                shown_tables.setdefault(block.table, block.caption or "")
            elif isinstance(block, m.ChartBlock):
                shown_tables.setdefault(block.chart.table, block.chart.caption)
    for table_id in sorted(shown_tables):
        table = bundle.statistics.tables.get(table_id)
        if table is not None and table.sample_data and stats_source is not None:
            path = ("tables", table_id, "sample_data")
            problems.append(Problem(stats_source.path, stats_source.line_of(path),
                                    dotted(path), Msg(N_(
                                        "the table {title} holds sample data (invented "
                                        "figures); put in the real figures and clear "
                                        "{field} before a final document"),
                                        title=Quoted(table.title or shown_tables[table_id]
                                                      or table_id),
                                        field=FieldRef("statistics", path, leaf=True))))
    signed = any(isinstance(block, m.SignaturesBlock) for doc in bundle.documents.values()
                 for block, _path in document_blocks(doc))
    people = signing.signatories
    if signed and not signing.place and not signing.place_text and not (
            people and all(p.place for p in people)):
        missing(("signing", "place"), Msg(N_("the place of signing is needed in a final "
                                             "document that has signatures")))
    if signed and signing.date is None and not (people and all(p.date for p in people)):
        missing(("signing", "date"), Msg(N_("the date of signing is needed in a final "
                                            "document that has signatures")))
    for i, person in enumerate(signing.signatories):
        if not person.name.strip():
            missing(("signing", "signatories", i, "name"),
                    Msg(N_("the signatory's name is needed in a final document")))
    from .checks_bra import problems as bra_problems  # it builds on this module

    return [*problems, *bra_problems(bundle)]


def _strings(data: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, (*path, i))
