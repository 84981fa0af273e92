"""Stage 4: fill a Word template with a context, in Jinja's sandbox.

Autoescaping is on (user text is data, never markup), undefined variables are
errors, and each template's parsed XML and compiled Jinja code are kept per
process, so a batch parses every template once.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from docx.opc.pkgwriter import PackageWriter
from docx.oxml.ns import nsmap as docx_nsmap
from docx.shared import Cm
from docxtpl import DocxTemplate, InlineImage
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace
from markupsafe import Markup, escape

from . import charts, wordxml
from . import model as m
from .errors import TemplateError
from .formatting import FILTERS

# docxcompose (imported by docxtpl) rebinds python-docx's "cp" prefix to the custom-
# properties namespace, so core properties were read and written in the wrong one
# (python-docx #1037, docxcompose #101). We use no custom properties: bind it back.
docx_nsmap["cp"] = wordxml.CORE_NS["cp"]

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CHART_WIDTH = Cm(15.5)
LOGO_HEIGHT = Cm(1.2)


# What a template may look into: plain data. Everything else it is handed (pictures)
# is an Opaque marker, whose attributes it cannot read. An allow-list: a new kind of
# value in the context stays closed until it is added here.
PLAIN_TYPES: tuple[type, ...] = (str, int, float, bool, type(None), dt.date, list, tuple,
                                 dict, Markup)
_JINJA_TYPES: tuple[type, ...] = (LoopContext, Namespace)


class Opaque:
    """A picture (or other generated XML) as a template sees it: it prints, nothing more."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], str]) -> None:
        self._make = make

    def __html__(self) -> str:
        return self._make()

    def __bool__(self) -> bool:
        return True


class PlainDataSandbox(SandboxedEnvironment):
    """Jinja's sandbox, allowing attribute access only on plain data."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return (isinstance(obj, PLAIN_TYPES + _JINJA_TYPES)
                and super().is_safe_attribute(obj, attr, value))

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Anything not plain is closed whole, whether or not it has the attribute.
        if not isinstance(obj, PLAIN_TYPES + _JINJA_TYPES + (jinja2.Undefined,)):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if not isinstance(obj, PLAIN_TYPES + _JINJA_TYPES + (jinja2.Undefined,)):
            return self.unsafe_undefined(obj, str(argument))
        return super().getitem(obj, argument)


def check_plain(value: Any, path: str = "context") -> None:
    """Raise TypeError (a bug) if the context holds anything but plain data and markers."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                if not isinstance(key, str):
                    raise TypeError(f"{where}: key {key!r} is not text")
                stack.append((f"{where}.{key}", sub))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{i}]", sub) for i, sub in enumerate(item))
        elif not isinstance(item, (*PLAIN_TYPES, Opaque)):
            raise TypeError(f"{where} is a {type(item).__name__}: templates see plain data only")


@cache
def jinja_env() -> SandboxedEnvironment:
    # An empty loader: {% include %} and {% import %} find nothing, ever.
    env = PlainDataSandbox(autoescape=True, undefined=jinja2.StrictUndefined,
                           loader=jinja2.DictLoader({}))
    for name in ("lipsum", "cycler", "joiner"):  # objects a document never needs
        env.globals.pop(name, None)
    env.filters.update(FILTERS)
    env.filters["footnote_ref"] = wordxml.footnote_ref
    return env


@cache
def _compiled(xml: str) -> jinja2.Template:
    return jinja_env().from_string(xml)


_PATCHED: dict[tuple[Any, ...], str] = {}


class WordTemplate(DocxTemplate):
    """DocxTemplate that parses each template part once per process and leaves user
    text untouched."""

    cache_key: tuple[Any, ...] = ()

    def _patched(self, part_key: str, make_xml: Any) -> str:
        """The template XML of one part, patched for Jinja, computed once per process."""
        key = (*self.cache_key, part_key)
        if key not in _PATCHED:
            xml = self.patch_xml(make_xml())
            _PATCHED[key] = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
        return _PATCHED[key]

    def build_xml(self, context: dict[str, Any], jinja_env: Any = None) -> str:
        xml = self._patched("document", self.get_xml)
        return self.render_xml_part(xml, self.docx._part, context, jinja_env)

    def render_properties(self, context: dict[str, Any], jinja_env: Any = None) -> None:
        # As docxtpl does, but compiled once per text: docxtpl compiles each property
        # for every document, a tenth of a document's time.
        props = self.docx.core_properties
        for name in ("author", "comments", "identifier", "language", "subject", "title"):
            setattr(props, name, _compiled(getattr(props, name)).render(context))

    def build_headers_footers_xml(self, context: dict[str, Any], uri: str,
                                  jinja_env: Any = None) -> Any:
        for rel_key, part in self.get_headers_footers(uri):
            xml = self._patched(rel_key, lambda part=part: self.get_part_xml(part))
            yield rel_key, self.render_xml_part(xml, part, context, jinja_env).encode("utf-8")

    def render_xml_part(self, src_xml: str, part: Any, context: dict[str, Any],
                        jinja_env: Any = None) -> str:
        self.current_rendering_part = part
        try:
            dst_xml = _compiled(src_xml).render(context)
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
        return wordxml.line_breaks(dst_xml)


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

    def marker(self) -> Opaque:
        return Opaque(self._insert_image)


def _style_id(tpl: WordTemplate, name: str) -> str:
    try:
        return str(tpl.docx.styles[name].style_id)
    except KeyError:
        raise TemplateError(f"{tpl.template_file}: the template has no style {name!r}; "
                            "recreate it from tools/make_templates.py") from None


@lru_cache(maxsize=256)
def _chart_png(chart: str, table: str) -> bytes:
    """A chart's picture, kept per process by its data: an editor's preview after a save
    redraws only the charts whose data changed."""
    return charts.render_png(m.Chart.model_validate(json.loads(chart)),
                             m.Table.model_validate(json.loads(table)))


@lru_cache(maxsize=256)
def _chart_parts(chart: str, table: str) -> Any:
    """A native chart's XML and workbook (wordcharts.WordChart), kept like _chart_png."""
    from . import wordcharts  # python-pptx: imported only when a document has a chart

    return wordcharts.build(m.Chart.model_validate(json.loads(chart)),
                            m.Table.model_validate(json.loads(table)))


_CHARTS_AS_PICTURES: ContextVar[bool] = ContextVar("charts_as_pictures", default=False)


@contextmanager
def charts_as_pictures() -> Iterator[None]:
    """Render every chart as a picture meanwhile: for previews (HTML) that cannot show
    a Word chart."""
    token = _CHARTS_AS_PICTURES.set(True)
    try:
        yield
    finally:
        _CHARTS_AS_PICTURES.reset(token)


def _word_chart(tpl: WordTemplate, chart: Any, alt: str, title: str) -> Opaque:
    """A native Word chart: its parts join the package where the template prints it."""
    def insert() -> str:
        from . import wordcharts

        rid = wordcharts.embed(tpl.current_rendering_part, chart)
        drawing = wordcharts.drawing(rid, CHART_WIDTH, chart.height, alt, title)
        return f'</w:t></w:r><w:r>{drawing}</w:r><w:r><w:t xml:space="preserve">'

    return Opaque(insert)


def _figure(tpl: WordTemplate, item: dict[str, Any], pictures: dict[str, bytes]) -> Opaque:
    """A chart (a Word chart, or a picture with `render: image`) or a picture block."""
    if item["kind"] == "picture":
        return Picture(tpl, pictures[item["file"]], item["alt"], item["caption"],
                       width=Cm(item["width"])).marker()
    key = (json.dumps(item["chart"], sort_keys=True, default=str),
           json.dumps(item["table"], sort_keys=True, default=str))
    if item["chart"].get("render", "native") == "native" and not _CHARTS_AS_PICTURES.get():
        return _word_chart(tpl, _chart_parts(*key), item["alt"], item["caption"])
    return Picture(tpl, _chart_png(*key), item["alt"], item["caption"],
                   width=CHART_WIDTH).marker()


def _materialise(context: dict[str, Any], tpl: WordTemplate, logo: bytes | None,
                 pictures: dict[str, bytes]) -> None:
    """Turn table, chart, picture, toc and numbered items into Word markup for this
    template."""
    for item in context["body"]:
        kind = item["kind"]
        if kind == "table":
            item["xml"] = wordxml.table(item)
        elif kind == "toc":
            item["xml"] = wordxml.toc(item["entries"], item["levels"], item["by_entry"])
        elif kind in ("heading", "numbered") and item.get("num"):
            style = f"Heading {item['level']}" if kind == "heading" else "List Numbered"
            note = item.get("footnote")
            entry = wordxml.toc_entry(item["toc_entry"]) if item.get("toc_entry") else ""
            item["xml"] = wordxml.paragraph(_style_id(tpl, style), item["text"], item["num"],
                                            note["id"] if note else None,
                                            item.get("footnote_at"), entry)
        elif kind == "heading" and item.get("toc_entry"):
            item["text"] = escape(item["text"]) + Markup(
                '</w:t></w:r>' + wordxml.toc_entry(item["toc_entry"])
                + '<w:r><w:t xml:space="preserve">')
        elif item.get("footnote_at") is not None:
            # The reference where the author put {fotnot}; the template adds none at the end.
            at, note = item["footnote_at"], item["footnote"]
            item["text"] = (escape(item["text"][:at]) + wordxml.footnote_ref(note)
                            + escape(item["text"][at:]))
            item["footnote"] = None
        elif kind in ("chart", "picture"):
            item["image"] = _figure(tpl, item, pictures)
            item["caption_xml"] = wordxml.caption(item["label"], item["number"],
                                                  item["caption_text"])
    if logo is not None:
        alt = f"Logotyp för {context['kommun']['name']}"
        context["logo"] = Picture(tpl, logo, alt, "Logotyp", height=LOGO_HEIGHT).marker()
    else:
        context["logo"] = None


def render_docx(template: Path, context: dict[str, Any], properties: dict[str, Any],
                logo: bytes | None = None, pictures: dict[str, bytes] | None = None) -> bytes:
    """Render one document and return the .docx bytes (reproducible)."""
    data, key = _template_bytes(template)
    tpl = WordTemplate(io.BytesIO(data))
    tpl.template_file = template  # shown in error messages
    tpl.cache_key = key
    tpl.init_docx()
    _materialise(context, tpl, logo, pictures or {})
    check_plain(context)
    tpl.render(context, jinja_env=jinja_env())
    docx = tpl.docx
    wordxml.add_footnotes(docx, context["footnotes"])
    wordxml.add_numbering(docx, context["numberings"])
    wordxml.page_breaks_to_properties(docx)
    if not context["doc"]["title_page"]:
        docx.sections[0].different_first_page_header_footer = False
    if any(item["kind"] == "toc" for item in context["body"]):
        wordxml.update_fields_on_open(docx)
    wordxml.set_properties(docx, properties)
    return save_reproducible(docx)


def _template_bytes(path: Path) -> tuple[bytes, tuple[Any, ...]]:
    try:
        key = (str(path.resolve()), path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise TemplateError(f"{path}: template not found") from None
    return _read_cached(*key), key


@cache
def _read_cached(path: str, _mtime: int) -> bytes:
    data = Path(path).read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateError(f"{path}: not a Word document (.docx)")
    return data


class _FixedTimeZip:
    """The zip writer python-docx expects, with fixed timestamps and attributes."""

    def __init__(self, stream: io.BytesIO) -> None:
        self._zip = zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        # zlib's default level, as python-docx and docxtpl use: level 1 saved 0.6 ms a
        # document but left files about a third larger.
        info = zipfile.ZipInfo(pack_uri.membername, date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, blob, compresslevel=6)

    def close(self) -> None:
        self._zip.close()


def save_reproducible(docx: Any) -> bytes:
    """Same content, same bytes: the package written once, without clock time."""
    package = docx.part.package
    for part in package.parts:
        part.before_marshal()
    parts = list(package.iter_parts())
    buf = io.BytesIO()
    writer = _FixedTimeZip(buf)
    PackageWriter._write_content_types_stream(writer, parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(writer, parts)
    writer.close()
    return buf.getvalue()
