"""The page of a refused save, in-process: both versions field by field, the editor's
text applied with the current version (a third change is refused again), a merge only
where the two changed different fields, and the outline's own conflict."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import form_fields, seed_repository
from starlette.testclient import TestClient

from avtalsgen.web import formfields
from avtalsgen.web.app import create_app
from avtalsgen.web.forms.labels import ITEM_LABELS

SECTION = "/k/skelleftea/dok/underlag/avsnitt/0"
FILE = "skelleftea/underlag.yaml"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return seed_repository(tmp_path)


@pytest.fixture
def client(root: Path) -> TestClient:
    return TestClient(create_app(root), base_url="http://127.0.0.1")


def posted_forms(html: str) -> dict[str, dict[str, list[str]]]:
    """The conflict page's forms by their button's text: what a browser posts."""
    found: dict[str, dict[str, list[str]]] = {}

    class Parser(HTMLParser):
        fields: dict[str, list[str]] | None = None
        button = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and a.get("method") == "post" and "name-form" not in (
                    a.get("class") or ""):
                self.fields = {}
            elif self.fields is not None and tag == "input":
                self.fields.setdefault(a["name"], []).append(a.get("value") or "")
            elif self.fields is not None and tag == "button":
                self.fields.setdefault(a["name"], []).append(a["value"])
                self.button = True

        def handle_data(self, data):
            if self.button and self.fields is not None:
                found[data.strip()] = self.fields
                self.button = False

        def handle_endtag(self, tag):
            if tag == "form":
                self.fields = None

    Parser().feed(html)
    return found


def section(root: Path) -> dict:
    return yaml.safe_load((root / FILE).read_text("utf-8"))["sections"][0]


def conflict(client: TestClient, first: dict[str, str], second: dict[str, str],
             url: str = SECTION) -> str:
    """The first form saved, then the second (made from the same version) refused."""
    first[formfields.ACTION] = second[formfields.ACTION] = "save"
    assert client.post(url, data=first, follow_redirects=False).status_code == 303
    answer = client.post(url, data=second)
    assert answer.status_code == 409, answer.text[:500]
    return answer.text


def test_both_versions_side_by_side_without_paths_or_keys(client: TestClient,
                                                          root: Path) -> None:
    page = client.get(SECTION).text
    first, second = form_fields(page), form_fields(page)
    first["sections[0].heading"] = "Inledning, första"
    second["sections[0].heading"] = "Inledning, andra"
    html = conflict(client, first, second)
    row = re.search(r'<tr data-field="heading">.*?</tr>', html).group(0)
    assert "<th scope=\"row\">Rubrik</th>" in row
    assert "Inledning, <del>första</del>" in row and "Inledning, <ins>andra</ins>" in row
    assert "<td>båda</td>" in row
    visible = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])
    for word in (".yaml", ".avtalsgen-conflicts", str(root), "sections[0]", "heading"):
        assert word not in visible, word
    assert "Slå ihop" not in html  # the same field: only mine or the saved one
    assert list((root / "skelleftea" / ".avtalsgen-conflicts").glob("*.yaml"))


def test_my_version_is_refused_again_after_a_third_change(client: TestClient,
                                                          root: Path) -> None:
    page = client.get(SECTION).text
    first, second, third = form_fields(page), form_fields(page), form_fields(page)
    first["sections[0].heading"] = "Första"
    second["sections[0].heading"] = "Andra"
    mine = posted_forms(conflict(client, first, second))["Använd min version"]
    # A third editor saves after the conflict page was shown.
    third["sections[0].heading"] = "Tredje"
    third[formfields.VERSION] = re.search(r'name="form:version" value="([^"]+)"',
                                          client.get(SECTION).text).group(1)
    third[formfields.ACTION] = "save"
    assert client.post(SECTION, data=third, follow_redirects=False).status_code == 303
    again = client.post(SECTION, data=mine)
    assert again.status_code == 409 and "<ins>Andra</ins>" in again.text
    assert section(root)["heading"] == "Tredje"
    # From the new conflict page, one click: it is saved.
    mine = posted_forms(again.text)["Använd min version"]
    assert client.post(SECTION, data=mine, follow_redirects=False).status_code == 303
    assert section(root)["heading"] == "Andra"


def test_merge_keeps_both_changes_and_only_them(client: TestClient, root: Path) -> None:
    before = (root / FILE).read_text("utf-8")
    page = client.get(SECTION).text
    first, second = form_fields(page), form_fields(page)
    first["sections[0].heading"] = "Inledning och syfte"
    second["sections[0].content[0]"] = second["sections[0].content[0]"].replace(
        "2021–2025", "2022–2026")
    html = conflict(client, first, second)
    assert "<td>den andra</td>" in html and "<td>du</td>" in html
    merge = posted_forms(html)["Slå ihop"]
    assert client.post(SECTION, data=merge, follow_redirects=False).status_code == 303
    after = (root / FILE).read_text("utf-8")
    assert section(root)["heading"] == "Inledning och syfte"
    assert "för åren 2022–2026. Parterna" in after
    changed = [a for a, b in zip(before.splitlines(), after.splitlines(), strict=True)
               if a != b]
    assert len(changed) == 2, changed  # the heading's line and the year's


def test_outside_git_there_is_no_merge_but_my_version_applies(tmp_path: Path) -> None:
    import shutil

    from conftest import MUNICIPALITIES

    root = tmp_path / "m"
    shutil.copytree(MUNICIPALITIES, root)
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    page = client.get(SECTION).text
    first, second = form_fields(page), form_fields(page)
    first["sections[0].heading"] = "Inledning och syfte"
    second["sections[0].content[0]"] = "Ny text."
    html = conflict(client, first, second)
    assert "Slå ihop" not in html and "Vem ändrade" not in html
    mine = posted_forms(html)["Använd min version"]
    assert client.post(SECTION, data=mine, follow_redirects=False).status_code == 303
    assert section(root)["content"][0] == "Ny text."


def test_an_outline_change_refused_is_applied_in_one_click(client: TestClient,
                                                           root: Path) -> None:
    doc = "/k/skelleftea/dok/underlag"
    page = client.get(doc).text
    version = re.search(r'name="form:version" value="([^"]+)"', page).group(1)
    token = re.search(r'name="form:csrf" value="([^"]+)"', page).group(1)
    form = form_fields(page)
    form["title"], form[formfields.ACTION] = "Underlag, reviderat", "save"
    assert client.post(doc, data=form, follow_redirects=False).status_code == 303
    move = {formfields.CSRF: token, formfields.VERSION: version, "op": "down", "path": "0"}
    answer = client.post(doc + "/disposition", data=move)
    assert answer.status_code == 409
    assert f"{ITEM_LABELS['sections']} 1 › Rubrik" in answer.text
    mine = posted_forms(answer.text)["Använd min version"]
    assert client.post(doc + "/disposition", data=mine,
                       follow_redirects=False).status_code == 303
    data = yaml.safe_load((root / FILE).read_text("utf-8"))
    assert data["title"] == "Underlag, reviderat"
    assert data["sections"][1]["heading"] == "Inledning"
