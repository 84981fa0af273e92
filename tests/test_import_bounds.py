"""Bounded imports (issue 19): no upload can take the server down.

The suite keeps generators for the troublesome files, not the files: a .docx of a few
hundred KB whose document.xml unpacks to 55 MB, a workbook whose sheet unpacks far
beyond its size, and legal but long documents (slow to read, or giving a YAML file
larger than the editor can handle).
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from pathlib import Path

import pytest
from conftest import git, seed_repository
from starlette.testclient import TestClient

from avtalsgen import spreadsheets
from avtalsgen.errors import AvtalsgenError
from avtalsgen.importing import bounded, limits
from avtalsgen.importing.bounded import run_import
from avtalsgen.importing.limits import ImportLimitError
from avtalsgen.importing.word import import_docx
from avtalsgen.web.app import create_app

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MUNI = "skelleftea"  # a draft: imports into it are allowed


# --- generators ----------------------------------------------------------------------

def bomb_docx(path: Path, unpacked: int = 55_000_000) -> Path:
    """A real .docx whose document.xml is ~55 MB of paragraphs (one in fifty numbered,
    so it does not pack to nothing): about 250 KB on disk, 220 times larger unpacked."""
    from docx import Document

    base = io.BytesIO()
    Document().save(base)
    same = b"<w:p><w:r><w:t>Kommunen och polisen samverkar om trygghet.</w:t></w:r></w:p>"
    with zipfile.ZipFile(base) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info.filename, src.read(info.filename))
        with out.open("word/document.xml", "w") as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                       b"<w:document " + W_NS.encode() + b"><w:body>")
            written, block = 0, 0
            while written < unpacked:
                block += 1
                chunk = same * 49 + (f"<w:p><w:r><w:t>Punkt {block}.</w:t></w:r></w:p>"
                                     .encode())
                part.write(chunk)
                written += len(chunk)
            part.write(b"<w:sectPr/></w:body></w:document>")
    return path


def bomb_xlsx(path: Path, padding: int = 60_000_000) -> Path:
    """A workbook with a small, good table, its sheet XML padded with 60 MB of
    whitespace: some 60 KB on disk."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Anmälda brott"
    for row in (["Brott", "2023", "2024"], ["Stöld", 120, 98], ["Skadegörelse", 40, 51]):
        sheet.append(row)
    base = io.BytesIO()
    book.save(base)
    with zipfile.ZipFile(base) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with out.open(info.filename, "w") as part:
                part.write(head)
                for _ in range(padding // 1_000_000):
                    part.write(b" " * 1_000_000)
                part.write(b"</sheetData>" + tail)
    return path


def long_docx(path: Path, paragraphs: int) -> Path:
    """A legal agreement of many ordinary paragraphs of varied words, a heading every
    fifty (10 000 paragraphs: ~2.8 MB unpacked, a YAML file of ~2.9 MB)."""
    import random

    from docx import Document

    words = ["kommun", "polis", "trygghet", "samverkan", "åtgärd", "brott", "skola",
             "ungdom", "insats", "uppföljning"]
    rnd = random.Random(1)
    body = ['<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>'
            "Samverkansöverenskommelse Ekby</w:t></w:r></w:p>"]
    for i in range(paragraphs):
        if i % 50 == 0:
            body.append(f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>'
                        f"Avsnitt {i // 50 + 1}</w:t></w:r></w:p>")
        text = " ".join(rnd.choice(words) for _ in range(31))[:250]
        body.append(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
    base = io.BytesIO()
    Document().save(base)
    with zipfile.ZipFile(base) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                head, tail = data.split(b"<w:body>")
                data = head + b"<w:body>" + "".join(body).encode() + \
                    tail[tail.index(b"<w:sectPr"):]
            out.writestr(info.filename, data)
    return path


# --- helpers -------------------------------------------------------------------------

@pytest.fixture
def root(tmp_path: Path) -> Path:
    return seed_repository(tmp_path)


@pytest.fixture
def client(root: Path) -> TestClient:
    return TestClient(create_app(root), base_url="http://127.0.0.1")


def token(client: TestClient) -> str:
    found = re.search(r'name="form:csrf" value="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def upload(client: TestClient, path: Path, kind: str = DOCX, name: str | None = None):
    return client.post(f"/k/{MUNI}/importera", data={"form:csrf": token(client)},
                       files={"fil": (name or path.name, path.read_bytes(), kind)})


def snapshot(folder: Path) -> dict[str, bytes]:
    """The folder's files and their bytes (not the lock file a save outside git uses)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".avtalsgen.lock"}


def no_server_path(text: str, *paths: Path) -> None:
    assert "/tmp" not in text
    for path in paths:
        assert str(path) not in text
    assert not re.search(r"(?<![\w.:/])/(home|work|var|usr|root|srv|opt)/", text), text


def rss() -> int:
    """The test process's resident memory now, in bytes."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


def worker_children() -> list[int]:
    """This process's children that are import workers (still running or unreaped)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"avtalsgen.importing.worker" in cmdline:
            found.append(int(stat.parent.name))
    return found


# --- the tests -----------------------------------------------------------------------

def test_a_55_mb_docx_bomb_is_refused_by_the_cli_quickly(cli, tmp_path: Path) -> None:
    bomb = bomb_docx(tmp_path / "avtal.docx")
    assert bomb.stat().st_size < 400_000
    start = time.monotonic()
    result = cli("import", "avtal.docx", "--into", "municipalities/ekby", "--name", "Ekby")
    seconds = time.monotonic() - start
    assert result.exit_code == 2, result.output
    assert "packas upp" in result.output and "avtal.docx" in result.output
    assert "Traceback" not in result.output
    assert seconds < 5, seconds
    assert not Path("municipalities").exists()


def test_a_55_mb_docx_bomb_is_refused_by_the_web_without_growing_the_server(
        client: TestClient, root: Path, tmp_path: Path) -> None:
    bomb = bomb_docx(tmp_path / "avtal.docx")
    before = snapshot(root / MUNI)
    client.get("/")  # the app and its templates loaded before measuring
    memory = rss()
    start = time.monotonic()
    response = upload(client, bomb)
    seconds = time.monotonic() - start
    grown = rss() - memory
    assert response.status_code in (413, 422), response.text[:500]
    assert seconds < 5, seconds
    assert grown < 100_000_000, grown
    assert "packas upp" in response.text and "avtal.docx" in response.text
    no_server_path(response.text, root, tmp_path)
    assert snapshot(root / MUNI) == before


def test_the_server_keeps_no_memory_of_a_large_legal_import(
        client: TestClient, root: Path, tmp_path: Path) -> None:
    """The work is done in the worker: a 2 000-paragraph document read and saved does
    not grow the server process."""
    source = long_docx(tmp_path / "plan.docx", 2_000)
    client.get("/")
    memory = rss()
    response = upload(client, source)
    grown = rss() - memory
    assert response.status_code == 200, response.text[:500]
    assert grown < 100_000_000, grown
    assert "inläst" in git(root, "log", "-1", "--format=%s")


def test_a_ratio_bomb_workbook_is_refused(client: TestClient, root: Path, cli,
                                          tmp_path: Path) -> None:
    bomb = bomb_xlsx(tmp_path / "brott.xlsx")
    assert bomb.stat().st_size < 1_000_000
    before = snapshot(root / MUNI)
    start = time.monotonic()
    response = upload(client, bomb, XLSX)
    assert time.monotonic() - start < 5
    assert response.status_code == 413, response.text[:500]
    assert "gånger sin storlek" in response.text or "packas upp" in response.text
    no_server_path(response.text, root, tmp_path)
    assert snapshot(root / MUNI) == before
    result = cli("import", "brott.xlsx", "--into", "ut/ekby")
    assert result.exit_code == 2 and "packas upp" in result.output, result.output
    assert not Path("ut").exists()
    with pytest.raises(spreadsheets.SheetError, match="packas upp"):  # `from:` too
        spreadsheets.read_sheets(bomb)


def test_a_worker_over_its_time_limit_is_killed(client: TestClient, root: Path,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    source = long_docx(tmp_path / "plan.docx", 10_000)  # ~2.5 s to read: legal, slow
    monkeypatch.setattr(limits, "TIME_LIMIT", 0.5)
    before = snapshot(root / MUNI)
    start = time.monotonic()
    response = upload(client, source)
    assert time.monotonic() - start < 3
    assert response.status_code == 422, response.text[:500]
    assert "sekunder och avbröts" in response.text and "plan.docx" in response.text
    no_server_path(response.text, root, tmp_path)
    assert snapshot(root / MUNI) == before
    assert worker_children() == []  # killed and reaped


def test_a_worker_over_its_memory_limit_is_stopped(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    source = long_docx(tmp_path / "plan.docx", 40_000)  # legal; ~300 MB to read
    monkeypatch.setattr(limits, "MEMORY_LIMIT", 100 << 20)  # its modules need ~55 MB
    start = time.monotonic()
    with pytest.raises(AvtalsgenError) as refused:
        run_import(source, tmp_path / "ekby", shown="plan.docx")
    assert time.monotonic() - start < 10
    # Out of memory in Python, or in lxml (which says the XML is damaged): refused.
    assert re.search(r"100 MB minne|damaged", str(refused.value)), str(refused.value)
    assert str(tmp_path) not in str(refused.value)
    assert not (tmp_path / "ekby").exists()
    assert worker_children() == []


def test_an_import_giving_too_large_a_yaml_file_writes_nothing(cli, tmp_path: Path) -> None:
    long_docx(tmp_path / "plan.docx", 10_000)  # its YAML would be ~2.9 MB
    result = cli("import", "plan.docx", "--into", "municipalities/ekby", "--name", "Ekby")
    assert result.exit_code == 2, result.output
    assert "MB" in result.output and "inget har sparats" in result.output
    assert not Path("municipalities").exists()


def test_too_many_paragraphs_are_refused_before_the_slow_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from avtalsgen.importing import word_read

    source = long_docx(tmp_path / "plan.docx", 200)
    monkeypatch.setattr(limits, "MAX_PARAGRAPHS", 100)  # in this process: read directly
    with pytest.raises(ImportLimitError, match="fler än 100 stycken"):
        word_read.open_docx(source)


def test_a_bounded_import_writes_what_a_direct_one_does(root: Path, tmp_path: Path) -> None:
    """Into an existing municipality: the same bytes as import_docx writes, and the
    changed municipality.yaml committed."""
    source = long_docx(tmp_path / "plan.docx", 300)
    direct = tmp_path / "direct" / MUNI
    direct.parent.mkdir()
    import shutil

    shutil.copytree(root / MUNI, direct)
    expected = import_docx(source, direct)
    report = run_import(source, root / MUNI)
    assert [p.name for p in report.written] == [p.name for p in expected.written]
    assert report.counts == expected.counts and report.uncertain == expected.uncertain
    assert snapshot(root / MUNI) == snapshot(direct)
    assert "plan.docx" in git(root, "log", "-1", "--format=%s")
    assert git(root, "status", "--porcelain", "--", f"{MUNI}/municipality.yaml") == ""


def test_an_upload_that_is_not_a_zip_is_a_plain_swedish_422(client: TestClient,
                                                             tmp_path: Path) -> None:
    broken = tmp_path / "avtal.docx"
    broken.write_bytes(b"PK\x03\x04 inte en zip")
    response = upload(client, broken)
    assert response.status_code == 422
    assert "inte ett Word-dokument" in response.text
    no_server_path(response.text, tmp_path)


def test_the_bounds_fit_the_loader_and_the_request_limit() -> None:
    from avtalsgen.config import MAX_CONFIG_BYTES
    from avtalsgen.web.security import MAX_UPLOAD_BYTES

    assert limits.MAX_YAML_BYTES < MAX_CONFIG_BYTES
    assert limits.MAX_PART_BYTES < limits.MAX_UNPACKED_BYTES
    assert bounded.MAX_WORKERS >= 1 and limits.TIME_LIMIT <= 60
    assert limits.MAX_UPLOAD_BYTES == MAX_UPLOAD_BYTES  # one limit for an upload


def test_more_imports_than_workers_wait_then_are_refused_as_busy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = long_docx(tmp_path / "plan.docx", 10)
    monkeypatch.setattr(limits, "TIME_LIMIT", 0.2)
    taken = [bounded._SLOTS.acquire(timeout=1) for _ in range(bounded.MAX_WORKERS)]
    try:
        with pytest.raises(ImportLimitError, match="försök igen") as refused:
            run_import(source, tmp_path / "ekby", shown="plan.docx")
    finally:
        for _ in taken:
            bounded._SLOTS.release()
    assert refused.value.kind == limits.BUSY
    monkeypatch.setattr(limits, "TIME_LIMIT", 30.0)
    assert run_import(source, tmp_path / "ekby").written  # a free worker: imported
