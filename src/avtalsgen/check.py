"""`avtalsgen check`: find what would break a Word template before rendering.

Three kinds of problem, each reported with the template file and the text of
the paragraph: Jinja syntax errors, tags split across Word runs (Word splits a
tag when part of it is formatted or spell-checked differently; docxtpl often
mends this, but not always, and the formatting of such a tag is unclear), and
names the context does not define (a typo in a template must not reach a
signed document as a blank).
"""

from __future__ import annotations

import re
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError, meta, nodes
from lxml import etree

from .context import CONTEXT_ATTRIBUTES, CONTEXT_NAMES
from .errors import Problem
from .render import jinja_env

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
LOOP_NAMES = {"loop"}


def _parts(path: Path) -> list[tuple[str, str]]:
    """(part name, XML) of the body, headers and footers."""
    tpl = DocxTemplate(str(path))
    tpl.init_docx()
    parts = [("document", tpl.get_xml())]
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _rel, part in tpl.get_headers_footers(uri):
            parts.append((str(part.partname).rsplit("/", 1)[-1], tpl.get_part_xml(part)))
    return parts


def _paragraph_texts(xml: str) -> list[tuple[str, list[str]]]:
    """Each paragraph's full text and the texts of its runs."""
    root = etree.fromstring(xml.encode("utf-8"))
    out = []
    for p in root.iter(f"{W}p"):
        runs = [t.text or "" for t in p.iter(f"{W}t")]
        out.append(("".join(runs), runs))
    return out


def split_tags(xml: str) -> list[tuple[str, str]]:
    """(tag, paragraph text) for every tag whose characters sit in several runs."""
    found = []
    for text, runs in _paragraph_texts(xml):
        bounds, pos = [], 0
        for run in runs:
            bounds.append((pos, pos + len(run)))
            pos += len(run)
        for m in TAG.finditer(text):
            inside = [b for b in bounds if b[0] < m.end() and b[1] > m.start() and b[1] > b[0]]
            if len(inside) > 1:
                found.append((m.group(0), text))
    return found


def _assigned(ast: nodes.Template) -> set[str]:
    """Names the template binds itself (loop variables, set)."""
    return {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}


def _near(lines: list[str], lineno: int | None) -> str:
    """The text of the paragraph on a line of the patched XML."""
    if not lineno or not 0 < lineno <= len(lines):
        return ""
    return re.sub(r"<[^>]+>", "", lines[lineno - 1]).strip()[:100]


def check_template(path: Path) -> list[Problem]:
    problems: list[Problem] = []
    tpl = DocxTemplate(str(path))
    env = jinja_env()
    try:
        parts = _parts(path)
    except Exception as e:  # a file python-docx cannot open at all
        return [Problem(path, None, "", f"not a readable Word document: {e}")]
    for part_name, xml in parts:
        for tag, text in split_tags(xml):
            problems.append(Problem(path, None, part_name, f"tag {tag!r} is split across "
                                    f"Word runs in paragraph {text[:100]!r}; retype it in "
                                    "one go or clear its formatting"))
        patched = tpl.patch_xml(xml)
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)
        try:
            ast = env.parse(source)
        except TemplateSyntaxError as e:
            near = _near(source.splitlines(), e.lineno)
            problems.append(Problem(path, None, part_name, f"Jinja syntax error: {e.message} "
                                    f"in paragraph {near!r}"))
            continue
        try:
            undeclared = meta.find_undeclared_variables(ast)
        except TemplateSyntaxError:  # an unknown filter; reported below
            undeclared = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
        for name in sorted(undeclared - CONTEXT_NAMES - _assigned(ast)):
            problems.append(Problem(path, None, part_name,
                                    f"unknown name {name!r}: the context has "
                                    f"{', '.join(sorted(CONTEXT_NAMES))}"))
        lines = source.splitlines()
        for node in ast.find_all(nodes.Getattr):
            if node.attr not in CONTEXT_ATTRIBUTES and not (
                    isinstance(node.node, nodes.Name) and node.node.name in LOOP_NAMES):
                problems.append(Problem(path, None, part_name,
                                        f"unknown field {node.attr!r} (no item of the "
                                        "context has it) in paragraph "
                                        f"{_near(lines, node.lineno)!r}"))
        for used in ast.find_all(nodes.Filter):
            if used.name not in env.filters:
                problems.append(Problem(path, None, part_name,
                                        f"unknown filter {used.name!r} in paragraph "
                                        f"{_near(lines, used.lineno)!r}"))
    return problems


def check_templates(paths: list[Path]) -> list[Problem]:
    problems: list[Problem] = []
    for path in paths:
        problems.extend(check_template(path))
    return problems
