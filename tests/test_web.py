"""The web editor through Starlette's in-process client: every route, its forms, CSRF,
conflicts, paths that try to leave the root, and what a broken config shows."""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES, form_fields, reopen_final_seeds
from docx import Document
from starlette.testclient import TestClient

from avtalsgen import approvals
from avtalsgen.web.app import create_app
from avtalsgen.web.security import CSRF_COOKIE, MAX_REQUEST_BYTES

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          check=True, env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The seed municipalities in a git repository of their own."""
    root = tmp_path / "municipalities"
    shutil.copytree(MUNICIPALITIES, root)
    reopen_final_seeds(root)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "Start")
    return root


@pytest.fixture
def client(root: Path) -> TestClient:
    return TestClient(create_app(root), base_url="http://127.0.0.1")


def token(client: TestClient, path: str = "/") -> str:
    html = client.get(path).text
    found = re.search(r'name="form:csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)




def test_list_shows_status_version_last_change_and_validity(client: TestClient) -> None:
    html = client.get("/").text
    for name in ("Luleå kommun", "Skellefteå kommun", "Strängnäs kommun"):
        assert name in html
    assert "slutlig" in html and "utkast" in html
    assert "0.9" in html  # Skellefteå's version
    assert "av Test" in html  # last change, from git
    assert "godkänd" in html


def test_every_page_has_security_headers_and_no_inline_script(client: TestClient) -> None:
    for path in ("/", "/k/lulea", "/k/lulea/dok/verksamhetsplan", "/k/lulea/fil/kommun",
                 "/k/lulea/dok/verksamhetsplan/avsnitt/1.0", "/k/lulea/historik"):
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), path
        assert not re.search(r"\son[a-z]+=", response.text), path


def test_state_changes_need_the_csrf_token(client: TestClient, root: Path) -> None:
    client.get("/")
    response = client.post("/", data={"slug": "pitea", "name": "Piteå"})
    assert response.status_code == 403
    response = client.post("/", data={"slug": "pitea", "name": "Piteå",
                                      "form:csrf": "forged"})
    assert response.status_code == 403
    assert not (root / "pitea").exists()


def test_create_a_municipality_from_the_example(client: TestClient, root: Path) -> None:
    response = client.post("/", data={"slug": "pitea", "name": "Piteå",
                                      "form:csrf": token(client)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/k/pitea"
    assert (root / "pitea" / "municipality.yaml").is_file()
    assert "Piteå kommun" in client.get("/k/pitea").text
    assert "Ny kommun Piteå" in git(root, "log", "-1", "--format=%s")
    bad = client.post("/", data={"slug": "../ut", "name": "X", "form:csrf": token(client)})
    assert bad.status_code == 400 and "not a valid folder name" in bad.text


def test_save_keeps_comments_and_commits_with_the_editors_name(client: TestClient,
                                                              root: Path) -> None:
    client.post("/namn", data={"name": "Åsa Öberg", "form:csrf": token(client)})
    path = root / "lulea" / "verksamhetsplan.yaml"
    before = path.read_text(encoding="utf-8")
    page = client.get("/k/lulea/dok/verksamhetsplan").text
    form = form_fields(page)
    assert form["title"] == "Verksamhetsplan 2020-2021"
    form["title"] = 'Verksamhetsplan 2020–2021 & "mer" <ny>'
    form["form:action"] = "save"
    response = client.post("/k/lulea/dok/verksamhetsplan", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text[:2000]
    after = path.read_text(encoding="utf-8")
    changed = [ln for ln in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                 lineterm="", n=0)
               if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert len(changed) == 2, changed  # one line out, one line in
    assert "Åsa Öberg" in git(root, "log", "-1", "--format=%an")
    assert "verksamhetsplan" in git(root, "log", "-1", "--format=%s")
    import yaml

    assert yaml.safe_load(after)["title"] == 'Verksamhetsplan 2020–2021 & "mer" <ny>'


def test_second_save_of_the_same_version_is_refused_and_kept(client: TestClient,
                                                             root: Path) -> None:
    page = client.get("/k/strangnas/dok/samverkansoverenskommelse").text
    first, second = form_fields(page), form_fields(page)
    first["title"], first["form:action"] = "Första", "save"
    second["title"], second["form:action"] = "Andra", "save"
    assert client.post("/k/strangnas/dok/samverkansoverenskommelse", data=first,
                       follow_redirects=False).status_code == 303
    response = client.post("/k/strangnas/dok/samverkansoverenskommelse", data=second)
    assert response.status_code == 409
    assert "ändrades efter att du öppnade den" in response.text
    import yaml

    on_disk = yaml.safe_load((root / "strangnas" / "samverkansoverenskommelse.yaml")
                             .read_text(encoding="utf-8"))
    assert on_disk["title"] == "Första"
    kept = list((root / "strangnas" / ".avtalsgen-conflicts").glob("*.yaml"))
    assert len(kept) == 1 and "Andra" in kept[0].read_text(encoding="utf-8")


def test_a_problem_shows_next_to_its_field_and_the_draft_is_saved(client: TestClient,
                                                                   root: Path) -> None:
    form = form_fields(client.get("/k/lulea/dok/verksamhetsplan").text)
    form["title"], form["form:action"] = "", "save"
    assert client.post("/k/lulea/dok/verksamhetsplan", data=form,
                       follow_redirects=False).status_code == 303
    html = client.get("/k/lulea/dok/verksamhetsplan").text
    assert "får inte vara tom" in html and "must not be empty" not in html
    title_input = re.search(r'<(input|textarea)[^>]*name="title"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in title_input
    final = client.post("/k/lulea/slutlig", data={
        "form:csrf": token(client), "form:version": content_version(client, "lulea")})
    assert final.status_code == 409 and "Titel</a>: får inte vara tom" in final.text


def test_section_form_saves_one_section(client: TestClient, root: Path) -> None:
    url = "/k/lulea/dok/verksamhetsplan/avsnitt/1.0"
    form = form_fields(client.get(url).text)
    assert form["sections[1].sections[0].heading"] == "Samverkan - Organisation"
    form["sections[1].sections[0].heading"] = "Samverkan – organisation 😀"
    form["form:action"] = "save"
    assert client.post(url, data=form, follow_redirects=False).status_code == 303
    import yaml

    data = yaml.safe_load((root / "lulea" / "verksamhetsplan.yaml").read_text("utf-8"))
    section = data["sections"][1]["sections"][0]
    assert section["heading"] == "Samverkan – organisation 😀"
    assert section["goals"]  # the rest of the section is untouched


def test_outline_adds_moves_and_removes_sections(client: TestClient, root: Path) -> None:
    import yaml

    def headings() -> list[str]:
        data = yaml.safe_load((root / "lulea" / "verksamhetsplan.yaml").read_text("utf-8"))
        return [s["heading"] for s in data["sections"]]

    def op(name: str, path: str = "") -> None:
        page = client.get("/k/lulea/dok/verksamhetsplan").text
        version = re.search(r'name="form:version" value="([^"]*)"', page).group(1)
        response = client.post("/k/lulea/dok/verksamhetsplan/disposition",
                                data={"op": name, "path": path, "form:version": version,
                                      "form:csrf": token(client)}, follow_redirects=False)
        assert response.status_code == 303, response.text[:500]

    start = headings()
    op("add")
    assert headings() == [*start, "Nytt avsnitt"]
    op("up", str(len(start)))
    assert headings()[-2] == "Nytt avsnitt"
    op("remove", str(len(start) - 1))
    assert headings() == start


def test_preview_and_downloads(client: TestClient) -> None:
    # The pane of the document page (htmx asks); the browser gets a page of its own.
    html = client.get("/k/lulea/dok/verksamhetsplan/forhandsvisning",
                      headers={"HX-Request": "true"}).text
    assert "Samverkan - Organisation" in html and "<table" in html
    # Under the page's h1 and the preview's h2, the document's headings start at h3.
    assert "<h1" not in html and "<h2" not in html
    assert "<h3>Bakgrund</h3>" in html and "<h4>" in html
    response = client.get("/k/lulea/dok/verksamhetsplan/ladda-ner.docx")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "Verksamhetsplan 2020-2021" in text


@pytest.mark.parametrize("path", [
    "/k/..%2F..%2Fetc", "/k/%2e%2e", "/k/../etc/passwd", "/k/lulea/dok/..%2Fmunicipality",
    "/k/lulea/dok/verksamhetsplan/avsnitt/..%2F1", "/k/lulea/fil/..%2F..%2Fx",
    "/k//etc/passwd", "/k/lulea/dok/%2Fetc%2Fpasswd", "/static/..%2F..%2Fapp.py",
])
def test_no_url_leaves_the_root(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (404, 400), (path, response.status_code)
    assert "root:" not in response.text


def test_a_symlinked_folder_pointing_out_is_not_served(client: TestClient, root: Path,
                                                      tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(MUNICIPALITIES / "lulea", outside)
    (root / "ute").symlink_to(outside)
    assert client.get("/k/ute").status_code == 404


def test_requests_over_the_size_limit_are_refused(client: TestClient) -> None:
    response = client.post("/k/lulea/dok/verksamhetsplan",
                           content=b"x" * (MAX_REQUEST_BYTES + 1),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_a_broken_config_on_disk_shows_its_problems(client: TestClient, root: Path) -> None:
    muni = root / "skelleftea" / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8") + "oops: [\n", encoding="utf-8")
    response = client.get("/k/skelleftea")
    assert response.status_code == 200
    assert "skrivfel i filen" in response.text and "(rad " in response.text
    assert client.get("/").status_code == 200
    nul = root / "strangnas" / "samverkansoverenskommelse.yaml"
    nul.write_bytes(nul.read_bytes().replace(b"title:", b"title:\x00", 1))
    page = client.get("/k/strangnas")
    assert page.status_code == 200 and "U+0000" in page.text


def content_version(client: TestClient, slug: str) -> str:
    """The content key the municipality page's "Markera som slutlig" form posts."""
    html = client.get(f"/k/{slug}").text
    return re.search(r'name="form:version" value="([0-9a-f]{64})"', html).group(1)


def test_mark_final_lists_what_blocks_it(client: TestClient, root: Path) -> None:
    response = client.post("/k/skelleftea/slutlig", data={
        "form:csrf": token(client), "form:version": content_version(client, "skelleftea")})
    assert response.status_code == 409
    assert "innehåller exempeldata" in response.text and "Exempeldata" in response.text
    assert not approvals.state(root / "skelleftea").final
    seen = content_version(client, "lulea")
    ok = client.post("/k/lulea/slutlig", data={"form:csrf": token(client),
                                               "form:version": seen},
                     follow_redirects=False)
    assert ok.status_code == 303
    state = approvals.state(root / "lulea")
    assert state.final and state.content == seen and state.lines == []
    # Now locked: a save is refused until someone reopens it.
    form = form_fields(client.get("/k/lulea/dok/verksamhetsplan").text)
    assert "title" not in form
    assert "återöppna dem som utkast" in client.get("/k/lulea/dok/verksamhetsplan").text


def test_a_mark_of_content_that_changed_meanwhile_is_refused(client: TestClient,
                                                             root: Path) -> None:
    seen = content_version(client, "lulea")
    path = root / "lulea" / "verksamhetsplan.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# ändrad i en texteditor\n",
                    encoding="utf-8")
    answer = client.post("/k/lulea/slutlig", data={"form:csrf": token(client),
                                                   "form:version": seen})
    assert answer.status_code == 409 and "Innehållet har ändrats" in answer.text
    assert not approvals.state(root / "lulea").final


def test_history_and_changes_between_two_versions(client: TestClient, root: Path) -> None:
    form = form_fields(client.get("/k/lulea/dok/verksamhetsplan").text)
    form["title"], form["form:action"] = "Verksamhetsplan 2020–2021 reviderad", "save"
    client.post("/k/lulea/dok/verksamhetsplan", data=form)
    history = client.get("/k/lulea/historik").text
    revs = re.findall(r'<option value="([0-9a-f]{40})"', history)
    assert len(set(revs)) == 2
    new, old = revs[0], revs[1]
    changes = client.get(f"/k/lulea/andringar?fran={old}&till={new}&dok=verksamhetsplan")
    assert changes.status_code == 200
    assert re.search(r"<ins>[^<]*reviderad", changes.text)
    redline = client.get(f"/k/lulea/andringar.docx?fran={old}&till={new}"
                         "&dok=verksamhetsplan")
    assert redline.status_code == 200
    import zipfile

    body = zipfile.ZipFile(io.BytesIO(redline.content)).read("word/document.xml").decode()
    assert re.search(r"<w:ins [^>]*>.*?reviderad.*?</w:ins>", body, re.S)
    assert client.get("/k/lulea/andringar?fran=--output=x&dok=verksamhetsplan"
                      ).status_code == 400


def test_csrf_cookie_is_http_only_and_strict(client: TestClient) -> None:
    response = client.get("/")
    cookie = response.headers["set-cookie"]
    assert CSRF_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_page_images_through_libreoffice(client: TestClient) -> None:
    from conftest import soffice, tool

    soffice()
    tool("pdftoppm")
    response = client.get("/k/lulea/dok/verksamhetsplan/sidor")
    assert response.status_code == 200
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="Sida (\d+)', response.text)
    assert len(images) >= 5
    import base64

    assert base64.b64decode(images[0][0]).startswith(b"\x89PNG")


def test_upload_a_word_document_as_a_new_document(client: TestClient, root: Path) -> None:
    word = client.get("/k/lulea/dok/verksamhetsplan/ladda-ner.docx").content
    response = client.post("/k/strangnas/importera",
                           data={"form:csrf": token(client)},
                           files={"fil": ("verksamhetsplan.docx", word, "application/vnd."
                                          "openxmlformats-officedocument.wordprocessingml."
                                          "document")})
    assert response.status_code == 200, response.text[:1000]
    assert "är inläst" in response.text
    new = re.search(r'href="/k/strangnas/dok/([a-z0-9_-]+)"', response.text).group(1)
    page = client.get(f"/k/strangnas/dok/{new}")
    assert page.status_code == 200 and "Verksamhetsplan 2020-2021" in page.text
    assert "inläst" in git(root, "log", "-1", "--format=%s")
    preview = client.get(f"/k/strangnas/dok/{new}/forhandsvisning").text
    assert "Samverkan - Organisation" in preview


def test_upload_a_spreadsheet_and_a_word_file_for_a_new_municipality(
        client: TestClient, root: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Anmälda brott"
    for row in (["Brott", "2023", "2024"], ["Stöld", 120, 98], ["Skadegörelse", 40, 51]):
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    response = client.post("/k/lulea/importera", data={"form:csrf": token(client)},
                           files={"fil": ("brott.xlsx", buf.getvalue(), "application/octet-"
                                          "stream")})
    assert response.status_code == 200, response.text[:1000]
    import yaml

    tables = yaml.safe_load((root / "lulea" / "statistics.yaml").read_text("utf-8"))["tables"]
    assert any(t.get("rows") == [["Stöld", 120, 98], ["Skadegörelse", 40, 51]]
               for t in tables.values())
    word = client.get("/k/strangnas/dok/samverkansoverenskommelse/ladda-ner.docx").content
    created = client.post("/importera", data={"form:csrf": token(client), "slug": "ny_ort",
                                              "name": "Nyort"},
                          files={"fil": ("avtal.docx", word, "application/octet-stream")})
    assert created.status_code == 200, created.text[:1000]
    assert client.get("/k/ny_ort").status_code == 200
    refused = client.post("/k/lulea/importera", data={"form:csrf": token(client)},
                          files={"fil": ("x.exe", b"MZ", "application/octet-stream")})
    assert refused.status_code == 400
    no_token = client.post("/k/lulea/importera",
                           files={"fil": ("brott.xlsx", buf.getvalue(), "x/y")})
    assert no_token.status_code == 403
