"""Issue 24: `avtalsgen next-year` on the `init` example in a git repository: one
commit that follows the year up and starts next year's draft, and a tag on the year's
approved commit."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import git
from docx import Document
from lxml import etree

from avtalsgen import approvals
from avtalsgen.build import init_municipality, load, render_bundle, start_next_year
from avtalsgen.errors import ConfigError


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The `init` example, committed and approved by both parties."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.org")
    git(root, "config", "user.name", "Test")
    folder = init_municipality("testby", root / "municipalities", name="Testby")
    commit_all(root, "testby")
    for party in approvals.PARTIES:
        approvals.approve(folder, party, f"Godkännare {party}", approvals.content_key(folder))
    return root


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def measures_of(plan: dict) -> list[dict]:
    blocks = [b["measures"] for s in plan["sections"] for b in s.get("content", [])
              if isinstance(b, dict) and "measures" in b]
    return [m for b in blocks for c in b["causes"] for m in c["measures"]]


def test_next_year_in_one_commit_with_a_tag(repo: Path) -> None:
    folder = repo / "municipalities" / "testby"
    approved = git(repo, "rev-parse", "HEAD").strip()
    commits = int(git(repo, "rev-list", "--count", "HEAD"))
    done = start_next_year("testby", repo / "municipalities", author="Samordnare")

    assert (done.year, done.carried, done.closed) == (2025, 2, 1)
    assert int(git(repo, "rev-list", "--count", "HEAD")) == commits + 1
    assert done.commit == git(repo, "rev-parse", "HEAD").strip()
    changed = git(repo, "show", "--name-only", "--format=%an|%s", "HEAD").split("\n")
    assert changed[0].startswith("Samordnare|testby: ") and "(2026)" in changed[0]
    assert sorted(f.rsplit("/", 1)[-1] for f in changed[1:] if f) == [
        "approvals.yaml", "handlingsplan.yaml", "municipality.yaml", "statistics.yaml",
        "uppfoljning-2025.yaml"]
    assert git(repo, "status", "--porcelain").strip() == ""
    # The year that ended is reachable: its approved commit, tagged.
    assert done.tag == "testby-2025"
    assert git(repo, "rev-parse", "testby-2025^{commit}").strip() == approved

    plan = read(folder / "handlingsplan.yaml")
    assert (plan["title"], plan["year"], "adopted" in plan) == ("Handlingsplan 2026", 2026,
                                                                False)
    going = measures_of(plan)
    assert [(m["measure"], m["progress"]) for m in going] == [
        ("Fältassistenter i centrum", "ongoing"), ("Byta belysning i tre gångtunnlar",
                                                   "planned")]
    assert all("outcome" not in m for m in going)
    text = (folder / "handlingsplan.yaml").read_text(encoding="utf-8")
    assert "# avsnittet i lägesbilden" in text  # the file's comments stay

    follow_up = read(folder / "uppfoljning-2025.yaml")
    assert (follow_up["type"], follow_up["title"], follow_up["year"]) == (
        "follow_up", "Uppföljning av åtgärdsplanen 2025", 2025)
    assert [m["measure"] for m in measures_of(follow_up)] == [
        "Öppna fritidsgården fredagskvällar", "Fältassistenter i centrum",
        "Byta belysning i tre gångtunnlar"]
    assert measures_of(follow_up)[0]["outcome"].startswith("I snitt 46")

    muni = read(folder / "municipality.yaml")
    assert (muni["version"], muni.get("status", "draft")) == ("0.1", "draft")
    assert muni["documents"][-1] == "uppfoljning-2025"
    assert muni["period"] == {"start": 2025, "end": 2028}
    stats = read(folder / "statistics.yaml")
    assert stats["tables"]["anmalda_brott"]["columns"][-1] == "2025"
    assert all(row[-1] is None for row in stats["tables"]["anmalda_brott"]["rows"])
    assert stats["tables"]["medborgardialog"]["columns"] == ["Svar", "Antal"]
    now = approvals.state(folder)
    assert now.recorded and not now.final and not now.valid


def test_the_new_year_validates_and_its_follow_up_names_every_measure(repo: Path,
                                                                       tmp_path: Path) -> None:
    start_next_year("testby", repo / "municipalities")
    bundle = load("testby", repo / "municipalities")
    out = tmp_path / "uppfoljning.docx"
    out.write_bytes(render_bundle(bundle, ["uppfoljning-2025"])["uppfoljning-2025"])
    doc = Document(str(out))
    rows = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("1.1", "Öppna fritidsgården fredagskvällar", "Genomförd"),
        ("1.2", "Fältassistenter i centrum", "Pågår"),
        ("2.1", "Byta belysning i tre gångtunnlar", "Planerad")]
    assert rows[1][5] == ("Besökare per fredagskväll på fritidsgården: 12 (2024) → 46 (2025) "
                          "→ 40 (2025)")


def test_a_year_is_followed_up_once(repo: Path) -> None:
    start_next_year("testby", repo / "municipalities")
    (repo / "municipalities" / "testby" / "handlingsplan.yaml").write_text(
        (repo / "municipalities" / "testby" / "handlingsplan.yaml").read_text(
            encoding="utf-8").replace("year: 2026", "year: 2025"), encoding="utf-8")
    with pytest.raises(ConfigError, match="already been followed up"):
        start_next_year("testby", repo / "municipalities")


def test_the_command(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    done = subprocess.run([str(Path(__file__).parents[1] / ".venv" / "bin" / "avtalsgen"),
                           "next-year", "testby"], capture_output=True, text=True,
                          env={"LANG": "sv_SE.UTF-8", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "uppfoljning-2025" in done.stdout and "testby-2025" in done.stdout


def test_the_redline_against_last_years_tag(repo: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The year moved on and a change made after it, as tracked changes against the
    tag; last year's approved version renders although the example's placeholders
    would keep it from a final render today."""
    monkeypatch.chdir(repo)
    avtalsgen = str(Path(__file__).parents[1] / ".venv" / "bin" / "avtalsgen")
    env = {"LANG": "sv_SE.UTF-8", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([avtalsgen, "next-year", "testby"], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    plan = repo / "municipalities" / "testby" / "handlingsplan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "Fältassistenter i centrum", "Fältassistenter i centrum och vid stationen"),
        encoding="utf-8")
    out = tmp_path / "redline.docx"
    done = subprocess.run([avtalsgen, "diff", "testby-2025:municipalities/testby", "testby",
                           "--doc", "handlingsplan", "-o", str(out)], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as docx:
        body = etree.fromstring(docx.read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    inserted = ["".join(e.itertext()) for e in body.iter(f"{w}ins")]
    deleted = ["".join(e.itertext()) for e in body.iter(f"{w}del")]
    assert "2026" in inserted and "2025" in deleted  # the year, in the title and plan
    assert any("vid stationen" in text for text in inserted)
    assert any("Öppna fritidsgården" in text for text in deleted)  # done, left the plan
    assert any("Godkänd för kommunen" in text for text in deleted)  # approvals cleared
