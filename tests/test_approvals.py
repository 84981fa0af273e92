"""A final document is exactly what both parties approved: approvals bind content, and
any change by any route after both approvals leaves the documents drafts, in the web
downloads and in the CLI render alike, with the approvals shown as withdrawn by it."""

from __future__ import annotations

import io
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import form_fields, git, make_draft, seed_repository
from docx import Document
from starlette.testclient import TestClient
from test_accounts import FAST

from avtalsgen import approvals, store
from avtalsgen.accounts import Accounts
from avtalsgen.build import init_municipality
from avtalsgen.store.git import MAX_MESSAGE
from avtalsgen.web.app import create_app
from avtalsgen.web.security import CSRF_COOKIE

OWN = "lulea"
PASSWORD = "ett långt lösenord"
PEOPLE = {"erik": ("editor", None), "kajsa": ("approver", "kommun"),
          "per": ("approver", "polis")}


class Shared:
    def __init__(self, base: Path) -> None:
        self.root = seed_repository(base, lambda root: make_draft(root, OWN))
        self.folder = self.root / OWN
        self.accounts = Accounts(base / "accounts.sqlite3", hasher=FAST)
        for i, (name, (role, party)) in enumerate(PEOPLE.items()):
            self.accounts.add_user(name, f"u{i}@example.se", PASSWORD)
            self.accounts.grant(name, OWN, role, party)
        self.app = create_app(self.root, self.accounts)
        self.clients = {name: self.login(name) for name in PEOPLE}

    def login(self, name: str) -> TestClient:
        client = TestClient(self.app, base_url="http://127.0.0.1", follow_redirects=False)
        client.get("/logga-in")
        answer = client.post("/logga-in", data={"form:csrf": client.cookies[CSRF_COOKIE],
                                                "login": name, "password": PASSWORD})
        assert answer.status_code == 303
        return client

    def approve(self, name: str) -> int:
        client = self.clients[name]
        html = client.get(f"/k/{OWN}").text
        seen = re.search(r'name="form:version" value="([0-9a-f]{64})"', html).group(1)
        return client.post(f"/k/{OWN}/godkann", data={
            "form:csrf": client.cookies[CSRF_COOKIE], "form:version": seen}).status_code

    def approve_both(self) -> None:
        assert self.approve("kajsa") == 303 and self.approve("per") == 303
        assert approvals.state(self.folder).final

    def download(self, doc: str = "verksamhetsplan") -> tuple[str, str, str]:
        """(status, approval lines in the properties, first lines of the body)."""
        data = self.clients["erik"].get(f"/k/{OWN}/dok/{doc}/ladda-ner.docx").content
        document = Document(io.BytesIO(data))
        props = document.core_properties
        text = "\n".join(p.text for p in document.paragraphs[:40])
        return props.content_status, props.comments or "", text


@pytest.fixture
def shared(tmp_path: Path):
    made = Shared(tmp_path)
    yield made
    made.accounts.close()


def assert_draft_everywhere(shared: Shared, cli, tmp_path: Path) -> None:
    """The web download and the CLI render both print a draft without approval lines."""
    assert not approvals.state(shared.folder).final
    status, described, body = shared.download()
    assert status == "Utkast" and "Godkänd för" not in described
    assert "Godkänd för" not in body
    out = tmp_path / "ut"
    result = cli("render", OWN, "--root", str(shared.root), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    rendered = Document(str(out / OWN / "verksamhetsplan.docx"))
    assert rendered.core_properties.content_status == "Utkast"
    assert "Godkänd för" not in (rendered.core_properties.comments or "")
    refused = cli("render", OWN, "--final", "--root", str(shared.root), "--out",
                  str(tmp_path / "slutlig"), "-q")
    assert refused.exit_code == 2 and "not approved by both parties" in refused.output


def test_both_approvals_make_it_final_in_the_download_and_the_cli(shared: Shared, cli,
                                                                   tmp_path: Path) -> None:
    shared.approve_both()
    status, described, body = shared.download()
    assert status == "Slutlig"
    assert "Godkänd för kommunen av kajsa" in described and "polisen av per" in described
    assert "Godkänd för kommunen av kajsa" in body
    out = tmp_path / "ut"
    assert cli("render", OWN, "--root", str(shared.root), "--out", str(out),
               "-q").exit_code == 0
    props = Document(str(out / OWN / "verksamhetsplan.docx")).core_properties
    assert props.content_status == "Slutlig" and "polisen av per" in props.comments


def test_a_web_save_or_import_of_a_final_municipality_is_refused(shared: Shared) -> None:
    shared.approve_both()
    before = approvals.content_key(shared.folder)
    editor = shared.clients["erik"]
    form = form_fields(editor.get(f"/k/{OWN}/dok/verksamhetsplan").text)
    assert "title" not in form  # no form to edit while final
    save = editor.post(f"/k/{OWN}/dok/verksamhetsplan", data={
        "form:csrf": editor.cookies[CSRF_COOKIE], "form:action": "save", "title": "Ny"})
    upload = editor.post(f"/k/{OWN}/importera", data={
        "form:csrf": editor.cookies[CSRF_COOKIE]},
        files={"fil": ("brott.csv", b"\xc3\x85r;Antal\n2023;5\n", "text/csv")})
    assert save.status_code == 409 and upload.status_code == 409
    assert approvals.content_key(shared.folder) == before
    assert approvals.state(shared.folder).final


def test_a_save_landing_after_the_approval_makes_it_a_draft(shared: Shared, cli,
                                                            tmp_path: Path) -> None:
    """The editor's save beneath the lock check (a form sent just before the approval)."""
    shared.approve_both()
    path = shared.folder / "verksamhetsplan.yaml"
    data = store.plain(store.read(path).data)
    data["title"] = "Verksamhetsplan, ändrad efter godkännandet"
    store.save(path, data, store.version_of(path), author="erik", message="sen ändring")
    assert_draft_everywhere(shared, cli, tmp_path)


def test_a_cli_import_makes_it_a_draft(shared: Shared, cli, tmp_path: Path) -> None:
    shared.approve_both()
    sheet = tmp_path / "brott.csv"
    sheet.write_text("År;Antal\n2023;5\n2024;7\n", encoding="utf-8")
    result = cli("import", str(sheet), "--into", str(shared.folder))
    assert result.exit_code == 0, result.output
    assert "was final and approved" in result.output
    assert_draft_everywhere(shared, cli, tmp_path)


def test_a_measures_import_makes_it_a_draft(tmp_path: Path, cli) -> None:
    root = tmp_path / "municipalities"
    folder = init_municipality("exempel", root, "Exempelby")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "Start")
    seen = approvals.content_key(folder)
    for party, name in (("kommun", "kajsa"), ("polis", "per")):
        approvals.approve(folder, party, name, seen)
    assert approvals.state(folder).final
    sheet = tmp_path / "uppfoljning.xlsx"
    assert cli("measures", "export", "exempel", "--doc", "handlingsplan", "-o", str(sheet),
               "--root", str(root)).exit_code == 0
    from openpyxl import load_workbook

    book = load_workbook(sheet)
    rows = list(book.active.iter_rows())
    header = [c.value for c in rows[0]]
    status_column = next(i for i, h in enumerate(header) if h and "Status" in str(h))
    rows[1][status_column].value = "Gul"
    book.save(sheet)
    result = cli("measures", "import", "exempel", str(sheet), "--doc", "handlingsplan",
                 "--root", str(root))
    assert result.exit_code == 0, result.output
    assert "documents drafts again" in result.output
    state = approvals.state(folder)
    assert not state.final and state.lines == [] and len(state.withdrawn) == 2


def test_a_git_commit_makes_it_a_draft_and_is_named_as_the_withdrawal(
        shared: Shared, cli, tmp_path: Path) -> None:
    shared.approve_both()
    path = shared.folder / "verksamhetsplan.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("2020", "2021", 1),
                    encoding="utf-8")
    git(shared.root, "commit", "-qam", "Rättade året utanför editorn")
    assert_draft_everywhere(shared, cli, tmp_path)
    page = shared.clients["erik"].get(f"/k/{OWN}").text
    assert "återkallades av ändringen" in page and "Rättade året utanför editorn" in page
    assert "Godkänn för" not in page  # an editor, not an approver
    assert "Godkänn för kommunen" in shared.clients["kajsa"].get(f"/k/{OWN}").text
    history = shared.clients["erik"].get(f"/k/{OWN}/historik").text
    assert history.count("Rättade året utanför editorn") >= 2  # the commit and the cause
    assert "Kommunens godkännande av kajsa" in history
    withdrawn = [e for e in shared.accounts.audit_log(OWN) if e.event == "withdraw"]
    assert withdrawn and "Rättade året utanför editorn" in withdrawn[0].detail


def test_a_hand_edit_on_disk_makes_it_a_draft(shared: Shared, cli, tmp_path: Path) -> None:
    shared.approve_both()
    path = shared.folder / "statistics.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# ny kommentar\n", encoding="utf-8")
    assert_draft_everywhere(shared, cli, tmp_path)
    page = shared.clients["erik"].get(f"/k/{OWN}").text
    assert "en ändring direkt i filerna" in page


def test_a_web_import_in_shared_mode_is_one_commit_and_withdraws_approvals(
        shared: Shared) -> None:
    assert shared.approve("kajsa") == 303
    editor = shared.clients["erik"]
    commits = len(store.history(shared.folder, 100))
    answer = editor.post(f"/k/{OWN}/importera", data={
        "form:csrf": editor.cookies[CSRF_COOKIE]},
        files={"fil": ("brott.csv", "År;Antal\n2023;5\n2024;7\n".encode(), "text/csv")})
    assert answer.status_code == 200, answer.text[:800]
    assert len(store.history(shared.folder, 100)) == commits + 1
    assert git(shared.root, "status", "--porcelain") == ""
    state = approvals.state(shared.folder)
    assert state.valid == () and len(state.withdrawn) == 1
    assert shared.accounts.approvals(OWN, state.withdrawn[0].content) == []
    assert any(e.event == "save" for e in shared.accounts.audit_log(OWN))


def test_an_approval_racing_a_save_never_leaves_unapproved_content_final(
        shared: Shared) -> None:
    path = shared.folder / "verksamhetsplan.yaml"
    for attempt in range(6):
        seen = approvals.content_key(shared.folder)
        approvals.approve(shared.folder, "polis", "per", seen)
        data = store.plain(store.read(path).data)
        data["title"] = f"Verksamhetsplan, version {attempt}"
        version = store.version_of(path)
        results: dict[str, object] = {}

        def save(data=data, version=version, results=results) -> None:
            results["save"] = store.save(path, data, version, author="erik", message="ny")

        def approve(seen=seen, results=results) -> None:
            try:
                results["approve"] = approvals.approve(shared.folder, "kommun", "kajsa",
                                                       seen)
            except approvals.StaleApproval as e:
                results["approve"] = e

        threads = [threading.Thread(target=save), threading.Thread(target=approve)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        state = approvals.state(shared.folder)
        assert set(results) == {"save", "approve"}
        assert not state.final, attempt  # the saved title was approved by nobody
        approvals.reopen(shared.folder, "erik", "nästa försök")


def test_a_stale_approval_is_refused_with_409(shared: Shared) -> None:
    client = shared.clients["kajsa"]
    html = client.get(f"/k/{OWN}").text
    seen = re.search(r'name="form:version" value="([0-9a-f]{64})"', html).group(1)
    path = shared.folder / "statistics.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# ändrad\n", encoding="utf-8")
    answer = client.post(f"/k/{OWN}/godkann", data={
        "form:csrf": client.cookies[CSRF_COOKIE], "form:version": seen})
    assert answer.status_code == 409 and "Innehållet har ändrats" in answer.text
    assert approvals.read_record(shared.folder)[0] == []


def test_invalid_data_is_never_approved(shared: Shared) -> None:
    path = shared.folder / "municipality.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: Luleå kommun", "name: TODO kommun", 1), encoding="utf-8")
    git(shared.root, "commit", "-qam", "platshållare")
    assert shared.approve("kajsa") == 409
    assert approvals.read_record(shared.folder)[0] == []


def test_a_padded_heading_saves_and_saves_again(shared: Shared) -> None:
    """45,000 zero-width spaces in a heading: the commit message is bounded and goes on
    stdin, so neither save fails, and each is committed."""
    editor = shared.clients["erik"]
    url = f"/k/{OWN}/dok/verksamhetsplan/avsnitt/0"
    for text in ("Inledning" + "\u200b" * 45_000, "Inledning"):
        form = form_fields(editor.get(url).text)
        heading = next(k for k in form if k.endswith("heading"))
        form[heading] = text
        answer = editor.post(url, data={**form, "form:action": "save"})
        assert answer.status_code == 303, answer.text[:500]
        assert git(shared.root, "status", "--porcelain") == ""
    messages = git(shared.root, "log", "-3", "--format=%B%x00").split("\x00")
    assert all(len(m.strip()) <= MAX_MESSAGE for m in messages)


def test_a_failed_commit_puts_the_file_back(shared: Shared, monkeypatch) -> None:
    from avtalsgen.store import git as store_git

    path = shared.folder / "verksamhetsplan.yaml"
    before = path.read_bytes()

    def broken(*_args, **_kwargs):
        raise store.StoreError("git commit failed: disk full")

    monkeypatch.setattr(store_git, "_commit_only", broken)
    monkeypatch.setattr("avtalsgen.store._commit", lambda *a, **k: broken())
    data = store.plain(store.read(path).data)
    data["title"] = "Aldrig sparad"
    with pytest.raises(store.StoreError):
        store.save(path, data, store.version_of(path), author="erik", message="x")
    assert path.read_bytes() == before


class _Fields(HTMLParser):
    """The editing form's controls in document order, as a browser sends them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.inside = False
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and "editor" in (a.get("class") or ""):
            self.inside = True
        if not self.inside or not a.get("name"):
            return
        if tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self.textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "button" and a.get("value") == "save" and not any(
                n == a["name"] for n, _ in self.fields):
            self.fields.append((a["name"], "save"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)


def test_the_municipality_form_saves_as_a_browser_sends_it(shared: Shared) -> None:
    """Fields in document order (the form's own controls first), with the
    municipality's own `version` among them: saved, no conflict."""
    editor = shared.clients["erik"]
    parser = _Fields()
    parser.feed(editor.get(f"/k/{OWN}/fil/kommun").text)
    fields = [(n, "0.4" if n == "version" else v) for n, v in parser.fields]
    assert [n for n, _ in fields].count("version") == 1
    assert fields[0][0].startswith("form:")
    answer = editor.post(f"/k/{OWN}/fil/kommun", content=urlencode(fields).encode(),
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 303, answer.text[:500]
    import yaml

    saved = yaml.safe_load((shared.folder / "municipality.yaml").read_text(encoding="utf-8"))
    assert str(saved["version"]) == "0.4"
    assert not list((shared.folder / ".avtalsgen-conflicts").glob("*.yaml"))


def test_on_a_shared_server_a_typed_status_final_makes_nothing_final(tmp_path: Path) -> None:
    """Luleå's seed says `status: final` and nobody has approved it: the shared server
    shows and downloads a draft, and its municipality form offers no status to type."""
    root = seed_repository(tmp_path)
    accounts = Accounts(tmp_path / "accounts.sqlite3", hasher=FAST)
    try:
        accounts.add_user("erik", "e@example.se", PASSWORD)
        accounts.grant("erik", OWN, "editor")
        made = Shared.__new__(Shared)
        made.root, made.folder, made.accounts = root, root / OWN, accounts
        made.app = create_app(root, accounts)
        made.clients = {"erik": made.login("erik")}
        status, described, _body = made.download()
        assert status == "Utkast" and "Godkänd" not in described
        page = made.clients["erik"].get(f"/k/{OWN}").text
        assert "Dokumenten är slutliga" not in page
        form = form_fields(made.clients["erik"].get(f"/k/{OWN}/fil/kommun").text)
        assert "status" not in form and "kommun.name" in form
        answer = made.clients["erik"].post(f"/k/{OWN}/fil/kommun",
                                           data={**form, "form:action": "save"})
        assert answer.status_code == 303
        text = (root / OWN / "municipality.yaml").read_text(encoding="utf-8")
        assert "\nstatus: final\n" in text  # kept as written, just not counted
    finally:
        accounts.close()
