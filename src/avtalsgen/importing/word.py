"""Bring in last year's agreement from Word: a .docx becomes a document config (and a
new municipality folder, or an added document in an existing one) that validates and
renders as it is.

    from avtalsgen.importing.word import import_docx
    report = import_docx(Path("avtal-2023.docx"), Path("municipalities/pitea"))
    print(report.summary())

The package is read with lxml (word_read, word_runs, word_styles: text, effective
formatting, Word numbering, fields, footnotes, pictures, merged cells). Structure comes
from styles and from direct formatting (word_body), sections and labelled fields from
the headings and labels (word_sections, word_fields), tables from their contents
(word_tables), Word charts from the figures their chart parts keep (word_charts: a
statistics table and a chart block drawn from it); the front of the document, the
parties, the period and the signatures are what the templates print again from the
config (word_front, word_meta, word_signatures); library texts become clauses
(word_clauses). Whatever cannot be placed is kept as text with a comment in the YAML
(word_yaml) and a line in the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap

from .. import model as m
from .. import output, store
from ..errors import ConfigError, Problem
from ..messages import Msg
from ..validate import folder_slug, is_slug
from . import word_meta as meta
from .report import ImportReport
from .word_body import Body, Unit
from .word_clauses import rendered_library, replace_clauses
from .word_front import Front, read_front
from .word_pictures import as_png_or_jpeg
from .word_read import Docx, Para, Picture, open_docx
from .word_sections import Built, Sections
from .word_tables import Imported, join_split_tables
from .word_yaml import Noted, note_places, notes_of, plain, to_text, tree

AUTHOR = "avtalsgen import"
MUNICIPALITY = "municipality.yaml"
STATISTICS = "statistics.yaml"


def import_docx(source: Path, into: Path, *, doc: str | None = None,
                doc_type: str | None = None,
                municipality_name: str | None = None) -> ImportReport:
    """Import a Word document into the municipality folder `into` (created, with its
    municipality.yaml, when it has none). Returns what was written and what to check."""
    return _Import(Path(source), Path(into), doc, doc_type, municipality_name).run()


class _Import:
    def __init__(self, source: Path, into: Path, doc: str | None, doc_type: str | None,
                 municipality_name: str | None) -> None:
        self.source, self.into = source, into
        self.name, self.doc_type = doc, doc_type
        self.municipality_name = municipality_name
        self.report = ImportReport()
        self.existing: dict[str, Any] | None = None
        self.tables: dict[str, dict[str, Any]] = {}
        self.taken_ids: set[str] = set()
        self.pictures: dict[str, bytes] = {}
        self.signing: dict[str, Any] | None = None
        self.notes: list[Msg] = []

    # -- the steps -----------------------------------------------------------------
    def run(self) -> ImportReport:
        if doc_type_bad := (self.doc_type and self.doc_type not in _types()):
            raise _problem(self.source, Msg("unknown document type {type!r} (known: {known})",
                                              type=doc_type_bad, known=", ".join(_types())))
        docx = open_docx(self.source)
        docx.body = join_split_tables(docx.body)
        self.notes.extend(docx.notes)
        self.load_existing()
        front = read_front(docx)
        body_indexes = [i for i in range(front.start, len(docx.body)) if i not in front.skip]
        title = front.title or self.fallback_title(docx, body_indexes)
        self.name = self.document_name(title)
        self.doc_type = self.doc_type or meta.guess_type(title)
        units = _trim_breaks(Body(docx, body_indexes, self.picture).read())
        cover_units = _trim_breaks(Body(docx, front.cover, self.picture).read())
        muni = self.municipality(docx, front, [*cover_units, *units])
        cover_units = _without_parties(cover_units, muni)
        toc = (front.toc_levels or 2, front.toc_by_entry) if front.toc is not None else None
        built = Sections(units, docx.numbering, self.doc_type, self, toc).build()
        if self.existing is None:
            self.signing_found(muni)
        cover = self.cover_blocks(cover_units, docx)
        document = self.document(front, title, built, cover, units)
        self.clauses(muni, document)
        self.count(units, built, document)
        self.check(muni, document)
        self.write(muni, document)
        self.report.uncertain.extend(dict.fromkeys([*self.notes, *built.notes,
                                                    *notes_of(document)]))
        self.report.places.update(note_places(document))
        return self.report

    def load_existing(self) -> None:
        path = self.into / MUNICIPALITY
        if path.exists():
            data = plain_yaml(path)
            if not isinstance(data, dict):
                raise _problem(path, Msg("not a municipality config (a mapping); fix it first"))
            self.existing = data
        elif not is_slug(folder_slug(self.into)):
            raise _problem(self.into, Msg("the folder name {name!r} is not a valid municipality "
                                           "name (use lower-case letters a-z, digits, - and "
                                           "_)", name=folder_slug(self.into)))
        stats = plain_yaml(self.into / STATISTICS) if (self.into / STATISTICS).exists() \
            else None
        if isinstance(stats, dict) and isinstance(stats.get("tables"), dict):
            self.taken_ids.update(str(k) for k in stats["tables"])

    def fallback_title(self, docx: Docx, indexes: list[int]) -> str:
        for i in indexes:
            el = docx.body[i]
            if isinstance(el, Para) and el.style.startswith("heading") and el.text.strip():
                title = el.text.strip()
                break
        else:
            title = self.source.stem.replace("_", " ").replace("-", " ").strip() or "Dokument"
        self.notes.append(Msg("the document has no title (no Title style and no larger "
                              "first line): {title!r} was used", title=title))
        return title

    def document_name(self, title: str) -> str:
        taken = set(self.existing.get("documents") or []) if self.existing else set()
        if self.name is not None:
            if not is_slug(self.name) or len(self.name) > 64:
                raise _problem(self.source, Msg("the document name {name!r} is not valid "
                                                  "(lower-case letters a-z, digits, - and _)",
                                                  name=self.name))
            if self.name in taken or (self.into / f"{self.name}.yaml").exists():
                raise _problem(self.into / f"{self.name}.yaml", Msg(
                    "a document of that name already exists; not overwritten (choose "
                    "another --doc)"))
            return self.name
        base = meta.slug(title)
        name, n = base, 1
        while name in taken or name in (MUNICIPALITY[:-5], STATISTICS[:-5]) or \
                (self.into / f"{name}.yaml").exists():
            n += 1
            name = f"{base}-{n}"
        return name

    # -- pictures ------------------------------------------------------------------
    def picture(self, picture: Picture) -> str | None:
        """Keep a picture as a PNG or JPEG file in the folder; its name, or None."""
        data = as_png_or_jpeg(picture.data or b"")
        if data is None:
            return None
        suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
        n = len(self.pictures) + 1
        while True:
            name = f"{self.name}-bild-{n}{suffix}"
            if name not in self.pictures and not (self.into / name).exists():
                break
            n += 1
        self.pictures[name] = data
        self.report.count("images")
        return name

    # -- tables, charts and signatures (called by Sections) -------------------------
    def table(self, imported: Imported, caption: str | None) -> Any:
        self.report.count("tables")
        if imported.kind == "measures":
            self.report.count("measures tables")
            return {"measures": imported.data}
        self.report.count("statistics tables" if imported.kind == "statistics"
                          else "text tables")
        named = caption or imported.data.get("title") or str(imported.data["columns"][0])
        block: dict[str, Any] = {"table": self.new_table(named, imported.data)}
        if caption:
            block["caption"] = caption
        return block

    def chart(self, data: dict[str, Any]) -> Any:
        """A chart block drawn from its own statistics table, or from a table the
        document showed with the same figures."""
        self.report.count("charts with their data")
        chart, table = data["chart"], data["table"]
        found = self.same_table(table)
        table_id = found[0] if found else self.new_table(chart["caption"], table)
        block: dict[str, Any] = {"table": table_id, "kind": chart["kind"],
                                 "caption": chart["caption"], "alt": chart["alt"]}
        if found and found[1] == "columns":
            block["series"] = "columns"
        if chart.get("stacked"):
            block["stacked"] = True
        return {"chart": block}

    def same_table(self, table: dict[str, Any]) -> tuple[str, str] | None:
        """(id, series) of a table imported earlier that holds the chart's figures, as
        rows or as columns, with the same unit, decimals, source and sample mark."""
        want = [row[1:] for row in table["rows"]]
        names = [row[0] for row in table["rows"]]
        for table_id, known in self.tables.items():
            if any(known.get(k) != table.get(k) for k in ("unit", "source", "sample_data")) \
                    or table.get("decimals") not in (None, known.get("decimals")):
                continue
            rows = known.get("rows") or []
            labels = [str(c) for c in (known.get("columns") or [])[1:]]
            figures = [row[1:] for row in rows]
            if any(len(row) != len(labels) for row in figures):
                continue
            if labels == table["columns"][1:] and [str(r[0]) for r in rows] == names \
                    and figures == want:
                return table_id, "rows"
            if [str(r[0]) for r in rows] == table["columns"][1:] and labels == names and \
                    [list(col) for col in zip(*figures, strict=True)] == want:
                return table_id, "columns"
        return None

    def new_table(self, named: str, data: dict[str, Any]) -> str:
        """A new statistics table, its id made from its name (unique)."""
        base = meta.slug(named, 40, default="tabell").replace("-", "_")
        table_id, n = base, 1
        while table_id in self.taken_ids:
            n += 1
            table_id = f"{base}_{n}"
        self.taken_ids.add(table_id)
        self.tables[table_id] = data
        return table_id

    def signatures(self, data: dict[str, Any]) -> list[Any]:
        """A signatures block when the signatories are (or become) the municipality's;
        else the lines as text."""
        notes: list[Msg] = []
        signing = meta.signing(data, notes)
        current = self.existing.get("signing") if self.existing else self.signing
        if current is None:
            self.signing = signing
            self.notes.extend(notes)
        elif _names(current) != _names(signing):
            lines = [x for x in [data["place_date"], *(t for p in data["people"] for t in (
                p["place_date"], p["name"], p["title"]))] if x]
            return [Noted(line, Msg("signatures that differ from the municipality's "
                                      "signatories are kept as text")) for line in lines]
        self.report.count("signature blocks")
        return [{"signatures": "dotted" if data["dotted"] else "lines"}]

    # -- the municipality ----------------------------------------------------------
    def municipality(self, docx: Docx, front: Front, units: list[Unit]) -> dict[str, Any]:
        if self.existing is not None:
            return self.existing
        texts = [*front.texts, *(u.text for u in units if u.kind in ("heading", "para"))]
        cover = meta.parties_from_cover(front.parties)
        if cover and not self.municipality_name:
            kommun, polis = cover
        else:
            kommun, found = meta.kommun(texts, self.municipality_name)
            if not found:
                self.notes.append(Msg("the document names no municipality ('X kommun'): "
                                      "kommun.name is 'TODO kommun'; give --name"))
            polis, found = meta.polis(texts)
            if not found:
                self.notes.append(Msg("the document names no police area: polis.name is "
                                      "'Polisen'"))
        period, found = meta.period(front.period, texts)
        if not found:
            self.notes.append(Msg("no period (e.g. '2020–2023') was found: {start}–{end} is a "
                                  "placeholder", start=period["start"], end=period["end"]))
        muni: dict[str, Any] = {"kommun": kommun, "polis": polis}
        names, header_draft = meta.header(docx.header, self.notes)
        meta.footer(docx.footer, self.notes)
        if names:
            for party, shown in zip((kommun, polis), names, strict=True):
                if shown != party["name"]:
                    party["header_name"] = shown
        else:
            muni["header"] = False
        muni["period"] = period
        muni["signing"] = {}  # filled by the signatures found in the body
        draft = header_draft or front.draft
        if draft and draft[0]:
            muni["version"] = draft[0]
        if draft and draft[1]:
            muni["version_date"] = draft[1]
        muni["documents"] = [self.name]
        return muni

    # -- the document --------------------------------------------------------------
    def document(self, front: Front, title: str, built: Built, cover: list[Any],
                 units: list[Unit]) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": self.doc_type, "title": title,
                               "subtitle": front.subtitle if front.subtitle else ""}
        if front.adopted:
            doc["adopted"] = {"by": front.adopted[0], "date": front.adopted[1]}
        doc["title_page"] = front.title_page
        validity = (meta.validity([u.text for u in units if u.kind == "para"])
                    or front.validity)
        if validity:
            doc["validity"] = validity
        if front.toc is not None:
            doc["toc"] = front.toc
            if front.toc_levels and front.toc_levels != 2:
                doc["toc_levels"] = front.toc_levels
        if built.preamble and built.sections:
            # avtalsgen has no place between the title and the first section but the cover.
            first = Noted(built.preamble[0], Msg("text before the first heading: kept on the "
                                                  "cover, after the title (a new page "
                                                  "follows it)"))
            cover = [*cover, first, *built.preamble[1:]]
        if cover:
            doc["cover"] = cover
        if built.number_sections:
            doc["number_sections"] = True
            if built.numbering:
                doc["numbering"] = built.numbering
        if built.sections:
            doc["sections"] = built.sections
        elif built.preamble:
            doc["closing"] = built.preamble
        return doc

    def cover_blocks(self, units: list[Unit], docx: Docx) -> list[Any]:
        """Cover content as blocks; a heading on the cover is bold text there."""
        for unit in units:
            if unit.kind == "heading":
                unit.kind, unit.data = "para", {"text": unit.text, "style": "strong"}
        return Sections(units, docx.numbering, self.doc_type or "agreement",
                        self).build().preamble

    def clauses(self, muni: dict[str, Any], document: dict[str, Any]) -> None:
        try:
            muni_model = m.Municipality.model_validate(plain(muni))
            doc_model = m.Document.model_validate({"type": document["type"],
                                                   "title": document["title"],
                                                   "validity": document.get("validity")})
        except ValidationError:
            return  # an existing config that does not validate: no clauses recognised
        found = replace_clauses(document, rendered_library(muni_model, doc_model))
        if found:
            self.report.count("clauses", found)

    def count(self, units: list[Unit], built: Built, document: dict[str, Any]) -> None:
        self.report.count("headings", built.headings)
        kinds = {"para": "paragraphs", "item": "list items", "label": "labels"}
        for unit in units:
            if unit.kind in kinds:
                self.report.count(kinds[unit.kind])
            if isinstance(unit.data, dict) and "footnote" in unit.data:
                self.report.count("footnotes")

    # -- checking and writing ------------------------------------------------------
    def signing_found(self, muni: dict[str, Any]) -> None:
        if self.signing is not None:
            muni["signing"] = self.signing
        elif self.doc_type == "agreement":
            self.notes.append(Msg("no signatures were found: signing (place, date, "
                                  "signatories) is empty"))

    def check(self, muni: dict[str, Any], document: dict[str, Any]) -> None:
        """The config must validate as written; if not, that is the importer's bug."""
        if self.existing is None:
            m.Municipality.model_validate(plain(muni))
        m.Document.model_validate(plain(document))
        m.Statistics.model_validate({"tables": self.tables})

    def write(self, muni: dict[str, Any], document: dict[str, Any]) -> None:
        self.into.mkdir(parents=True, exist_ok=True)
        for name, data in self.pictures.items():
            output.write_atomic(self.into / name, data)
            self.report.written.append(self.into / name)
        if self.tables:
            self.write_statistics()
        doc_path = self.into / f"{self.name}.yaml"
        header = (f"Importerad från {self.source.name}. "
                  "Kontrollera raderna märkta 'avtalsgen import:'.")
        output.write_atomic(doc_path, to_text(document, header).encode("utf-8"))
        self.report.written.append(doc_path)
        path = self.into / MUNICIPALITY
        if self.existing is None:
            text = to_text(muni, f"{muni['kommun']['name']} och {muni['polis']['name']}, "
                           f"importerad från {self.source.name}.")
            output.write_atomic(path, text.encode("utf-8"))
        else:
            loaded = store.read(path)
            loaded.data.setdefault("documents", []).append(self.name)
            store.save(path, loaded.data, loaded.version, author=AUTHOR,
                       message=f"{self.name} importerad från {self.source.name}")
        self.report.written.append(path)

    def write_statistics(self) -> None:
        path = self.into / STATISTICS
        if not path.exists():
            output.write_atomic(path, to_text({"tables": self.tables}).encode("utf-8"))
        else:
            self.add_tables(path)
        self.report.written.append(path)

    def add_tables(self, path: Path) -> None:
        """New tables into an existing statistics.yaml, keeping its comments; one-line
        rows unless they would not read back."""
        for flow in (True, False):
            loaded = store.read(path)
            data = loaded.data if isinstance(loaded.data, CommentedMap) else CommentedMap()
            if not isinstance(data.get("tables"), CommentedMap):
                data["tables"] = CommentedMap(data.get("tables") or {})
            for table_id, table in self.tables.items():  # new ids only: nothing replaced
                data["tables"][table_id] = tree(table, fold=False, flow=flow)
            try:
                store.save(path, data, loaded.version, author=AUTHOR,
                           message=f"Tabeller ur {self.source.name}")
                return
            except store.StoreError:
                if not flow:
                    raise


def plain_yaml(path: Path) -> Any:
    loaded = store.read(path)
    return store.plain(loaded.data)


def _types() -> tuple[str, ...]:
    return get_args(m.DocumentType)


def _problem(path: Path, message: Msg) -> ConfigError:
    return ConfigError([Problem(path, None, "", message)])


def _names(signing: dict[str, Any]) -> list[str]:
    return [p.get("name", "") for p in signing.get("signatories") or []]


def _without_parties(units: list[Unit], muni: dict[str, Any]) -> list[Unit]:
    """The cover's lines naming the parties: the template prints them itself."""
    names = {muni["kommun"]["name"].lower(), muni["polis"]["name"].lower()}
    return [u for u in units if not (u.kind in ("para", "heading") and
                                     u.text.strip().lower() in names)]


def _trim_breaks(units: list[Unit]) -> list[Unit]:
    """Page breaks before the first or after the last content break nothing."""
    while units and units[0].kind == "page_break":
        units = units[1:]
    while units and units[-1].kind == "page_break":
        units = units[:-1]
    return units

