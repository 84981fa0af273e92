"""Files a municipality supplies besides YAML (its own Word templates, its logo),
vetted before anything reads them for real.

A template override is a zip of XML parts that docxtpl, python-docx and lxml will
parse: it is checked here for size (declared and real), CRCs, the parts Word
needs, well-formed XML without DTDs (entity bombs), and relationships that stay
inside the package. A picture must be a real, reasonably sized PNG or JPEG.
"""

from __future__ import annotations

import io
import posixpath
import stat
import zipfile
from functools import cache
from pathlib import Path

from lxml import etree

MAX_TEMPLATE_BYTES = 10_000_000  # a .docx template on disk
MAX_PART_BYTES = 8_000_000  # one part, uncompressed (lxml refuses text nodes over 10 MB)
MAX_PACKAGE_BYTES = 40_000_000  # all parts, uncompressed
MAX_PARTS = 1_000
MAX_IMAGE_BYTES = 5_000_000
MAX_IMAGE_PIXELS = 40_000_000
REQUIRED_PARTS = ("[Content_Types].xml", "_rels/.rels", "word/document.xml")
# The only relationships that may leave the package: links a reader clicks.
EXTERNAL_OK = {"http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"}
RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              huge_tree=False)


def _regular_size(path: Path) -> int:
    """Size of a regular file; raises ValueError with the reason it is not one."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValueError("file not found") from None
    except OSError as e:
        raise ValueError(f"cannot read file: {e.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file (a folder, a pipe or a device)")
    return info.st_size


def template_problems(path: Path) -> list[str]:
    """Why a Word template cannot be used safely, or [] when it can (cached per version)."""
    try:
        size = _regular_size(path)
        info = path.stat()
    except ValueError as e:
        return [str(e)]
    return list(_template_problems(str(path), size, info.st_mtime_ns))


@cache
def _template_problems(path: str, size: int, _mtime: int) -> tuple[str, ...]:
    if size > MAX_TEMPLATE_BYTES:
        return (f"the template is larger than {MAX_TEMPLATE_BYTES // 1_000_000} MB",)
    try:
        data = Path(path).read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return tuple(_package_problems(package))
    except zipfile.BadZipFile as e:
        return (f"not a Word document (.docx): {e}",)
    except OSError as e:
        return (f"cannot read the template: {e.strerror or e}",)


def _package_problems(package: zipfile.ZipFile) -> list[str]:
    infos = package.infolist()
    if len(infos) > MAX_PARTS:
        return [f"the template has more than {MAX_PARTS} parts"]
    names = {i.filename for i in infos}
    missing = [n for n in REQUIRED_PARTS if n not in names]
    if missing:
        return [f"not a Word document: the part {n} is missing" for n in missing]
    too_big = [i.filename for i in infos if i.file_size > MAX_PART_BYTES]
    if too_big:
        return [f"the part {n} is larger than {MAX_PART_BYTES // 1_000_000} MB uncompressed"
                for n in too_big]
    if sum(i.file_size for i in infos) > MAX_PACKAGE_BYTES:
        return [f"the template is larger than {MAX_PACKAGE_BYTES // 1_000_000} MB "
                "uncompressed"]
    problems: list[str] = []
    for info in infos:
        try:
            # Reading checks the CRC and stops at the declared size.
            blob = package.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError,
                NotImplementedError) as e:
            problems.append(f"the part {info.filename} is damaged: {e}")
            continue
        if not (info.filename.endswith(".xml") or info.filename.endswith(".rels")):
            continue
        try:
            root = etree.fromstring(blob, _XML_PARSER)
        except etree.XMLSyntaxError as e:
            problems.append(f"the part {info.filename} is not well-formed XML: {e}")
            continue
        if root.getroottree().docinfo.internalDTD is not None or b"<!DOCTYPE" in blob[:4096]:
            problems.append(f"the part {info.filename} declares a DTD (entities), which a "
                            "Word document never needs; refused")
            continue
        if info.filename.endswith(".rels"):
            problems.extend(_relationship_problems(info.filename, root, names))
    return problems


def _relationship_problems(rels_name: str, root: etree._Element, names: set[str]) -> list[str]:
    # word/_rels/document.xml.rels describes word/document.xml: targets are relative to word/
    base = posixpath.dirname(posixpath.dirname(rels_name))
    problems = []
    for rel in root.iter(f"{RELS_NS}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            if rel.get("Type") not in EXTERNAL_OK:
                problems.append(f"{rels_name}: an external relationship to {target!r} "
                                "(only hyperlinks may point outside the document); refused")
            continue
        resolved = posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                      else posixpath.join(base, target))
        if resolved.startswith("../") or resolved == ".." or resolved not in names:
            problems.append(f"{rels_name}: the relationship target {target!r} is not a part "
                            "of the document")
    return problems


def image_problem(path: Path, suffixes: tuple[str, ...]) -> str | None:
    """Why a picture file cannot be put in a document, or None when it can."""
    try:
        size = _regular_size(path)
    except ValueError as e:
        return str(e)
    if size == 0:
        return "the picture file is empty"
    if size > MAX_IMAGE_BYTES:
        return f"the picture is larger than {MAX_IMAGE_BYTES // 1_000_000} MB"
    from PIL import Image, UnidentifiedImageError

    formats = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
    expected = {formats[s] for s in suffixes if s in formats}
    try:
        with Image.open(path) as image:
            kind = image.format
            width, height = image.size
            image.verify()  # checks chunk CRCs / structure without decoding pixels
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as e:
        return f"not a readable PNG or JPEG picture ({e})"
    if kind not in expected:
        return f"the picture is {kind}, not {' or '.join(sorted(expected))}"
    if width * height > MAX_IMAGE_PIXELS:
        return f"the picture is {width}×{height} pixels; at most {MAX_IMAGE_PIXELS:,} " \
            "pixels".replace(",", " ")
    return None


def template_for(folder: Path, doc_type: str) -> Path:
    """The template of a document type: the municipality's own one wins over the shared one."""
    from .config import TEMPLATES_DIR

    own = folder / "templates" / f"{doc_type}.docx"
    return own if own.exists() or own.is_symlink() else TEMPLATES_DIR / f"{doc_type}.docx"


def override_problems(folder: Path, path: Path) -> list[str]:
    """Everything wrong with a municipality's own template: where it is, its package, and
    what `avtalsgen check` finds in it (an unknown name must not become a blank)."""
    if not path.resolve().is_relative_to(folder.resolve()):
        return ["the template override points outside the municipality folder; refused"]
    problems = template_problems(path)
    if problems:
        return problems
    info = path.stat()
    return list(_checked(str(path), info.st_size, info.st_mtime_ns))


@cache
def _checked(path: str, _size: int, _mtime: int) -> tuple[str, ...]:
    from .check import check_template

    out = []
    for problem in check_template(Path(path)):
        where = f"{problem.field}: " if problem.field else ""
        out.append(f"{where}{problem.message}")
    return tuple(out)
