"""Hostile and unlucky input ends in a clean message, never a hang, a crash or lost work.

- Bounded YAML: alias bombs, self-referencing aliases, very deep nesting and FIFOs
  are refused quickly with file and line; ordinary merge keys (`<<: *base`) work.
- Bounded files: an override template that unpacks to too much, a huge logo.
- One bad municipality (a broken file, or a bug) does not stop a batch; a bug is
  exit 1 with its traceback in a log file under --out.
- Clean errors (exit 2, no traceback, nothing written) for raw control
  characters, UTF-16 configs, broken template packages, broken logos, charts that
  cannot be drawn, unusable output folders, odd manifests, a full or read-only
  disk, and git revisions that look like options.
- The manifest stays consistent with the files when a run dies between them, and
  concurrent runs on one output folder neither crash nor refuse each other.
- A municipality folder that is a symlink renders under its own (link) name.

Anything that could block (FIFOs, alias bombs, subprocesses) runs in a subprocess
with a timeout.
"""

from __future__ import annotations

import base64
import errno
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES, REPO, small_png
from docx import Document
from test_bad_configs import CASES, _break

BASE = REPO / "tests" / "bad_configs" / "base"
TEMPLATE = REPO / "templates" / "agreement.docx"
MANIFEST = ".avtalsgen-manifest.json"


# --- helpers -----------------------------------------------------------------------

def provby(tmp_path: Path) -> Path:
    folder = tmp_path / "provby"
    shutil.copytree(BASE, folder)
    return folder


def _limit_memory() -> None:  # in the child, before exec
    import resource

    limit = 4 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def avtalsgen(*args: str, timeout: float, cwd: Path,
              limit_memory: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `python -m avtalsgen ARGS` from this checkout; a hang fails the test."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    try:
        return subprocess.run([sys.executable, "-m", "avtalsgen", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=timeout,
                              preexec_fn=_limit_memory if limit_memory else None)
    except subprocess.TimeoutExpired:
        pytest.fail(f"avtalsgen {' '.join(args)} did not finish within {timeout} s")


def scrub(output: str, folder: Path | None = None) -> str:
    """The output without the test's folder (its name holds the test's name, which would
    match words like 'manifest' or 'logo')."""
    folder = folder or Path.cwd()
    for form in sorted({str(folder.resolve()), str(folder)}, key=len, reverse=True):
        output = output.replace(form, "TMP")
    return output


def assert_clean_failure(result, out: Path | None = Path("out")) -> str:
    """Exit 2, a message, no traceback, nothing written to the output folder; the
    message, scrubbed."""
    output = scrub(result.output)
    assert result.exit_code == 2, output
    assert "Traceback" not in output, output
    assert output.strip(), "no message"
    if out is not None:
        assert not out.exists() or not any(out.rglob("*.docx")), output
    return output


def render_and_validate_fail(cli, folder: Path) -> str:
    """Both `render` and `validate` refuse the municipality cleanly; the messages."""
    rendered = assert_clean_failure(cli("render", str(folder), "--out", "out"))
    assert not Path("out").exists(), rendered
    validated = assert_clean_failure(cli("validate", str(folder)), out=None)
    return rendered + "\n" + validated


# --- B. bounded YAML ---------------------------------------------------------------

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([item] * 9)}]\n"
    for name, item in zip("abcdefg", ["lol", "*a", "*b", "*c", "*d", "*e", "*f"], strict=True))


def test_billion_laughs_is_small() -> None:
    assert len(LAUGHS.encode()) <= 400
    assert LAUGHS.count("*") == 6 * 9


@pytest.mark.parametrize("file_name", ["plan.yaml", "municipality.yaml"])
def test_alias_bomb_is_refused_quickly(file_name: str, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    path = folder / file_name
    path.write_text(path.read_text(encoding="utf-8") + LAUGHS, encoding="utf-8")
    import time

    start = time.monotonic()
    result = avtalsgen("validate", str(folder), timeout=20, cwd=tmp_path, limit_memory=True)
    seconds = time.monotonic() - start
    output = scrub(result.stdout + result.stderr, tmp_path)
    assert result.returncode == 2, output[-2000:]
    assert "Traceback" not in output
    assert "alias" in output.lower()
    assert re.search(re.escape(file_name) + r":\d+:", output), output
    assert seconds < 5, f"took {seconds:.1f} s"


def test_merge_keys_work_and_the_override_wins(cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    stats = folder / "statistics.yaml"
    stats.write_text(stats.read_text(encoding="utf-8").replace(
        "  brott:\n", "  brott: &base\n    title: Anmälda brott\n", 1) + (
        "  brott2:\n"
        "    <<: *base\n"
        "    title: Brott igen\n"), encoding="utf-8")
    plan = folder / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "      - table: brott\n", "      - table: brott\n      - table: brott2\n", 1),
        encoding="utf-8")
    result = cli("validate", str(folder))
    assert result.exit_code == 0, result.output
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output
    texts = [p.text for p in Document(str(tmp_path / "out" / "provby" / "plan.docx")).paragraphs]
    assert "Anmälda brott" in texts and "Brott igen" in texts
    doc = Document(str(tmp_path / "out" / "provby" / "plan.docx"))
    assert len(doc.tables) == 2
    first, second = ([c.text for c in t.rows[-1].cells] for t in doc.tables)
    assert first == second == ["Totalt", "30", "30"]  # merged rows and total


def test_merge_keys_in_a_document(cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    (folder / "plan.yaml").write_text(
        "type: action_plan\n"
        "title: Handlingsplan\n"
        "sections:\n"
        "  - &first\n"
        "    heading: Läget\n"
        "    content: [Samma text.]\n"
        "  - <<: *first\n"
        "    heading: Läget igen\n", encoding="utf-8")
    assert cli("validate", str(folder)).exit_code == 0
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output
    texts = [p.text for p in Document(str(tmp_path / "out" / "provby" / "plan.docx")).paragraphs]
    assert "Läget" in texts and "Läget igen" in texts
    assert texts.count("Samma text.") == 2


def _deep_list(depth: int) -> str:
    return "closing: " + "[" * depth + "x" + "]" * depth + "\n"


def _deep_sections(depth: int) -> str:
    lines = ["type: action_plan", "title: Handlingsplan", "sections:"]
    for level in range(depth):
        pad = "  " + "    " * level
        lines += [f"{pad}- heading: Nivå {level}", f"{pad}  sections:"]
    lines[-1] += " []"
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("make", [
    pytest.param(lambda path: path.write_text(
        path.read_text(encoding="utf-8") + _deep_list(500), encoding="utf-8"),
        id="flow-lists-500-deep"),
    pytest.param(lambda path: path.write_text(_deep_sections(300), encoding="utf-8"),
                 id="sections-300-deep"),
])
def test_deep_nesting_is_refused(make, cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    make(folder / "plan.yaml")
    output = render_and_validate_fail(cli, folder)
    assert "nested too deeply" in output.lower()
    assert "plan.yaml" in output


@pytest.mark.parametrize("file_name", ["municipality.yaml", "plan.yaml"])
def test_fifo_instead_of_a_config_file_is_refused(file_name: str, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    (folder / file_name).unlink()
    os.mkfifo(folder / file_name)
    result = avtalsgen("validate", str(folder), timeout=10, cwd=tmp_path, limit_memory=True)
    output = scrub(result.stdout + result.stderr, tmp_path)
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert "not a regular file" in output.lower()
    assert file_name in output


# --- D. clean errors: every broken config case is refused by validate too -----------

@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_validate_refuses_every_bad_config(case: dict, cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    _break(folder, case)
    result = cli("validate", str(folder))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "ok " not in result.output


# --- D. broken override templates ---------------------------------------------------

def _members() -> dict[str, bytes]:
    """The shared agreement template's parts, by name."""
    with zipfile.ZipFile(TEMPLATE) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(parts: dict[str, bytes], stored: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if name in stored
                       else zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def _document_xml() -> bytes:
    with zipfile.ZipFile(TEMPLATE) as z:
        return z.read("word/document.xml")


def _with_paragraph(xml: bytes, paragraph: bytes) -> bytes:
    return xml.replace(b"<w:body>", b"<w:body>" + paragraph, 1)


def malformed_xml() -> bytes:
    return _zip(_members() | {"word/document.xml": _document_xml()[:-200]})


def no_content_types() -> bytes:
    return _zip({k: v for k, v in _members().items() if k != "[Content_Types].xml"})


def no_document() -> bytes:
    return _zip({k: v for k, v in _members().items() if k != "word/document.xml"})


def crc_error() -> bytes:
    data = bytearray(_zip(_members(), stored=("word/document.xml",)))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("word/document.xml")
    offset = info.header_offset
    name_len = int.from_bytes(data[offset + 26:offset + 28], "little")
    extra_len = int.from_bytes(data[offset + 28:offset + 30], "little")
    start = offset + 30 + name_len + extra_len
    member = bytes(data[start:start + info.compress_size])
    at = member.index(b"office/mac/") + len(b"office/ma")  # a namespace URI: still XML
    assert data[start + at] == ord("c")
    data[start + at] = ord("d")
    return bytes(data)


def rel_outside() -> bytes:
    parts = _members()
    rel = (b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
           b'2006/relationships/image" Target="../../../../etc/passwd"/>')
    rels = parts["word/_rels/document.xml.rels"]
    parts["word/_rels/document.xml.rels"] = rels.replace(b"</Relationships>",
                                                         rel + b"</Relationships>")
    return _zip(parts)


def entity_bomb() -> bytes:
    xml = _document_xml()
    entities = '<!ENTITY e0 "hahahahaha">' + "".join(
        f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f"<!DOCTYPE w:document [{entities}]>".encode()
    head, rest = xml.split(b"?>", 1)
    xml = head + b"?>" + doctype + rest
    xml = _with_paragraph(xml, b"<w:p><w:r><w:t>&e9;</w:t></w:r></w:p>")
    return _zip(_members() | {"word/document.xml": xml})


def huge_run() -> bytes:
    text = b"x" * 9_000_000
    xml = _with_paragraph(_document_xml(), b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>")
    return _zip(_members() | {"word/document.xml": xml})


def huge_part() -> bytes:
    return _zip(_members() | {"word/media/big.bin": b"\0" * 60_000_000})


BROKEN_TEMPLATES = [malformed_xml, no_content_types, no_document, crc_error, rel_outside,
                    entity_bomb, huge_run, huge_part]


@pytest.mark.parametrize("make", BROKEN_TEMPLATES, ids=[f.__name__ for f in BROKEN_TEMPLATES])
def test_broken_override_template_is_refused(make, cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    data = make()
    assert len(data) < 2_000_000  # small on disk; the trouble is inside
    (folder / "templates").mkdir()
    (folder / "templates" / "agreement.docx").write_bytes(data)
    output = render_and_validate_fail(cli, folder)
    assert "agreement.docx" in output
    assert "root:" not in output
    if make is huge_part:
        assert "larger than" in output.lower() or "too large" in output.lower(), output


def test_folder_named_like_an_override_template_is_refused(cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    (folder / "templates" / "agreement.docx").mkdir(parents=True)
    output = render_and_validate_fail(cli, folder)
    assert "agreement.docx" in output


# --- D. logos -------------------------------------------------------------------------

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
       b'height="10"><rect width="10" height="10"/></svg>')


@pytest.mark.parametrize("make", [
    pytest.param(lambda: bytes(range(256)) * 8, id="corrupt"),
    pytest.param(lambda: small_png()[:40], id="truncated-png"),
    pytest.param(lambda: b"", id="empty"),
    pytest.param(lambda: SVG, id="svg"),
    pytest.param(lambda: small_png() + b"\0" * 12_000_000, id="12-MB"),
])
def test_unusable_logo_is_refused(make, cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    (folder / "logo.png").write_bytes(make())
    muni = folder / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8") + "logo: logo.png\n", encoding="utf-8")
    output = render_and_validate_fail(cli, folder)
    assert "logo" in output
    if (folder / "logo.png").stat().st_size > 10_000_000:
        assert "larger than" in output.lower() or "too large" in output.lower(), output


def test_real_logo_still_works(cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    (folder / "logo.png").write_bytes(small_png())
    muni = folder / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8") + "logo: logo.png\n", encoding="utf-8")
    assert cli("validate", str(folder)).exit_code == 0
    assert cli("render", str(folder), "--out", "out").exit_code == 0


# --- D. charts and numbers ------------------------------------------------------------

def _chart_case(folder: Path, kind: str, rows: str, *, chart: bool = True) -> None:
    stats = folder / "statistics.yaml"
    stats.write_text(stats.read_text(encoding="utf-8") + (
        "  fel:\n"
        "    columns: [År, Våld, Stöld]\n"
        f"    rows: {rows}\n"), encoding="utf-8")
    plan = folder / "plan.yaml"
    text = plan.read_text(encoding="utf-8")
    if chart:
        old = "          table: brott\n          kind: line\n"
        assert old in text
        text = text.replace(old, f"          table: fel\n          kind: {kind}\n")
    else:
        text = text.replace("      - table: brott\n", "      - table: fel\n", 1)
    plan.write_text(text, encoding="utf-8")


BIG = "1" + "0" * 400


@pytest.mark.parametrize("kind, rows, chart", [
    pytest.param("pie", '[["2024", 0, 0]]', True, id="pie-all-zero"),
    pytest.param("pie", '[["2024", 5, -1]]', True, id="pie-negative"),
    pytest.param("pie", '[["2024", 5, null]]', True, id="pie-missing-value"),
    pytest.param("pie", '[["2024", 5, .inf]]', True, id="pie-infinite"),
    pytest.param("line", '[["2024", 5, .inf], ["2025", 3, 4]]', True, id="line-infinite"),
    pytest.param("bar", '[["2024", -.inf, 2]]', True, id="bar-minus-infinite"),
    pytest.param("line", "[]", True, id="line-empty-table"),
    pytest.param("pie", "[]", True, id="pie-empty-table"),
    pytest.param("line", f'[["2024", {BIG}, 1]]', True, id="huge-number-in-chart"),
    pytest.param(None, f'[["2024", {BIG}, 1]]', False, id="huge-number-in-table"),
])
def test_chart_or_number_that_cannot_be_shown_is_refused(kind, rows, chart, cli,
                                                         tmp_path: Path) -> None:
    folder = provby(tmp_path)
    _chart_case(folder, kind, rows, chart=chart)
    output = render_and_validate_fail(cli, folder)
    located = re.compile(r"statistics\.yaml:\d+: tables\.fel|"
                         r"plan\.yaml:\d+: sections\[0\]\.content\[\d\]")
    assert located.search(output), output


def test_pie_with_real_values_still_renders(cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    _chart_case(folder, "pie", '[["2024", 5, 3]]')
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output


# --- D. output folder ---------------------------------------------------------------

def test_output_below_a_regular_file_is_refused(cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    Path("afile").write_text("not a folder\n")
    result = cli("render", str(folder), "--out", "afile/out")
    assert_clean_failure(result, out=None)
    assert Path("afile").read_text() == "not a folder\n"


def test_dangling_symlink_as_output_folder_is_refused(cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    Path("out").mkdir()
    gone = tmp_path / "elsewhere" / "gone"
    Path("out/provby").symlink_to(gone)
    result = cli("render", str(folder), "--out", "out")
    assert_clean_failure(result)
    assert not gone.exists() and not gone.parent.exists()


BAD_MANIFESTS = ["[]", '{"files": [1]}', '{"files": {"x.docx": 5}}', '"text"']


@pytest.mark.parametrize("content", BAD_MANIFESTS)
def test_manifest_of_the_wrong_shape(content: str, cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    out = Path("out/provby")
    out.mkdir(parents=True)
    (out / MANIFEST).write_text(content)
    # No generated file there yet: nothing to protect.
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    written = {p.name: p.read_bytes() for p in out.glob("*.docx")}
    assert sorted(written) == ["avtal.docx", "plan.docx"]
    # A document is there, differs from what would be written now, and the manifest
    # cannot vouch for it: refused.
    avtal = folder / "avtal.yaml"
    avtal.write_text(avtal.read_text(encoding="utf-8").replace(
        "Ett stycke.", "Ett annat stycke."), encoding="utf-8")
    (out / MANIFEST).write_text(content)
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "manifest" in scrub(result.output).lower()
    assert (out / MANIFEST).read_text() == content
    assert {p.name: p.read_bytes() for p in out.glob("*.docx")} == written
    # --force overwrites and writes a good manifest, which vouches for the files.
    result = cli("render", str(folder), "--out", "out", "--force")
    assert result.exit_code == 0, result.output
    assert (out / MANIFEST).read_text() != content
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("error, message", [
    (OSError(errno.ENOSPC, "No space left on device"), "No space left"),
    (PermissionError(errno.EACCES, "Permission denied"), "Permission denied"),
])
def test_full_disk_or_read_only_folder(error: OSError, message: str, cli, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = provby(tmp_path)
    # Warm up (fonts, caches) so only avtalsgen's own writes meet the failing mkstemp.
    assert cli("render", str(folder), "--out", "warm").exit_code == 0

    def mkstemp(*_args, **_kwargs):
        raise error

    monkeypatch.setattr("avtalsgen.output.tempfile.mkstemp", mkstemp)
    result = cli("render", str(folder), "--out", "out")
    output = assert_clean_failure(result)
    assert message in output
    assert "out/provby" in output


# --- D. diff and git revisions ------------------------------------------------------

def _git_repo(tmp_path: Path) -> None:
    shutil.copytree(MUNICIPALITIES / "lulea", tmp_path / "municipalities" / "lulea")
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
           "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "lulea"]):
        subprocess.run([*git, *args], cwd=tmp_path, check=True, capture_output=True,
                       timeout=60)


def test_diff_refuses_a_revision_that_looks_like_an_option(cli, tmp_path: Path) -> None:
    _git_repo(tmp_path)
    pwn = tmp_path / "x-pwn"
    result = cli("diff", "-o", "r.docx", "--doc", "samverkansoverenskommelse", "--",
                 f"--output={pwn}:municipalities/lulea", "lulea")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "revision" in scrub(result.output).lower()
    assert not pwn.exists() and not Path("/tmp/x-pwn").exists()
    assert not Path("r.docx").exists()


def test_diff_with_an_unknown_revision_is_a_plain_error(cli, tmp_path: Path) -> None:
    _git_repo(tmp_path)
    result = cli("diff", "-o", "r.docx", "--doc", "samverkansoverenskommelse",
                 "nosuch:municipalities/lulea", "lulea")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "nosuch" in result.output
    assert not Path("r.docx").exists()


# --- C. one bad municipality does not stop the batch -------------------------------

@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    shutil.copytree(MUNICIPALITIES, tmp_path / "municipalities")
    return tmp_path / "municipalities"


def _nul_in_skelleftea(seeds: Path) -> None:
    path = seeds / "skelleftea" / "underlag.yaml"
    data = path.read_bytes()
    assert b"title: Underlag\n" in data
    path.write_bytes(data.replace(b"title: Underlag\n", b"title: Under\0lag\n", 1))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_nul_byte_in_one_municipality_does_not_stop_the_batch(jobs: str, cli, seeds) -> None:
    _nul_in_skelleftea(seeds)
    result = cli("render", "--all", "--out", "out", "-j", jobs)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "skelleftea" in result.output
    assert re.search(r"\b3 written, 0 unchanged, 1 failed\b", result.output), result.output
    assert sorted(p.name for p in Path("out").iterdir()) == ["lulea", "strangnas"]
    assert len(list(Path("out/lulea").glob("*.docx"))) == 2
    assert len(list(Path("out/strangnas").glob("*.docx"))) == 1


def test_validate_all_reports_the_nul_byte_and_the_others_ok(cli, seeds) -> None:
    _nul_in_skelleftea(seeds)
    result = cli("validate")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "skelleftea" in result.output and "U+0000" in result.output
    ok = [line for line in result.output.splitlines() if line.startswith("ok ")]
    assert any("lulea" in line for line in ok) and any("strangnas" in line for line in ok)


def _named_files(output: str, under: Path) -> list[Path]:
    """Existing files under a folder that the output names by path."""
    found = []
    for token in re.findall(r"[^\s'\"`()\[\]<>,;]+", output):
        path = Path(token.rstrip(".:"))
        if not path.is_absolute():
            path = Path.cwd() / path
        if path.is_file() and path.resolve().is_relative_to(under.resolve()):
            found.append(path)
    return found


def test_bug_in_one_municipality_is_logged_and_the_others_rendered(
        cli, seeds, monkeypatch: pytest.MonkeyPatch) -> None:
    from avtalsgen import build

    original = build.render_bundle

    def render_bundle(bundle, *args, **kwargs):
        if bundle.slug == "skelleftea":
            raise RuntimeError("boom")
        return original(bundle, *args, **kwargs)

    monkeypatch.setattr(build, "render_bundle", render_bundle)
    result = cli("render", "--all", "--out", "out", "-j", "1")
    assert result.exit_code == 1, result.output
    assert "skelleftea" in result.output
    assert len(list(Path("out/lulea").glob("*.docx"))) == 2
    assert len(list(Path("out/strangnas").glob("*.docx"))) == 1
    logs = [p for p in _named_files(result.output, Path("out")) if p.suffix != ".docx"]
    assert logs, f"no log file under out/ named in:\n{result.output}"
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
    assert "Traceback" in text and "boom" in text


def test_bug_while_validating_one_municipality(cli, seeds,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from avtalsgen import build

    original = build.load

    def load(target, *args, **kwargs):
        if Path(str(target)).name == "skelleftea":
            raise RuntimeError("boom")
        return original(target, *args, **kwargs)

    monkeypatch.setattr(build, "load", load)
    result = cli("validate")
    assert result.exit_code == 1, result.output
    assert "skelleftea" in result.output
    ok = [line for line in result.output.splitlines() if line.startswith("ok ")]
    assert any("lulea" in line for line in ok) and any("strangnas" in line for line in ok)


# --- E. the manifest agrees with the files ----------------------------------------

def test_death_between_document_and_manifest_is_not_a_hand_edit(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from avtalsgen.output import Manifest

    folder = provby(tmp_path)
    original = Manifest.save
    calls: list[int] = []

    def save(self):
        if not calls:
            calls.append(1)
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(Manifest, "save", save)
    try:
        cli("render", str(folder), "--out", "out")
    except KeyboardInterrupt:
        pass
    assert calls, "Manifest.save was never called"
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output
    for path in Path("out/provby").glob("*.docx"):
        Document(str(path))


def test_deleted_manifest_with_untouched_files_renders_again(cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    assert cli("render", str(folder), "--out", "out").exit_code == 0
    before = {p.name: p.read_bytes() for p in Path("out/provby").glob("*.docx")}
    Path("out/provby", MANIFEST).unlink()
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in Path("out/provby").glob("*.docx")} == before
    assert Path("out/provby", MANIFEST).is_file()


@pytest.mark.parametrize("keep_manifest", [True, False], ids=["manifest", "no-manifest"])
def test_hand_edit_is_still_refused(keep_manifest: bool, cli, tmp_path: Path) -> None:
    folder = provby(tmp_path)
    assert cli("render", str(folder), "--out", "out").exit_code == 0
    path = Path("out/provby/avtal.docx")
    doc = Document(str(path))
    doc.add_paragraph("Ändrat i Word.")
    doc.save(str(path))
    edited = path.read_bytes()
    if not keep_manifest:
        Path("out/provby", MANIFEST).unlink()
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 2, result.output
    assert "refusing to overwrite" in result.output
    assert path.read_bytes() == edited


# --- F. concurrent runs on one output folder ------------------------------------------

# Each process imports avtalsgen, says it is ready, and waits for one start signal, so
# the four runs overlap as much as they can; then it runs `python -m avtalsgen ARGS`.
LAUNCHER = """
import os, runpy, sys, time
import avtalsgen.build, avtalsgen.cli
signals = sys.argv[1]
open(os.path.join(signals, f"ready-{os.getpid()}"), "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(os.path.join(signals, "go")) and time.monotonic() < deadline:
    time.sleep(0.002)
sys.argv = ["avtalsgen", *sys.argv[2:]]
runpy.run_module("avtalsgen", run_name="__main__", alter_sys=True)
"""


def _concurrent(args: list[str], cwd: Path, n: int = 4) -> list[tuple[int, str]]:
    """Run n `avtalsgen ARGS` processes at once; (exit code, stderr) of each."""
    import tempfile
    import time

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    signals = Path(tempfile.mkdtemp(dir=cwd, prefix="signals-"))
    processes = [subprocess.Popen([sys.executable, "-c", LAUNCHER, str(signals), *args],
                                  cwd=cwd, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(n)]
    results = []
    try:
        deadline = time.monotonic() + 60
        while (len(list(signals.glob("ready-*"))) < n and time.monotonic() < deadline
               and all(p.poll() is None for p in processes)):
            time.sleep(0.01)
        (signals / "go").touch()
        for process in processes:
            _out, err = process.communicate(timeout=120)
            results.append((process.returncode, err))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(signals, ignore_errors=True)
    return results


def _assert_whole(out: Path) -> None:
    files = sorted(out.glob("lulea/*.docx"))
    assert [p.name for p in files] == ["samverkansoverenskommelse.docx", "verksamhetsplan.docx"]
    for path in files:
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
        Document(str(path))


def test_concurrent_forced_renders_of_one_municipality(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["render", "lulea", "--force", "-q", "--root", str(MUNICIPALITIES), "--out", str(out)]
    for _round in range(3):
        for code, err in _concurrent(args, tmp_path):
            assert code == 0, err
            assert "Traceback" not in err and "FileNotFoundError" not in err, err
        _assert_whole(out)


def test_concurrent_renders_without_force_do_not_refuse_each_other(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["render", "lulea", "-q", "--root", str(MUNICIPALITIES), "--out", str(out)]
    from avtalsgen.build import Options, render_municipality

    render_municipality("lulea", Options(out_dir=out), root=MUNICIPALITIES)  # the first run
    for code, err in _concurrent(args, tmp_path):
        assert code == 0, err
        assert "Traceback" not in err and "refusing" not in err, err
    _assert_whole(out)


def test_stale_temp_files_of_dead_processes_are_cleaned_not_live_ones(cli, tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait(timeout=30)
    try:
        os.kill(dead.pid, 0)
    except ProcessLookupError:
        pass
    else:  # pragma: no cover - the pid was reused at once
        pytest.skip("the pid of a finished process is in use again")
    live = subprocess.Popen(["sleep", "30"])
    try:
        folder = Path("out/lulea")
        folder.mkdir(parents=True)
        name = "samverkansoverenskommelse.docx"
        stale = folder / f".{name}.{dead.pid}.k2j4h5g6.tmp"
        busy = folder / f".{name}.{live.pid}.a1b2c3d4.tmp"
        stale.write_bytes(b"half a document")
        busy.write_bytes(b"being written")
        result = cli("render", "lulea", "--root", str(MUNICIPALITIES), "--out", "out")
        assert result.exit_code == 0, result.output
        assert not stale.exists(), "the dead process's temporary file is still there"
        assert busy.exists(), "the temporary file of a live process was removed"
        assert busy.read_bytes() == b"being written"
    finally:
        live.kill()
        live.wait(timeout=30)


# --- G. a municipality folder that is a symlink ----------------------------------------

def test_symlinked_municipality_renders_under_the_link_name(cli, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "realname"
    shutil.copytree(MUNICIPALITIES / "lulea", real)
    Path("municipalities").mkdir()
    Path("municipalities/alias").symlink_to(real)
    result = cli("render", "alias", "--root", "municipalities", "--out", "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in Path("out").iterdir()) == ["alias"]
    assert len(list(Path("out/alias").glob("*.docx"))) == 2


# --- the raw-character and UTF-16 cases live in bad_configs/cases.yaml -------------

def test_corpus_holds_the_raw_character_and_utf16_cases() -> None:
    expected = {"U+0000", "U+0001", "U+007F", "U+009B", "U+FFFF", "UTF-16"}
    found = {e for case in CASES for text in case["expect"] for e in expected if e in text}
    assert found == expected
    utf16 = [base64.b64decode(c["bytes"]) for c in CASES
             if any("UTF-16" in e for e in c["expect"])]
    assert len(utf16) == 2
    assert not any(data.startswith((b"\xff\xfe", b"\xfe\xff")) for data in utf16)  # no BOM
