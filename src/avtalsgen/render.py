"""Stage 4: fill a Word template with a context, in Jinja's sandbox.

Autoescaping is on (user text is data, never markup), undefined variables are
errors, and each template's parsed XML and compiled Jinja code are kept per
process, so a batch parses every template once.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast

import jinja2
from docx.opc.package import Unmarshaller
from docx.opc.part import PartFactory, XmlPart
from docx.opc.phys_pkg import PhysPkgWriter
from docx.opc.pkgreader import PackageReader
from docx.opc.pkgwriter import PackageWriter
from docx.oxml.ns import nsmap as docx_nsmap
from docx.package import Package
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


_DICT_ATTRIBUTES = frozenset(dir(dict))
_LEAF_TYPES = frozenset({str, int, float, bool, type(None), dt.date, Markup, Opaque})


class PlainDataSandbox(SandboxedEnvironment):
    """Jinja's sandbox, allowing attribute access only on plain data."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return (isinstance(obj, PLAIN_TYPES + _JINJA_TYPES)
                and super().is_safe_attribute(obj, attr, value))

    def getattr(self, obj: Any, attribute: str) -> Any:
        # The common case, `item.text` on a plain dict, without the sandbox's checks: Jinja
        # finds it the same way (a dict has no such attribute, so it takes the key), and
        # check_plain has seen that the value is plain. A fifth of a render otherwise.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
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
    # A quick walk by exact types; anything else (a subclass, a stranger) goes to the
    # walk that names where it is.
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if any(type(key) is not str for key in item):
                return _check_plain_named(value, path)
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind not in _LEAF_TYPES:
            return _check_plain_named(value, path)
    return None


def _check_plain_named(value: Any, path: str) -> None:
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
    docx: Any  # python-docx's Document, set by docxtpl (which has no types)
    is_rendered: bool

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

    def init_docx(self, reload: bool = True) -> None:
        # A copy of the template as first read, not the zip unpacked and parsed again.
        if not self.docx or (self.is_rendered and reload):
            self.docx = _pristine(*self.cache_key).open()
            self.is_rendered = False

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
                 name: str | None = None, **size: Any) -> None:
        super().__init__(tpl, io.BytesIO(data), **size)
        self.alt, self.title, self.name = alt, title, name

    def _insert_image(self) -> str:
        inline = self.tpl.current_rendering_part.new_pic_inline(
            self.image_descriptor, self.width, self.height)
        wordxml.set_image_description(inline, self.alt, self.title, self.name)
        return (f"</w:t></w:r><w:r><w:drawing>{inline.xml}</w:drawing></w:r><w:r>"
                '<w:t xml:space="preserve">')

    def marker(self) -> Opaque:
        return Opaque(self._insert_image)


_STYLE_IDS: dict[tuple[Any, ...], str] = {}


def _style_id(tpl: WordTemplate, name: str) -> str:
    # A template's styles are the same for every document (cache_key: path and mtime).
    key = (*tpl.cache_key, name) if isinstance(tpl, WordTemplate) and tpl.cache_key else None
    if key in _STYLE_IDS:
        return _STYLE_IDS[key]
    try:
        found = str(tpl.docx.styles[name].style_id)
    except KeyError:
        raise TemplateError(f"{tpl.template_file}: the template has no style {name!r}; "
                            "recreate it from tools/make_templates.py") from None
    if key is not None:
        _STYLE_IDS[key] = found
    return found


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
    # Named by its kind, so that an import knows the picture was a chart.
    return Picture(tpl, _chart_png(*key), item["alt"], item["caption"], item.get("shape"),
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
            # Chart, caption and the notes under it stay on one page.
            item["caption_xml"] = wordxml.caption(item["label"], item["number"],
                                                  item["caption_text"],
                                                  keep_next=bool(item["notes"]))
    if logo is not None:
        alt = f"Logotyp för {context['kommun']['name']}"
        context["logo"] = Picture(tpl, logo, alt, "Logotyp", height=LOGO_HEIGHT).marker()
    else:
        context["logo"] = None


def render_docx(template: Path, context: dict[str, Any], properties: dict[str, Any],
                logo: bytes | None = None, pictures: dict[str, bytes] | None = None) -> bytes:
    """Render one document and return the .docx bytes (reproducible)."""
    tpl = WordTemplate(template)  # its path is shown in error messages
    tpl.cache_key = _template_key(template)
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


def _template_key(path: Path) -> tuple[str, int]:
    """A template by where it is and when it last changed: what the caches are keyed by."""
    try:
        return (str(path.resolve()), path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise TemplateError(f"{path}: template not found") from None


class _Pristine:
    """A template as python-docx reads it, kept per process: its reader (the unpacked
    parts and relationships) and the parsed XML of each part. Each document gets a
    deep copy of that XML, which costs a fifth of unzipping and parsing it again."""

    def __init__(self, data: bytes) -> None:
        self.reader = PackageReader.from_file(io.BytesIO(data))
        package = Package()
        Unmarshaller.unmarshal(self.reader, package, PartFactory)
        self.xml = {part.partname: (type(part), part.element)
                    for part in package.iter_parts() if isinstance(part, XmlPart)}

    def _part(self, partname: Any, content_type: str, reltype: str, blob: bytes,
              package: Any) -> Any:
        if partname in self.xml:
            kind, element = self.xml[partname]
            return kind(partname, content_type, copy.deepcopy(element), package)
        return PartFactory(partname, content_type, reltype, blob, package)

    def open(self) -> Any:
        package = Package()
        Unmarshaller.unmarshal(self.reader, package, self._part)
        return package.main_document_part.document


@cache
def _pristine(path: str, _mtime: int) -> _Pristine:
    data = Path(path).read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateError(f"{path}: not a Word document (.docx)")
    return _Pristine(data)


# Parts whose content is compressed already: pictures and the charts' workbooks.
STORED_EXTENSIONS = frozenset({"png", "jpeg", "jpg", "gif", "xlsx"})
DEFLATE_LEVEL = 6  # zlib's default, as python-docx and docxtpl use
DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest a zip can say
MAX_CACHED_PART = 256_000


@lru_cache(maxsize=48)
def _deflated(blob: bytes) -> bytes:
    """A part's compressed bytes, kept for the parts every document repeats (styles,
    theme, fonts, settings): compressed once per process, not once per document."""
    packer = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return packer.compress(blob) + packer.flush()


class _PackageZip:
    """The zip writer python-docx hands its parts to: fixed times and attributes, stored
    pictures (deflating a PNG again gains nothing and took a quarter of a render), and
    XML deflated once per distinct content. zipfile compresses every entry it writes,
    so the few lines of the format (no zip64: a document stays far below 4 GB) are
    written here."""

    def __init__(self, stream: io.BytesIO) -> None:
        self._out = stream
        self._central: list[bytes] = []

    def write(self, pack_uri: Any, blob: bytes) -> None:
        name = pack_uri.membername.encode("utf-8")
        if pack_uri.ext.lower() in STORED_EXTENSIONS:
            method, data = 0, blob
        else:
            method = 8
            data = _deflated(blob) if len(blob) <= MAX_CACHED_PART else \
                _deflated.__wrapped__(blob)
        crc = zlib.crc32(blob)
        flags = 0x800 if not name.isascii() else 0
        fields = (20, flags, method, 0, DOS_DATE_1980, crc, len(data), len(blob), len(name))
        offset = self._out.tell()
        self._out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + name)
        self._out.write(data)
        self._central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 20, *fields, 0, 0, 0, 0,
                        0o100644 << 16, offset) + name)

    def close(self) -> None:
        start = self._out.tell()
        for entry in self._central:
            self._out.write(entry)
        size = self._out.tell() - start
        count = len(self._central)
        self._out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size,
                                    start, 0))


def save_reproducible(docx: Any) -> bytes:
    """Same content, same bytes: the package written once, without clock time."""
    package = docx.part.package
    for part in package.parts:
        part.before_marshal()
    parts = list(package.iter_parts())
    buf = io.BytesIO()
    writer = _PackageZip(buf)
    PackageWriter._write_content_types_stream(writer, parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    PackageWriter._write_parts(cast(PhysPkgWriter, writer), parts)  # duck-typed
    writer.close()
    return buf.getvalue()
