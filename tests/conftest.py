"""Shared fixtures: the repository, rendered seed municipalities, docx readers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from avtalsgen.build import Options, render_many
from avtalsgen.cli import main

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SEEDS = TESTS / "fixtures" / "seeds"  # the published documents the seeds reproduce
MUNICIPALITIES = REPO / "municipalities"

# git as on a fresh server: no global or system configuration; the commits the tests
# make themselves are by "Test".
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          check=True, timeout=60, env={**os.environ, **GIT_ENV}).stdout


def seed_repository(base: Path, change: Callable[[Path], None] | None = None) -> Path:
    """base/municipalities: the seed municipalities in a git repository, committed once
    (after change(root), when given)."""
    root = base / "municipalities"
    shutil.copytree(MUNICIPALITIES, root)
    if change is not None:
        change(root)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "Start")
    return root


def reopen_final_seeds(root: Path) -> None:
    """Luleå's and Strängnäs' seeds are final, so locked in the editor: reopened (an
    empty approval record) for tests that edit them as drafts."""
    from avtalsgen import approvals

    for slug in ("lulea", "strangnas"):
        approvals.reopen(root / slug, "Test", "tests edit it")


def make_draft(root: Path, slug: str) -> None:
    """Turn a final seed municipality into a draft (so it can be approved again)."""
    path = root / slug / "municipality.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nstatus: final\n" in text
    path.write_text(text.replace("\nstatus: final\n", "\nstatus: draft\n"), encoding="utf-8")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answering(url: str, alive: Callable[[], bool], seconds: float = 20) -> None:
    """Wait for a server starting at url to answer 200 (after redirects); fail when it
    died or did not answer in time."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or an HTTP error
            pass
        if not alive():
            pytest.fail(f"the server at {url} stopped before it answered")
        if time.monotonic() > deadline:
            pytest.fail(f"the server did not answer at {url} within {seconds} s")
        time.sleep(0.05)


# The document of each seed text: (municipality, document name, seed file).
SEED_DOCUMENTS = [
    ("lulea", "samverkansoverenskommelse", "lulea-samverkansoverenskommelse-2020-2023.txt"),
    ("lulea", "verksamhetsplan", "lulea-verksamhetsplan-2020-2021.txt"),
    ("skelleftea", "underlag", "skelleftea-underlag-samverkansavtal-2021-2025.txt"),
    ("strangnas", "samverkansoverenskommelse",
     "strangnas-samverkansoverenskommelse-2020-2023.txt"),
]


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI and str(problem) speak the environment's language (avtalsgen.messages):
    tests read English whatever the machine's locale; tests of Swedish set LANG."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every seed municipality rendered once into a fresh output folder, as its config
    says (Skellefteå is a draft: its charts show sample data, which a final refuses)."""
    out = tmp_path_factory.mktemp("output")
    outcomes = render_many(["lulea", "skelleftea", "strangnas"],
                           Options(out_dir=out), root=MUNICIPALITIES)
    for outcome in outcomes:
        assert outcome.error is None, f"{outcome.slug}: {outcome.error}"
    return out


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Run the CLI in a temporary working directory; returns a caller."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


def paragraphs(path: Path) -> list[tuple[str, str]]:
    """(style name, text) of every body paragraph, as a reader sees them."""
    doc = Document(str(path))
    return [(p.style.name, p.text) for p in doc.paragraphs]


def all_text(path: Path) -> str:
    """Body paragraphs and table cells, in order, one per line."""
    doc = Document(str(path))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" | ".join(c.text for c in row.cells))
    return "\n".join(lines)


def missing(what: str, install: str) -> None:
    """A program or package a test needs is not here: a failure on CI (env CI set, where
    .ci/run installs everything), a skip with the command that installs it elsewhere."""
    message = f"{what} is not installed ({install})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; it is required on CI")
    pytest.skip(message)


def tool(name: str, install: str = "apt-get install poppler-utils") -> str:
    """The path of a program the test needs (pdftotext, pdftoppm, ...); see missing()."""
    found = shutil.which(name)
    if not found:
        missing(name, install)
    assert found is not None
    return found


def soffice() -> str:
    """Path of LibreOffice; see missing()."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        missing("LibreOffice (soffice)", "apt-get install libreoffice-writer-nogui")
    assert found is not None
    return found


def convert_to_pdf(files: list[Path], outdir: Path) -> subprocess.CompletedProcess[str]:
    profile = outdir / "lo-profile"
    return subprocess.run(
        [soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
        capture_output=True, text=True, timeout=300, check=False)


def write_municipality(folder: Path, municipality: dict, documents: dict[str, dict],
                       statistics: dict | None = None) -> Path:
    """Write a municipality folder from Python data (yaml.safe_dump quotes any text)."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    data = {**municipality, "documents": list(documents)}
    (folder / "municipality.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name, doc in documents.items():
        (folder / f"{name}.yaml").write_text(
            yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if statistics is not None:
        (folder / "statistics.yaml").write_text(
            yaml.safe_dump(statistics, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def minimal_municipality(**overrides) -> dict:
    base = {
        "kommun": {"name": "Exempelby kommun", "short_name": "Exempelby",
                   "demonym": {"indefinite": "exempelbybor", "definite": "exempelbyborna"}},
        "polis": {"name": "Lokalpolisområde Exempelby", "short_name": "Exempelby"},
        "period": {"start": 2025, "end": 2028},
        "signing": {"place": "Exempelby", "date": "2025-03-01", "signatories": [
            {"name": "Anna Andersson", "title": "Kommunstyrelsens ordförande",
             "party": "kommun"},
            {"name": "Bo Berg", "title": "Lokalpolisområdeschef", "party": "polis"}]},
    }
    base.update(overrides)
    return base


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def visible_paragraphs(path: Path) -> list[tuple[str, str]]:
    """(style name, text) of every body paragraph with Word's numbering applied, as a
    reader sees it in Word: "1. Samverkan", "6.1 Trygghet", "2.\tEtt mål"."""
    doc = Document(str(path))
    formats: dict[str, dict[int, tuple[str, str]]] = {}
    numbering = doc.part.numbering_part.element
    abstract = {a.get(f"{W}abstractNumId"): a for a in numbering.iter(f"{W}abstractNum")}
    starts: dict[str, dict[int, int]] = {}
    for num in numbering.iter(f"{W}num"):
        levels = abstract[num.find(f"{W}abstractNumId").get(f"{W}val")]
        starts[num.get(f"{W}numId")] = {
            int(o.get(f"{W}ilvl")): int(o.find(f"{W}startOverride").get(f"{W}val"))
            for o in num.iter(f"{W}lvlOverride") if o.find(f"{W}startOverride") is not None}
        formats[num.get(f"{W}numId")] = {
            int(lvl.get(f"{W}ilvl")): (
                lvl.find(f"{W}lvlText").get(f"{W}val"),
                {"space": " ", "nothing": ""}.get(
                    lvl.find(f"{W}suff").get(f"{W}val") if lvl.find(f"{W}suff") is not None
                    else "tab", "\t"))
            for lvl in levels.iter(f"{W}lvl")}
    counters: dict[str, list[int]] = {}
    out = []
    for p in doc.paragraphs:
        num_pr = p._p.find(f"{W}pPr/{W}numPr")
        text = p.text
        if num_pr is not None:
            num_id = num_pr.find(f"{W}numId").get(f"{W}val")
            level = int(num_pr.find(f"{W}ilvl").get(f"{W}val"))
            count = counters.setdefault(num_id, [0] * 9)
            # A level counts from its start (startOverride) when it begins afresh.
            count[level] = count[level] + 1 if count[level] else starts[num_id].get(level, 1)
            for deeper in range(level + 1, 9):
                count[deeper] = 0
            pattern, suffix = formats[num_id][level]
            label = pattern
            for k in range(9):
                label = label.replace(f"%{k + 1}", str(count[k]))
            text = label + suffix + text
        out.append((p.style.name, text))
    return out


def small_png() -> bytes:
    """A small real PNG (a logo or a picture in a test config)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(0.5, 0.5), dpi=40)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def form_fields(html: str) -> dict[str, str]:
    """Inputs, textareas and selects of an editing form as a browser would post them (a
    name that repeats keeps its last value; the pages tested repeat none that matter)."""
    from html.parser import HTMLParser

    out: dict[str, str] = {}

    class Parser(HTMLParser):
        textarea: str | None = None
        select: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("submit",):
                if a.get("type") == "checkbox" and "checked" not in a:
                    return
                out[a["name"]] = a.get("value") or ""
            elif tag == "textarea":
                self.textarea = a.get("name")
                out[self.textarea or ""] = ""
            elif tag == "select":
                self.select = a.get("name")
            elif tag == "option" and self.select and "selected" in a:
                out[self.select] = a.get("value", "")

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.textarea = None
            if tag == "select":
                self.select = None

        def handle_data(self, data):
            if self.textarea:
                out[self.textarea] += data

    Parser().feed(html)
    return out
