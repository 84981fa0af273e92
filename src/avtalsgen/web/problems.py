"""Problems as the editor shows them: in Swedish, the field named by its label (never a
file name, path or YAML key) and linked to the page and the control that edit it.

A problem's file tells the page (municipality.yaml → Kommunens uppgifter, statistics.yaml
→ Statistik, a document → its page, or the page of the section the field is in); its
field path tells the control, whose id the forms derive from the same path
(`forms.fields._id`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from ..errors import Problem
from ..fieldlabels import kind_of, label_of, parse_path
from ..messages import SWEDISH, tr

SPECIAL_FILES = {"municipality.yaml": "kommun", "statistics.yaml": "statistik"}


class FieldMessage(str):
    """A problem's Swedish text as shown beside its field (a str, for the forms), with
    the label and the link a list of problems needs."""

    label: str
    href: str

    def __new__(cls, message: str, label: str = "", href: str = "") -> FieldMessage:
        self = super().__new__(cls, message)
        self.label, self.href = label, href
        return self


class ShownProblem(Problem):
    """A Problem with its Swedish text, the label of its field and a link to it: str()
    is the sentence, and in a template (`__html__`) the label links to the field."""

    slug: str
    sv: str
    label: str
    href: str

    def __init__(self, problem: Problem, *, detail: Any = None,
                 titles: dict[str, str] | None = None) -> None:
        super().__init__(problem.file, problem.line, problem.field, problem.message,
                         problem.msg)
        clean = detail or (lambda s: s)
        file = Path(str(problem.file))
        object.__setattr__(self, "slug", file.parent.name)
        object.__setattr__(self, "sv", clean(problem.text(SWEDISH)))
        label, href = describe(problem, self.slug, titles or {})
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "href", href)

    def __str__(self) -> str:
        where = self.sv
        if not self.field and self.line and file_page(Path(str(self.file))) is not None:
            where = tr("{message} (line {line})", SWEDISH, message=self.sv, line=self.line)
        return f"{self.label}: {where}" if self.label else where

    def __html__(self) -> str:
        sentence = str(self)
        if not self.href or not self.label:
            return str(escape(sentence))
        rest = sentence[len(self.label):]
        return str(Markup('<a href="{}">{}</a>{}').format(self.href, self.label, rest))

    def __reduce__(self) -> tuple[Any, ...]:  # plain Problems cross processes
        return Problem.__reduce__(self)

    def field_message(self) -> FieldMessage:
        return FieldMessage(self.sv, self.label, self.href)


def file_page(file: Path) -> str | None:
    """The page (below /k/<slug>/) that edits a municipality's file, or None."""
    name = file.name
    if name in SPECIAL_FILES:
        return f"fil/{SPECIAL_FILES[name]}"
    if file.suffix == ".yaml" and name != "approvals.yaml" and not name.startswith("."):
        return f"dok/{quote(file.stem, safe='')}"
    return None


def describe(problem: Problem, slug: str, titles: dict[str, str]) -> tuple[str, str]:
    """(label, link) of a problem's field: "Period › Första år" and the page and anchor
    of its control; for a problem of a whole file, the file's name in the editor."""
    file = Path(str(problem.file))
    page = file_page(file)
    if page is None:
        return "", ""
    kind = kind_of(file)
    path = parse_path(problem.field)
    named = path
    if problem.msg is not None and problem.msg.msgid.startswith("unknown key"):
        named = path[:-1]  # a key the forms do not know: named by where it is
    names = {k.removeprefix("table:"): v for k, v in titles.items() if k.startswith("table:")}
    label = (label_of(kind, named, names if kind == "statistics" else None) if named
             else _file_label(kind, file, titles))
    base = f"/k/{quote(slug, safe='')}/{page}"
    if kind == "document":
        section = _section(path)
        if section:
            base += f"/avsnitt/{section}"
        if named and titles.get(file.stem):  # which document: by its title
            label = f"{titles[file.stem]} › {label}"
    target = anchor(kind, path) if path else ""
    return label, base + (f"#{target}" if target else "")


def _file_label(kind: str, file: Path, titles: dict[str, str]) -> str:
    if kind == "document" and titles.get(file.stem):
        return titles[file.stem]
    return label_of(kind, ())


def _section(path: tuple[Any, ...]) -> str:
    """The section page's address ('0.1', its indices as the editor's URLs give them)
    for a path inside sections[0].sections[1], else ''."""
    numbers: list[str] = []
    i = 0
    while i + 1 < len(path) and path[i] == "sections" and isinstance(path[i + 1], int):
        numbers.append(str(path[i + 1]))
        i += 2
    return ".".join(numbers)


def anchor(kind: str, path: tuple[Any, ...]) -> str:
    """The id of the control (f-…) or fieldset (g-…) that edits the field at path, as
    web.forms names them; a field the forms do not show points at its nearest parent."""
    from ..config import dotted
    from .forms import _root
    from .forms.fields import _id

    shape: Any = _root(kind)[1]
    known = 0
    for part in path:
        if shape is not None and shape.kind == "union":
            from ..fieldlabels import _variant

            shape = _variant(shape, part)
        if shape is None:
            break
        if shape.kind in ("array", "map"):
            shape = shape.item
        elif shape.kind == "object" and part in shape.props:
            if part in ("columns", "rows") and {"columns", "rows"} <= set(shape.props):
                break  # a table's grid: the table's own fieldset
            shape = shape.prop(part)
        else:
            break
        known += 1
    if known == len(path) and shape is not None and shape.kind == "scalar":
        return _id("f", dotted(path))
    return _id("g", dotted(path[:known])) if known else ""
