"""Templates are not code, even a municipality's own template override.

The context a Word template sees holds plain data only (str, int, float, bool,
None, dates, lists and dicts with text keys) plus opaque picture markers
(`avtalsgen.render.Opaque`) whose attributes the sandbox refuses. So an override
template cannot reach a Python object that reads or writes files
(`logo.tpl.template_file.read_text()`, `it.table.parse_file(...)`), and an
override that uses a name or field the context lacks is refused by `render`
and by `validate` before it is used, with the template named.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path
from typing import Any

import jinja2
import pytest
from conftest import MUNICIPALITIES, REPO, small_png
from docx import Document
from jinja2.exceptions import SecurityError

from avtalsgen import build, render

BASE = REPO / "tests" / "bad_configs" / "base"
PLAIN = (str, int, float, bool, type(None), dt.date)
PLAIN_MODULES = ("builtins", "datetime", "markupsafe", "collections")


# --- helpers -----------------------------------------------------------------------

def pictured(tmp_path: Path) -> Path:
    """The corpus base municipality with a logo, and a table and a pie chart in its
    agreement (the document type the override templates below replace)."""
    folder = tmp_path / "provby"
    shutil.copytree(BASE, folder)
    (folder / "logo.png").write_bytes(small_png())
    muni = folder / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8") + "logo: logo.png\n", encoding="utf-8")
    avtal = folder / "avtal.yaml"
    avtal.write_text(avtal.read_text(encoding="utf-8") + (
        "  - heading: Statistik\n"
        "    content:\n"
        "      - table: brott\n"
        "      - chart: {table: brott, kind: pie, caption: Brotten., alt: Cirkeldiagram.}\n"),
        encoding="utf-8")
    return folder


def override(folder: Path, payload: str, doc_type: str = "agreement") -> Path:
    """The shared template with one more paragraph at the end of the body, saved as
    the municipality's own template."""
    doc = Document(str(REPO / "templates" / f"{doc_type}.docx"))
    doc.add_paragraph(payload)
    path = folder / "templates" / f"{doc_type}.docx"
    path.parent.mkdir(exist_ok=True)
    doc.save(str(path))
    return path


def violations(value: Any, where: str = "context", seen: tuple[int, ...] = ()) -> list[str]:
    """Every value in a context that is not plain data or an Opaque picture."""
    opaque = getattr(render, "Opaque", None)
    if opaque is not None and isinstance(value, opaque):
        return []
    if id(value) in seen:
        return [f"{where}: refers to itself"]
    kind = type(value)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(value, dict) and kind.__module__ in PLAIN_MODULES:
        found = []
        for key, item in value.items():
            if not isinstance(key, str):
                found.append(f"{where}: key {key!r} is {type(key).__name__}, not str")
            found += violations(item, f"{where}[{key!r}]", (*seen, id(value)))
        return found
    if isinstance(value, list) and kind.__module__ in PLAIN_MODULES:
        found = []
        for i, item in enumerate(value):
            found += violations(item, f"{where}[{i}]", (*seen, id(value)))
        return found
    if isinstance(value, PLAIN) and kind.__module__ in PLAIN_MODULES:
        return []
    return [f"{where}: {name}"]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, Any], list[str]]]:
    """Every context handed to WordTemplate.render, with its violations at that moment."""
    calls: list[tuple[dict[str, Any], list[str]]] = []
    original = render.WordTemplate.render

    def recording(self: Any, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        calls.append((context, violations(context)))
        return original(self, context, *args, **kwargs)

    monkeypatch.setattr(render.WordTemplate, "render", recording)
    return calls


@pytest.fixture
def picture_context(recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The real context of the pictured municipality's agreement (logo, table, chart)."""
    monkeypatch.chdir(tmp_path)
    build.render_bundle(build.load(str(pictured(tmp_path))), ["avtal"])
    [(context, _)] = recorded
    return context


def _chart_items(context: dict[str, Any]) -> list[dict[str, Any]]:
    return [it for it in context["body"] if it.get("kind") == "chart"]


# --- (1) the context is plain data --------------------------------------------------

@pytest.mark.parametrize("slug", ["lulea", "skelleftea", "strangnas"])
def test_context_of_every_seed_municipality_is_plain_data(slug: str, recorded) -> None:
    files = build.render_bundle(build.load(slug, root=MUNICIPALITIES))
    assert len(recorded) == len(files) >= 1
    for context, found in recorded:
        assert found == [], f"{slug}: not plain data:\n" + "\n".join(found[:20])
        assert violations(context) == [], "the context changed while rendering"


def test_context_with_logo_table_and_chart_is_plain_data_and_opaque_pictures(
        recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    build.render_bundle(build.load(str(pictured(tmp_path))))
    assert len(recorded) == 2
    for _context, found in recorded:
        assert found == [], "not plain data:\n" + "\n".join(found[:20])
    context = recorded[0][0]
    opaque = getattr(render, "Opaque", None)
    assert opaque is not None, "avtalsgen.render.Opaque does not exist"
    assert isinstance(context["logo"], opaque)
    charts = _chart_items(context)
    assert charts, "the agreement has a chart"
    for item in charts:
        assert isinstance(item["image"], opaque)
    assert any(it.get("kind") == "table" for it in context["body"])


# --- (2) escape attempts in an override template ------------------------------------

ESCAPES = [
    "{{ logo.tpl.template_file.read_text() }}",
    "{{ logo.tpl.template_file.parent.joinpath('pwned.txt').write_text('x') }}",
    "{{ logo.tpl.template_file.joinpath('/etc/passwd').read_text() }}",
    "{% for it in body %}{% if it.kind == 'chart' %}"
    "{{ it.image.tpl.template_file.read_text() }}{% endif %}{% endfor %}",
    "{% for it in body %}{% if it.kind == 'chart' %}"
    "{{ it.image.tpl.template_file.joinpath('/etc/passwd').read_text() }}{% endif %}{% endfor %}",
    "{% for it in body %}{% if it.kind == 'table' %}"
    "{{ it.table.parse_file('/etc/passwd') }}{% endif %}{% endfor %}",
    "{% for it in body %}{% if it.kind == 'chart' %}"
    "{{ it.table.parse_file('/etc/passwd') }}{% endif %}{% endfor %}",
]


def _docx_texts(folder: Path) -> bytes:
    """Every part of every zip (docx) under folder, concatenated."""
    out = b""
    for path in folder.rglob("*"):
        if path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                out += b"".join(z.read(n) for n in z.namelist())
    return out


ESCAPE_IDS = ["logo-read", "logo-write", "logo-passwd", "chart-image-read",
              "chart-image-passwd", "table-parse-file", "chart-table-parse-file"]


@pytest.mark.parametrize("payload", ESCAPES, ids=ESCAPE_IDS)
@pytest.mark.parametrize("command", ["render", "validate"])
def test_escape_from_an_override_template_is_refused(payload: str, command: str, cli,
                                                     tmp_path: Path) -> None:
    folder = pictured(tmp_path)
    override(folder, payload)
    before = {p for p in tmp_path.rglob("*")}
    args = [command, str(folder)] + (["--out", "out"] if command == "render" else [])
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "agreement.docx" in result.output
    assert "root:" not in result.output
    assert not Path("out").exists()
    assert {p for p in tmp_path.rglob("*")} == before, "a file was created"
    assert b"root:" not in _docx_texts(tmp_path)


# --- (3) the sandbox refuses what is inside a picture --------------------------------

def _render(source: str, context: dict[str, Any]) -> str:
    return render.jinja_env().from_string(source).render(context)


CHART_IMAGE = ("{% for it in body %}{% if it.kind == 'chart' %}{{ it.image.ATTR }}"
               "{% endif %}{% endfor %}")


@pytest.mark.parametrize("source", [
    pytest.param("{{ logo.tpl }}", id="logo.tpl"),
    pytest.param("{{ logo.__class__ }}", id="logo.__class__"),
    pytest.param("{{ logo.tpl.template_file }}", id="logo.tpl.template_file"),
    pytest.param("{{ logo.__dict__ }}", id="logo.__dict__"),
    pytest.param(CHART_IMAGE.replace("ATTR", "tpl"), id="chart.image.tpl"),
    pytest.param(CHART_IMAGE.replace("ATTR", "tpl.template_file"),
                 id="chart.image.tpl.template_file"),
    pytest.param(CHART_IMAGE.replace("ATTR", "__class__"), id="chart.image.__class__"),
])
def test_sandbox_refuses_attributes_of_pictures(source: str, picture_context) -> None:
    with pytest.raises(SecurityError):
        _render(source, picture_context)


def test_sandbox_refuses_every_attribute_a_picture_has(picture_context) -> None:
    logo = picture_context["logo"]
    [chart, *_] = _chart_items(picture_context)
    names = {"tpl", "image_descriptor", "width", "height", "alt", "title", "data", "path",
             "read_text", "nosuch", "__class__", "__dict__", "__reduce_ex__", "__init__"}
    names |= {n for n in dir(logo) if n.isidentifier()}
    names |= {n for n in dir(chart["image"]) if n.isidentifier()}
    unrefused = []
    for name in sorted(names):
        for source in (f"{{{{ logo.{name} }}}}", CHART_IMAGE.replace("ATTR", name)):
            try:
                shown = _render(source, picture_context)
            except SecurityError:
                continue
            except jinja2.TemplateError as e:
                unrefused.append(f"{source}: {type(e).__name__}: {e}")
            else:
                unrefused.append(f"{source} rendered {shown[:80]!r}")
    assert unrefused == [], "\n".join(unrefused)


@pytest.mark.parametrize("source", ["{{ logo['tpl'] }}", "{{ logo['tpl']['template_file'] }}",
                                    "{{ logo|attr('tpl') }}"])
def test_sandbox_gives_nothing_for_a_picture_by_subscript(source: str, picture_context) -> None:
    with pytest.raises(jinja2.TemplateError):
        _render(source, picture_context)


def test_plain_data_still_works_in_the_sandbox(picture_context) -> None:
    title = picture_context["doc"]["title"]
    assert _render("{{ doc.title.upper() }}", picture_context) == title.upper()
    assert _render("{{ kommun.name|genitive }}", picture_context) == "Provby kommuns"
    captions = _render("{% for it in body %}{% if it.kind == 'chart' %}{{ it.caption }}"
                       "{% endif %}{% endfor %}", picture_context)
    assert captions == "Figur 1. Brotten."


# --- (4) an override template is checked before use ---------------------------------

@pytest.mark.parametrize("payload, name", [("{{ secret }}", "secret"),
                                           ("{{ doc.nosuch }}", "nosuch"),
                                           ("{{ logo.tpl }}", "tpl")])
@pytest.mark.parametrize("command", ["render", "validate"])
def test_override_with_unknown_name_or_field_is_refused(payload: str, name: str,
                                                        command: str, cli,
                                                        tmp_path: Path) -> None:
    folder = pictured(tmp_path)
    override(folder, payload)
    args = [command, str(folder)] + (["--out", "out"] if command == "render" else [])
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    shown = result.output.replace(str(tmp_path), "TMP")
    assert "agreement.docx" in shown
    assert name in shown
    assert not Path("out").exists()


def test_valid_override_template_is_used(cli, tmp_path: Path) -> None:
    folder = pictured(tmp_path)
    override(folder, "Provbys egen mall {{ doc.title }}")
    assert cli("validate", str(folder)).exit_code == 0
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output
    texts = [p.text for p in Document(str(tmp_path / "out" / "provby" / "avtal.docx"))
             .paragraphs]
    assert "Provbys egen mall Samverkansöverenskommelse" in texts
