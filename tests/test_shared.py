"""The shared server (`avtalsgen serve --shared`) through Starlette's in-process client:
logins, who may do what in which municipality (a permission matrix), attacks, the
approval by both parties, comments and the audit trail."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from conftest import MUNICIPALITIES, form_fields, git, make_draft, seed_repository
from starlette.testclient import TestClient

from avtalsgen import approvals, store
from avtalsgen.accounts import Accounts
from avtalsgen.web.app import create_app
from avtalsgen.web.auth import SESSION_COOKIE
from avtalsgen.web.security import CSRF_COOKIE
from avtalsgen.web.views.common import folder_version

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "correct horse battery"
OWN, OTHER = "lulea", "skelleftea"
DOC = "samverkansoverenskommelse"
OTHER_DOC = "underlag"
# role name in the matrix -> (user, role, party) in the own municipality
ROLES = {
    "none": ("nils", None, None),
    "reader": ("rut", "reader", None),
    "editor": ("erik", "editor", None),
    "approver kommun": ("kajsa", "approver", "kommun"),
    "approver polis": ("per", "approver", "polis"),
}


def make_root(base: Path, lulea_draft: bool = False) -> Path:
    return seed_repository(base, (lambda root: make_draft(root, OWN)) if lulea_draft else None)


def make_accounts(root: Path) -> Accounts:
    accounts = Accounts(root.parent / "accounts.sqlite3", hasher=FAST)
    for i, (name, role, party) in enumerate(ROLES.values()):
        accounts.add_user(name, f"u{i}@example.se", PASSWORD)
        if role:
            accounts.grant(name, OWN, role, party)
    return accounts


def login(app, name: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    client.get("/logga-in")
    answer = client.post("/logga-in", data={"form:csrf": client.cookies[CSRF_COOKIE],
                                            "login": name, "password": password,
                                            "next": "/"})
    assert answer.status_code == 303, answer.text[:500]
    return client


def csrf(client: TestClient) -> str:
    return client.cookies[CSRF_COOKIE]




# -- the permission matrix ------------------------------------------------------------

_ = 303  # success by redirect
# route -> role -> (status in the own municipality, status in another municipality)
MATRIX: dict[str, dict[str, tuple[int, int]]] = {
    "GET list": {"none": (200, 200), "reader": (200, 200), "editor": (200, 200),
                 "approver kommun": (200, 200), "approver polis": (200, 200)},
    "GET municipality": {"none": (404, 404), "reader": (200, 404), "editor": (200, 404),
                         "approver kommun": (200, 404), "approver polis": (200, 404)},
    "GET document": {"none": (404, 404), "reader": (200, 404), "editor": (200, 404),
                     "approver kommun": (200, 404), "approver polis": (200, 404)},
    "GET section": {"none": (404, 404), "reader": (200, 404), "editor": (200, 404),
                    "approver kommun": (200, 404), "approver polis": (200, 404)},
    "POST document save": {"none": (404, 404), "reader": (403, 404), "editor": (_, 404),
                           "approver kommun": (403, 404), "approver polis": (403, 404)},
    "POST outline": {"none": (404, 404), "reader": (403, 404), "editor": (_, 404),
                     "approver kommun": (403, 404), "approver polis": (403, 404)},
    "GET download docx": {"none": (404, 404), "reader": (200, 404), "editor": (200, 404),
                          "approver kommun": (200, 404), "approver polis": (200, 404)},
    "POST approve": {"none": (404, 404), "reader": (403, 404), "editor": (403, 404),
                     "approver kommun": (_, 404), "approver polis": (_, 404)},
    "POST reopen": {"none": (404, 404), "reader": (403, 404), "editor": (_, 404),
                    "approver kommun": (_, 404), "approver polis": (_, 404)},
    "POST comment": {"none": (404, 404), "reader": (_, 404), "editor": (_, 404),
                     "approver kommun": (_, 404), "approver polis": (_, 404)},
    "POST resolve": {"none": (404, 404), "reader": (403, 404), "editor": (_, 404),
                     "approver kommun": (403, 404), "approver polis": (403, 404)},
}
CELLS = [(route, role, where) for route, row in MATRIX.items() for role in row
         for where in (0, 1)]


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.accounts = make_accounts(root)
        self.accounts.add_user("admin", "admin@example.se", PASSWORD)
        self.accounts.grant("admin", OWN, "editor")
        self.app = create_app(root, self.accounts)
        self.clients = {role: login(self.app, name) for role, (name, _r, _p) in ROLES.items()}
        self.admin = login(self.app, "admin")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    made = Server(make_root(tmp_path_factory.mktemp("shared")))
    yield made
    made.accounts.close()


def request(server: Server, route: str, role: str, where: int):
    client = server.clients[role]
    if route in ("POST document save", "POST outline"):  # a final one is locked
        approvals.reopen(server.root / OWN, "admin", "the matrix edits it again")
    slug, doc = (OWN, DOC) if where == 0 else (OTHER, OTHER_DOC)
    base = f"/k/{slug}"
    own_form = form_fields(server.admin.get(f"/k/{OWN}/dok/{DOC}").text)
    token = {"form:csrf": csrf(client)}
    if route == "GET list":
        return client.get("/")
    if route == "GET municipality":
        return client.get(base)
    if route == "GET document":
        return client.get(f"{base}/dok/{doc}")
    if route == "GET section":
        return client.get(f"{base}/dok/{doc}/avsnitt/0")
    if route == "POST document save":
        return client.post(f"{base}/dok/{doc}", data={**own_form, **token, "form:action": "save"})
    if route == "POST outline":
        version = store.version_of(server.root / slug / f"{doc}.yaml")
        return client.post(f"{base}/dok/{doc}/disposition",
                           data={**token, "op": "up", "path": "0", "form:version": version})
    if route == "GET download docx":
        return client.get(f"{base}/dok/{doc}/ladda-ner.docx")
    if route == "POST approve":
        return client.post(f"{base}/godkann",
                           data={**token, "form:version": folder_version(server.root / slug)})
    if route == "POST reopen":
        return client.post(f"{base}/ateroppna", data={**token, "reason": "Ny lägesbild"})
    if route == "POST comment":
        return client.post(f"{base}/dok/{doc}/avsnitt/0/kommentar",
                           data={**token, "text": "Stämmer siffran?"})
    if route == "POST resolve":
        made = server.accounts.comment(OWN, DOC, "0", "admin", "Att lösa")
        return client.post(f"{base}/dok/{doc}/kommentar/{made.id}/lost", data=token)
    raise AssertionError(route)


@pytest.mark.parametrize(("route", "role", "where"), CELLS,
                         ids=[f"{r}-{o}-{'own' if w == 0 else 'other'}" for r, o, w in CELLS])
def test_permission_matrix(server: Server, route: str, role: str, where: int) -> None:
    expected = MATRIX[route][role][where]
    answer = request(server, route, role, where)
    assert answer.status_code == expected, (route, role, where, answer.text[:300])


def test_list_shows_only_own_municipalities(server: Server) -> None:
    html = server.clients["reader"].get("/").text
    assert "Luleå" in html and "Skellefteå" not in html and "Strängnäs" not in html
    assert "Ny kommun" not in html  # created by whoever runs the server
    assert "Luleå" not in server.clients["none"].get("/").text


def test_missing_and_forbidden_municipalities_look_the_same(server: Server) -> None:
    client = server.clients["editor"]
    forbidden = client.get(f"/k/{OTHER}/dok/{OTHER_DOC}")
    missing = client.get("/k/finnsinte/dok/x")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.text == missing.text


def test_pages_need_a_session(server: Server) -> None:
    client = TestClient(server.app, base_url="http://127.0.0.1", follow_redirects=False)
    answer = client.get(f"/k/{OWN}/historik")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/logga-in?next=%2Fk%2Flulea%2Fhistorik"
    assert client.get("/static/app.css").status_code == 200
    page = client.get("/logga-in")
    assert page.status_code == 200
    for text in ("Användarnamn eller e-post", "Lösenord", "Logga in"):
        assert text in page.text
    # only relative next paths
    answer = client.post("/logga-in", data={"form:csrf": csrf(client), "login": "rut",
                                            "password": PASSWORD,
                                            "next": "//evil.example/"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_session_cookie_flags(server: Server) -> None:
    for scheme in ("http", "https"):
        client = TestClient(server.app, base_url=f"{scheme}://127.0.0.1",
                            follow_redirects=False)
        client.get("/logga-in")
        answer = client.post("/logga-in", data={"form:csrf": csrf(client), "login": "rut",
                                                "password": PASSWORD})
        cookie = answer.headers["set-cookie"].lower()
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        for flag in ("httponly", "samesite=strict", "path=/", "max-age=43200"):
            assert flag in cookie
        assert ("secure" in cookie) == (scheme == "https")


def test_shared_pages_show_the_user_not_the_name_form(server: Server) -> None:
    html = server.clients["editor"].get(f"/k/{OWN}").text
    assert "Inloggad som <strong>erik</strong>" in html and "Logga ut" in html
    assert "Ditt namn" not in html and "Markera som slutlig" not in html
    assert "Godkänn för" not in html


def test_approvers_are_offered_their_partys_button(fresh: Server) -> None:
    assert "Godkänn för kommunen" in fresh.clients["approver kommun"].get(f"/k/{OWN}").text
    assert "Godkänn för polisen" in fresh.clients["approver polis"].get(f"/k/{OWN}").text


# -- attacks --------------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Server]:
    made = Server(make_root(tmp_path, lulea_draft=True))
    yield made
    made.accounts.close()


def test_session_fixation(fresh: Server) -> None:
    client = TestClient(fresh.app, base_url="http://127.0.0.1", follow_redirects=False)
    planted = "planted-by-an-attacker"
    client.cookies.set(SESSION_COOKIE, planted)
    client.get("/logga-in")
    answer = client.post("/logga-in", data={"form:csrf": csrf(client), "login": "erik",
                                            "password": PASSWORD})
    assert answer.status_code == 303
    token = answer.cookies[SESSION_COOKIE]
    assert token and token != planted
    assert fresh.accounts.session(token).name == "erik"
    assert fresh.accounts.session(planted) is None
    # a live session from before is not reused either: a login makes a new one
    again = login(fresh.app, "erik")
    assert again.cookies[SESSION_COOKIE] != fresh.clients["editor"].cookies[SESSION_COOKIE]


def test_logging_in_again_ends_the_old_session_and_renews_the_csrf_token(
        fresh: Server) -> None:
    client = login(fresh.app, "erik")
    first_session, first_csrf = client.cookies[SESSION_COOKIE], csrf(client)
    answer = client.post("/logga-in", data={"form:csrf": first_csrf, "login": "erik",
                                            "password": PASSWORD})
    assert answer.status_code == 303
    assert answer.cookies[SESSION_COOKIE] != first_session
    assert answer.cookies[CSRF_COOKIE] != first_csrf
    assert fresh.accounts.session(first_session) is None
    assert fresh.accounts.session(answer.cookies[SESSION_COOKIE]).name == "erik"


def test_csrf_refused_even_when_logged_in(fresh: Server) -> None:
    client = fresh.clients["editor"]
    path = fresh.root / OWN / f"{DOC}.yaml"
    before = path.read_bytes()
    form = form_fields(client.get(f"/k/{OWN}/dok/{DOC}").text)
    form.pop("form:csrf")
    assert client.post(f"/k/{OWN}/dok/{DOC}", data=form).status_code == 403
    bad = {**form, "form:csrf": "wrong"}
    assert client.post(f"/k/{OWN}/dok/{DOC}", data=bad).status_code == 403
    assert client.post(f"/k/{OWN}/godkann", data={}).status_code == 403
    assert path.read_bytes() == before


def test_another_municipalitys_document_by_url(fresh: Server) -> None:
    client = fresh.clients["editor"]
    for url in (f"/k/{OTHER}", f"/k/{OTHER}/dok/{OTHER_DOC}",
                f"/k/{OTHER}/dok/{OTHER_DOC}/ladda-ner.docx", f"/k/{OTHER}/historik",
                f"/k/{OTHER}/fil/kommun", f"/k/{OTHER}/andringar.docx?fran=HEAD&dok=x"):
        assert client.get(url).status_code == 404, url


def test_brute_force_locks_the_account(fresh: Server) -> None:
    client = TestClient(fresh.app, base_url="http://127.0.0.1", follow_redirects=False)
    client.get("/logga-in")
    for attempt in range(5):
        answer = client.post("/logga-in", data={"form:csrf": csrf(client), "login": "rut",
                                                "password": f"wrong {attempt}"})
        assert answer.status_code == 401
    assert "Kontot är låst till" in answer.text
    assert "efter för många misslyckade inloggningar" in answer.text
    assert re.search(r"låst till \d\d:\d\d", answer.text)
    # even the right password is refused now
    answer = client.post("/logga-in", data={"form:csrf": csrf(client), "login": "rut",
                                            "password": PASSWORD})
    assert answer.status_code == 401 and "Kontot är låst till" in answer.text
    assert SESSION_COOKIE not in client.cookies
    failed = [e for e in fresh.accounts.audit_log() if e.event == "login_failed"]
    assert len(failed) == 6 and all(e.address for e in failed)


def test_reader_cannot_save(fresh: Server) -> None:
    client = fresh.clients["reader"]
    path = fresh.root / OWN / f"{DOC}.yaml"
    before = path.read_bytes()
    commits = git(fresh.root, "rev-list", "--count", "HEAD")
    form = form_fields(client.get(f"/k/{OWN}/dok/{DOC}").text)
    form["title"] = "Ändrad av en läsare"
    answer = client.post(f"/k/{OWN}/dok/{DOC}", data={**form, "form:action": "save"})
    assert answer.status_code == 403
    assert path.read_bytes() == before
    assert git(fresh.root, "rev-list", "--count", "HEAD") == commits
    assert not [e for e in fresh.accounts.audit_log() if e.event == "save"]


def test_logout_ends_the_session(fresh: Server) -> None:
    client = fresh.clients["reader"]
    old = client.cookies[SESSION_COOKIE]
    answer = client.post("/logga-ut", data={"form:csrf": csrf(client)})
    assert answer.status_code == 303 and answer.headers["location"] == "/logga-in"
    assert fresh.accounts.session(old) is None
    stale = TestClient(fresh.app, base_url="http://127.0.0.1", follow_redirects=False)
    stale.cookies.set(SESSION_COOKIE, old)
    assert stale.get("/").status_code == 303
    assert any(e.event == "logout" and e.name == "rut" for e in fresh.accounts.audit_log())


# -- approvals, comments, the audit trail ---------------------------------------------


def approve(server: Server, role: str):
    client = server.clients[role]
    html = client.get(f"/k/{OWN}").text
    version = re.search(r'name="form:version" value="([0-9a-f]+)"', html).group(1)
    return client.post(f"/k/{OWN}/godkann", data={"form:csrf": csrf(client),
                                                  "form:version": version}), version


def test_both_parties_approve_and_it_becomes_final(fresh: Server) -> None:
    path = fresh.root / OWN / "municipality.yaml"
    before = path.read_bytes()
    answer, version = approve(fresh, "approver kommun")
    assert answer.status_code == 303
    html = fresh.clients["reader"].get(f"/k/{OWN}").text
    assert "kajsa" in html and "Godkännanden av nuvarande innehåll" in html
    answer, again = approve(fresh, "approver polis")
    assert answer.status_code == 303 and again == version
    # Nothing the documents are made from changed: the approvals are recorded beside it.
    assert path.read_bytes() == before
    assert "per" in git(fresh.root, "log", "-1", "--format=%an", "--",
                        str(fresh.root / OWN / approvals.RECORD))
    assert fresh.accounts.both_approved(OWN, version)
    state = approvals.state(fresh.root / OWN)
    assert state.final and state.content == version
    assert sorted((a.name, a.party) for a in state.valid) == [("kajsa", "kommun"),
                                                              ("per", "polis")]
    history = fresh.clients["reader"].get(f"/k/{OWN}/historik").text
    assert "<title>Historik – Luleå kommun – avtalsgen</title>" in history
    assert history.count("<h2>Godkännanden</h2>") == 1
    assert "kajsa" in history and "per" in history
    # The final documents name both approvals in their properties.
    docx = fresh.clients["reader"].get(f"/k/{OWN}/dok/verksamhetsplan/ladda-ner.docx")
    from docx import Document

    props = Document(io.BytesIO(docx.content)).core_properties
    assert props.content_status == "Slutlig"
    assert "Godkänd för kommunen av kajsa" in props.comments
    assert "Godkänd för polisen av per" in props.comments
    # The page says it is final and locked, and offers nothing more to approve.
    page = fresh.clients["approver kommun"].get(f"/k/{OWN}").text
    assert "Dokumenten är slutliga." in page and "Återöppna som utkast" in page
    assert "kajsa" in page and "per" in page and "Ingen har godkänt" not in page
    assert "Godkänn för kommunen" not in page


def test_a_final_municipality_is_locked_until_reopened_with_a_reason(fresh: Server) -> None:
    approve(fresh, "approver kommun")
    approve(fresh, "approver polis")
    client = fresh.clients["editor"]
    assert "återöppna dem som utkast" in client.get(f"/k/{OWN}/dok/{DOC}").text
    refused = client.post(f"/k/{OWN}/dok/{DOC}", data={
        "form:csrf": csrf(client), "form:action": "save", "title": "Ändrad"})
    assert refused.status_code == 409 and "Återöppna som utkast" in refused.text
    assert approvals.state(fresh.root / OWN).final
    no_reason = client.post(f"/k/{OWN}/ateroppna", data={"form:csrf": csrf(client),
                                                        "reason": "  "})
    assert no_reason.status_code == 400 and approvals.state(fresh.root / OWN).final
    answer = client.post(f"/k/{OWN}/ateroppna", data={"form:csrf": csrf(client),
                                                     "reason": "Nya siffror från polisen"})
    assert answer.status_code == 303
    assert not approvals.state(fresh.root / OWN).final
    assert "Nya siffror från polisen" in git(fresh.root, "log", "-1", "--format=%s")
    reopened = [e for e in fresh.accounts.audit_log(OWN) if e.event == "reopen"]
    assert reopened and reopened[0].detail == "Nya siffror från polisen"
    assert reopened[0].name == "erik"
    form = form_fields(client.get(f"/k/{OWN}/dok/{DOC}").text)
    form["title"] = "Samverkansöverenskommelse, ändrad efter återöppningen"
    assert client.post(f"/k/{OWN}/dok/{DOC}",
                       data={**form, "form:action": "save"}).status_code == 303
    from docx import Document

    docx = client.get(f"/k/{OWN}/dok/{DOC}/ladda-ner.docx")
    props = Document(io.BytesIO(docx.content)).core_properties
    assert props.content_status == "Utkast" and "Godkänd för" not in (props.comments or "")


def test_an_edit_withdraws_the_approvals(fresh: Server) -> None:
    answer, version = approve(fresh, "approver kommun")
    assert answer.status_code == 303 and len(fresh.accounts.approvals(OWN, version)) == 1
    client = fresh.clients["editor"]
    form = form_fields(client.get(f"/k/{OWN}/dok/{DOC}").text)
    form["title"] = "Samverkansöverenskommelse, reviderad"
    assert client.post(f"/k/{OWN}/dok/{DOC}",
                       data={**form, "form:action": "save"}).status_code == 303
    assert fresh.accounts.approvals(OWN, version) == []
    assert folder_version(fresh.root / OWN) != version
    assert "Ingen har godkänt" in client.get(f"/k/{OWN}").text
    assert "godkännanden återkallade" in client.get(f"/k/{OWN}/historik").text
    # an approval of the old version is refused
    stale = fresh.clients["approver polis"]
    answer = stale.post(f"/k/{OWN}/godkann", data={"form:csrf": csrf(stale),
                                                   "form:version": version})
    assert answer.status_code == 409


def test_comments_on_a_section(fresh: Server) -> None:
    reader, editor = fresh.clients["reader"], fresh.clients["editor"]
    section = f"/k/{OWN}/dok/{DOC}/avsnitt/0"
    assert "Kommentera avsnittet" in reader.get(section).text
    answer = reader.post(f"{section}/kommentar", data={"form:csrf": csrf(reader),
                                                       "text": "Är <b>detta</b> rätt år?"})
    assert answer.status_code == 303
    html = editor.get(section).text
    assert "Är &lt;b&gt;detta&lt;/b&gt; rätt år?" in html and "rut" in html
    assert "Markera som löst" in html
    assert "Markera som löst" not in reader.get(section).text
    assert "rätt år" not in (fresh.root / OWN / f"{DOC}.yaml").read_text(encoding="utf-8")
    made = fresh.accounts.comments(OWN, DOC)[0]
    answer = editor.post(f"/k/{OWN}/dok/{DOC}/kommentar/{made.id}/lost",
                         data={"form:csrf": csrf(editor)})
    assert answer.status_code == 303 and answer.headers["location"] == section
    assert fresh.accounts.comments(OWN, DOC) == []


def test_audit_trail(fresh: Server) -> None:
    editor = fresh.clients["editor"]
    form = form_fields(editor.get(f"/k/{OWN}/dok/{DOC}").text)
    form["title"] = "Ny titel"
    editor.post(f"/k/{OWN}/dok/{DOC}", data={**form, "form:action": "save"})
    assert editor.get(f"/k/{OWN}/dok/{DOC}/ladda-ner.docx").status_code == 200
    approve(fresh, "approver kommun")
    log = fresh.accounts.audit_log()
    by = {e.event: e for e in reversed(log)}  # the newest of each kind
    assert {"login", "save", "approve", "download"} <= by.keys()
    assert by["login"].address
    save = by["save"]
    assert (save.name, save.slug, save.doc) == ("erik", OWN, DOC)
    assert save.version == folder_version(fresh.root / OWN)
    download = by["download"]
    assert (download.name, download.slug, download.doc) == ("erik", OWN, DOC)
    assert download.version == folder_version(fresh.root / OWN)
    approval = by["approve"]
    assert (approval.name, approval.slug) == ("kajsa", OWN)
    assert approval.version == folder_version(fresh.root / OWN)
    author = git(fresh.root, "log", "-1", "--format=%an", "--", f"{OWN}/{DOC}.yaml")
    assert author.strip() == "erik"


def test_no_municipalities_made_or_finalised_in_the_browser(fresh: Server) -> None:
    client = fresh.clients["editor"]
    token = {"form:csrf": csrf(client)}
    assert client.post("/", data={**token, "slug": "pitea"}).status_code == 403
    assert client.post(f"/k/{OWN}/slutlig", data=token).status_code == 403
    assert not (fresh.root / "pitea").exists()
    assert "status: draft" in (fresh.root / OWN / "municipality.yaml").read_text("utf-8")


def test_version_outside_git_is_a_hash_of_the_yaml_files(tmp_path: Path) -> None:
    folder = tmp_path / OWN
    shutil.copytree(MUNICIPALITIES / OWN, folder)
    first = folder_version(folder)
    assert re.fullmatch(r"[0-9a-f]{64}", first) and folder_version(folder) == first
    (folder / f"{DOC}.yaml").write_text("title: x\n", encoding="utf-8")
    assert folder_version(folder) != first


def test_serve_refuses_a_public_host_without_shared(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from avtalsgen.cli import main

    (tmp_path / "m").mkdir()
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--root",
                                       str(tmp_path / "m")])
    assert result.exit_code == 2 and "--shared" in result.output
