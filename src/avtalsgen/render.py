"""Stage 4: fill a Word template with a context, in Jinja's sandbox.

Autoescaping is on (user text is data, never markup), undefined variables are
errors, and each template's parsed XML and compiled Jinja code are kept per
process, so a batch parses every template once.
"""

from __future__ import annotations

import io
import os
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from docx.shared import Cm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment

from . import charts, wordxml
from .errors import TemplateError
from .formatting import FILTERS

TEMPLATES_DIR = Path(os.environ.get("AVTALSGEN_TEMPLATES",
                                    Path(__file__).resolve().parents[2] / "templates"))
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CHART_WIDTH = Cm(15.5)
LOGO_HEIGHT = Cm(1.2)


@cache
def jinja_env() -> SandboxedEnvironment:
    # An empty loader: {% include %} and {% import %} find nothing, ever.
    env = SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined,
                               loader=jinja2.DictLoader({}))
    env.filters.update(FILTERS)
    env.filters["footnote_ref"] = wordxml.footnote_ref
    return env


@cache
def _compiled(xml: str) -> jinja2.Template:
    return jinja_env().from_string(xml)


class WordTemplate(DocxTemplate):
    """DocxTemplate that caches compiled parts and leaves user text untouched."""

    def render_xml_part(self, src_xml: str, part: Any, context: dict[str, Any],
                        jinja_env: Any = None) -> str:
        import re

        src_xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml)
        self.current_rendering_part = part
        try:
            template = _compiled(src_xml)
            dst_xml = template.render(context)
        except jinja2.TemplateSyntaxError as e:
            lines = src_xml.splitlines()
            near = re.sub(r"<[^>]+>", "", lines[e.lineno - 1]) if e.lineno else ""
            raise TemplateError(f"{self.template_file}: Jinja syntax error: {e.message} "
                                f"(in paragraph: {near.strip()[:120]!r})") from None
        except jinja2.UndefinedError as e:
            raise TemplateError(f"{self.template_file}: the template uses a value the "
                                f"context does not have: {e.message}") from None
        except jinja2.TemplateError as e:
            raise TemplateError(f"{self.template_file}: {e}") from None
        dst_xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", dst_xml)
        # Unlike docxtpl we do not rewrite "{_{" and friends: user text stays verbatim.
        return self.resolve_listing(dst_xml)


class Picture(InlineImage):
    """An inline picture that carries alt text (docPr descr) for screen readers."""

    def __init__(self, tpl: DocxTemplate, data: bytes, alt: str, title: str,
                 **size: Any) -> None:
        super().__init__(tpl, io.BytesIO(data), **size)
        self.alt, self.title = alt, title

    def _insert_image(self) -> str:
        inline = self.tpl.current_rendering_part.new_pic_inline(
            self.image_descriptor, self.width, self.height)
        wordxml.set_image_description(inline, self.alt, self.title)
        return (f"</w:t></w:r><w:r><w:drawing>{inline.xml}</w:drawing></w:r><w:r>"
                '<w:t xml:space="preserve">')


def _materialise(context: dict[str, Any], tpl: WordTemplate) -> None:
    """Turn table, chart and toc items into Word objects for this template."""
    for item in context["body"]:
        kind = item["kind"]
        if kind == "table":
            item["xml"] = wordxml.table(item)
        elif kind == "toc":
            item["xml"] = wordxml.toc(item["entries"], item["levels"])
        elif kind == "chart":
            png = charts.render_png(item["chart"], item["table"])
            item["image"] = Picture(tpl, png, item["alt"], item["caption"], width=CHART_WIDTH)
    if context.get("logo"):
        logo = Path(context["logo"])
        alt = f"Logotyp för {context['kommun']['name']}"
        context["logo"] = Picture(tpl, logo.read_bytes(), alt, "Logotyp", height=LOGO_HEIGHT)


def render_docx(template: Path, context: dict[str, Any], properties: dict[str, Any]) -> bytes:
    """Render one document and return the .docx bytes (reproducible)."""
    tpl = WordTemplate(io.BytesIO(_template_bytes(template)))
    tpl.template_file = template  # shown in error messages
    _materialise(context, tpl)
    tpl.render(context, jinja_env=jinja_env())
    docx = tpl.docx
    wordxml.add_footnotes(docx, context["footnotes"])
    if any(item["kind"] == "toc" for item in context["body"]):
        wordxml.update_fields_on_open(docx)
    props = docx.core_properties
    for key, value in properties.items():
        setattr(props, key, value)
    props.last_modified_by = properties.get("author", "")
    props.revision = 1
    buf = io.BytesIO()
    docx.save(buf)
    return normalise_zip(buf.getvalue())


def _template_bytes(path: Path) -> bytes:
    try:
        return _read_cached(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise TemplateError(f"{path}: template not found") from None


@cache
def _read_cached(path: Path, _mtime: int) -> bytes:
    data = path.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateError(f"{path}: not a Word document (.docx)")
    return data


def normalise_zip(data: bytes) -> bytes:
    """Same content, same bytes: fixed timestamps and attributes in the package."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
