"""Comparisons people read: the history by date, author and message without commit
hashes; the default comparisons (since the import, since the last approved version,
since last year), each only when it exists; changes in tables shown in place."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import GIT_ENV, MUNICIPALITIES
from docx import Document
from starlette.testclient import TestClient

from avtalsgen import approvals
from avtalsgen.web.app import create_app
from avtalsgen.web.views.worddiff import word_diff

HISTORY = "/k/skelleftea/historik"
DOC = "skelleftea/underlag.yaml"
HEX = re.compile(r"\b[0-9a-f]{7,40}\b")


def git(root: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, timeout=60,
                          capture_output=True, text=True).stdout


def edit(root: Path, old: str, new: str, message: str, date: str | None = None) -> None:
    path = root / DOC
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    git(root, "commit", "-qam", message, date=date)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The seeds committed last year; this year Skellefteå's underlag imported, changed,
    approved and changed again."""
    root = tmp_path / "municipalities"
    shutil.copytree(MUNICIPALITIES, root)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "Start", date=f"{dt.date.today().year - 1}-06-01T12:00:00")
    edit(root, "title: Underlag", "title: Underlag 2025", "skelleftea: underlag.docx inläst")
    edit(root, "heading: Inledning", "heading: Inledning och syfte",
         "underlag: avsnittet Inledning ändrat (Anna)")
    # The kommun's approval (the polis has not approved yet: still a draft).
    approvals.approve(root / "skelleftea", "kommun", "Anna", approvals.content_key(
        root / "skelleftea"))
    edit(root, "för åren 2021–2025", "för åren 2022–2026", "underlag: åren ändrade (Bo)")
    return root


@pytest.fixture
def client(root: Path) -> TestClient:
    return TestClient(create_app(root), base_url="http://127.0.0.1")


def visible(html: str) -> str:
    main = html.split("<main", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_history_shows_dates_authors_and_messages_without_hashes(client: TestClient,
                                                                  root: Path) -> None:
    html = client.get(HISTORY).text
    text = visible(html)
    assert not HEX.findall(text), HEX.findall(text)
    assert "Underlag 2025: åren ändrade (Bo)" in text  # the document by its title
    for commit in git(root, "log", "--format=%H").split():
        assert commit[:7] not in text
    # The free choice: options by date, author and message; "Från" is not the newest.
    options = re.findall(r'<select id="fran"[^>]*>(.*?)</select>', html, re.S)[0]
    assert "selected" not in options.split("</option>")[0]
    assert "· Test · Start" in options


def test_default_comparisons_are_links_for_each_document(client: TestClient) -> None:
    html = client.get(HISTORY).text
    section = html.split("<h3>Underlag 2025</h3>", 1)[1].split("<h3>", 1)[0]
    links = re.findall(r'<a href="([^"]+)">Ändringar ([^<]+)</a>', section)
    assert [words for _href, words in links] == [
        "sedan inläsningen", "sedan senast godkända versionen", "sedan förra året"]
    # Medborgarlöften was never imported: the approval and last year only.
    other = html.split("<h3>Medborgarlöften</h3>", 1)[1].split("<h3>", 1)[0]
    assert re.findall(r">Ändringar ([^<]+)</a>", other) == [
        "sedan senast godkända versionen", "sedan förra året"]


def test_each_default_comparison_starts_where_it_says(client: TestClient) -> None:
    def changes(since: str) -> str:
        answer = client.get(f"/k/skelleftea/andringar?fran={since}&till=arbetskopia"
                            "&dok=underlag")
        assert answer.status_code == 200, visible(answer.text)[:800]
        return answer.text

    imported = changes("inlasningen")
    assert "Från inläsningen (" in visible(imported)
    assert "<ins>och syfte</ins>" in imported and "<ins>2022–2026.</ins>" in imported
    assert "<del>Underlag</del>" not in imported  # the import itself is not a change
    approved = changes("godkand")
    assert "<ins>och syfte</ins>" not in approved and "<ins>2022–2026.</ins>" in approved
    last_year = changes("forra-aret")
    assert "<ins>2025</ins>" in last_year and "<ins>och syfte</ins>" in last_year
    assert not HEX.findall(visible(imported))


def test_a_default_that_does_not_exist_is_not_offered(tmp_path: Path) -> None:
    root = tmp_path / "municipalities"
    shutil.copytree(MUNICIPALITIES, root)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "Start")
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    html = client.get(HISTORY).text
    assert "Ändringar sedan" not in html and "välj två versioner nedan" in html
    answer = client.get("/k/skelleftea/andringar?fran=inlasningen&dok=underlag")
    assert answer.status_code == 404 and "Det finns ingen version" in answer.text


def docx(cell: str, head: str = "År") -> bytes:
    document = Document()
    document.add_paragraph("Före tabellen står detta.")
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([(head, "Antal"), ("2021", "12"), ("2022", cell)]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_paragraph("Efter tabellen kommer detta.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_changed_table_cell_shows_in_place(client: TestClient) -> None:
    html, inserted, deleted = word_diff(docx("14"), docx("15"))
    before, table, after = (html.index(t) for t in ("Före tabellen", "<table",
                                                    "Efter tabellen"))
    assert before < table < after  # between the paragraphs around it, not at the end
    cell = re.search(r'<td class="changed">(.*?)</td>', html).group(1)
    assert cell == "<del>14</del> <ins>15</ins>"
    assert "<td>12</td>" in html and (inserted, deleted) == (1, 1)
    # A changed first row (the table's header) is still the same table, cell by cell.
    html, inserted, deleted = word_diff(docx("14"), docx("15", head="Årtal"))
    assert html.count("<table") == 1 and (inserted, deleted) == (2, 2)
    assert '<th scope="col" class="changed"><del>År</del> <ins>Årtal</ins></th>' in html
    # A table added: every cell inserted, in place.
    plain = Document()
    plain.add_paragraph("Före tabellen står detta.")
    plain.add_paragraph("Efter tabellen kommer detta.")
    out = io.BytesIO()
    plain.save(out)
    html, inserted, deleted = word_diff(out.getvalue(), docx("14"))
    assert html.index("Före") < html.index("<table") < html.index("Efter")
    assert "<ins>2022</ins>" in html and deleted == 0


def test_a_statistics_change_shows_in_its_table_on_the_page(client: TestClient,
                                                            root: Path) -> None:
    # The chart's numbers as a table too, right after the chart, then a number changed.
    edit(root, "              - chart:\n                  table: otrygghet_grundskola\n",
         "              - table: otrygghet_grundskola\n"
         "              - chart:\n                  table: otrygghet_grundskola\n",
         "underlag: tabell tillagd")
    rev = git(root, "rev-parse", "HEAD").strip()
    path = root / "skelleftea" / "statistics.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("[Flickor, 10, 12, 14, 16, 19]",
                                 "[Flickor, 10, 12, 15, 16, 19]", 1), "utf-8")
    git(root, "commit", "-qam", "statistik ändrad")
    page = client.get(f"/k/skelleftea/andringar?fran={rev}&dok=underlag").text
    diff = page.split('<div class="diff"', 1)[1]
    cell = re.search(r'<td class="changed">(.*?)</td>', diff)
    assert cell and "<del>14" in cell.group(1) and "<ins>15" in cell.group(1), diff[:3000]
    # In place: after the text before the table, before the text after it.
    at = diff.index('<td class="changed">')
    assert diff.index("oroväckande trend") < at < diff.index("Gymnasiet")
    assert diff.count('class="changed"') == 1
    assert not HEX.findall(visible(page))
