"""No upload or header takes the server down or leaks through it: only the server's own
host names, forwarded headers only when asked for, Secure cookies over HTTPS, no
caching, no server paths on pages, no symlinked files, comments only on sections that
exist, and one user's flood of slow requests does not hold up another user."""

from __future__ import annotations

import asyncio
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from browser_support import serving
from conftest import form_fields, free_port, seed_repository, wait_until_answering
from starlette.testclient import TestClient

from avtalsgen.accounts import Accounts
from avtalsgen.web import fairness, formfields
from avtalsgen.web.app import (
    DB_ENV,
    HOSTS_ENV,
    ROOT_ENV,
    allowed_hosts,
    app_from_environment,
    create_app,
)
from avtalsgen.web.security import CSRF_COOKIE

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "correct horse battery"
DRAFT, DOC = "skelleftea", "underlag"  # the seed municipality that is a draft


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return seed_repository(tmp_path)


def make_accounts(root: Path, *names: str) -> Accounts:
    accounts = Accounts(root.parent / "accounts.sqlite3", hasher=FAST)
    for name in names:
        accounts.add_user(name, f"{name}@example.se", PASSWORD)
        accounts.grant(name, DRAFT, "editor")
    return accounts


@pytest.fixture
def shared(root: Path) -> Iterator[tuple[Accounts, TestClient]]:
    accounts = make_accounts(root, "erik")
    client = TestClient(create_app(root, accounts), base_url="http://127.0.0.1",
                        follow_redirects=False)
    log_in(client, "erik")
    yield accounts, client
    accounts.close()


def log_in(client: TestClient | httpx.Client, name: str, **headers: str) -> httpx.Response:
    client.get("/logga-in")
    return client.post("/logga-in", headers=headers,
                       data={formfields.CSRF: client.cookies[CSRF_COOKIE], "login": name,
                             "password": PASSWORD, "next": "/"})


# -- 1. trusted hosts -----------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example",
                                  "localhost.evil.example", "192.168.1.5:8000"])
def test_the_local_editor_refuses_other_host_names(root: Path, host: str) -> None:
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    answer = client.get("/", headers={"host": host})
    assert answer.status_code == 421
    assert "Okänt värdnamn" in answer.text and 'lang="sv"' in answer.text
    assert answer.headers["content-security-policy"]  # the guard's headers too
    assert client.post("/namn", headers={"host": host}).status_code == 421


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8000", "localhost:8123",
                                  "LOCALHOST", "[::1]:8000"])
def test_the_local_editor_answers_its_own_names(root: Path, host: str) -> None:
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    assert client.get("/", headers={"host": host}).status_code == 200


def test_a_shared_server_answers_the_allowed_hosts_only_when_given(root: Path) -> None:
    accounts = make_accounts(root)
    try:
        hosts = allowed_hosts("0.0.0.0", True, ("avtal.example.se",))
        strict = TestClient(create_app(root, accounts, allowed_hosts=hosts),
                            base_url="http://avtal.example.se", follow_redirects=False)
        assert strict.get("/logga-in").status_code == 200
        assert strict.get("/logga-in", headers={"host": "evil.example"}).status_code == 421
        assert allowed_hosts("10.0.0.5", True, ("avtal.example.se",)) == \
            ["avtal.example.se", "10.0.0.5"]
        # No --allowed-host: any name (documented), e.g. a server reached by its address.
        assert allowed_hosts("0.0.0.0", True) == ["*"]
        open_ = TestClient(create_app(root, accounts, allowed_hosts=["*"]),
                           base_url="http://evil.example")
        assert open_.get("/logga-in").status_code == 200
    finally:
        accounts.close()


def test_workers_get_the_allowed_hosts_from_the_environment(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ROOT_ENV, str(root))
    monkeypatch.setenv(DB_ENV, "")
    monkeypatch.setenv(HOSTS_ENV, "127.0.0.1,localhost,::1,127.0.0.1")
    client = TestClient(app_from_environment(), base_url="http://127.0.0.1")
    assert client.get("/", headers={"host": "[::1]:8000"}).status_code == 200
    assert client.get("/", headers={"host": "evil.example"}).status_code == 421


def _serve_options(monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:
    import uvicorn
    from click.testing import CliRunner

    from avtalsgen.cli import main

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(app=app, **options))
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 0, result.output
    return seen


def test_serve_hands_uvicorn_the_hosts_and_no_proxy_headers(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _serve_options(monkeypatch, "--root", str(root))
    assert seen["proxy_headers"] is False
    client = TestClient(seen["app"], base_url="http://127.0.0.1")
    assert client.get("/", headers={"host": "evil.example"}).status_code == 421
    seen = _serve_options(monkeypatch, "--root", str(root), "--shared", "--host", "0.0.0.0",
                          "--allowed-host", "avtal.example.se", "--proxy-headers")
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "127.0.0.1"
    client = TestClient(seen["app"], base_url="http://avtal.example.se")
    assert client.get("/logga-in").status_code == 200
    assert client.get("/logga-in", headers={"host": "evil.example"}).status_code == 421


def test_allowed_host_needs_shared(root: Path) -> None:
    from click.testing import CliRunner

    from avtalsgen.cli import main

    result = CliRunner().invoke(main, ["serve", "--root", str(root), "--allowed-host", "x.se"])
    assert result.exit_code == 2 and "--shared" in result.output


# -- 2. forwarded headers only with --proxy-headers ----------------------------------------

def test_a_forged_forwarded_for_does_not_reach_the_audit_trail(root: Path) -> None:
    make_accounts(root, "erik").close()
    db = root.parent / "accounts.sqlite3"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "avtalsgen", "serve", "--shared", "--root", str(root),
         "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_answering(base + "/logga-in", lambda: server.poll() is None)
        with httpx.Client(base_url=base, timeout=30) as client:
            forged = {"x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"}
            answer = log_in(client, "erik", **forged)
            assert answer.status_code == 303
            assert "secure" not in answer.headers["set-cookie"].lower()  # not https
    finally:
        server.terminate()
        server.wait(timeout=30)
    accounts = Accounts(db)
    try:
        logins = [e for e in accounts.audit_log() if e.event == "login"]
    finally:
        accounts.close()
    assert [e.address for e in logins] == ["127.0.0.1"]


# -- 3. Secure cookies behind HTTPS ---------------------------------------------------------

def test_every_cookie_is_secure_over_https(root: Path) -> None:
    client = TestClient(create_app(root), base_url="https://127.0.0.1",
                        follow_redirects=False)
    first = client.get("/")
    assert CSRF_COOKIE in first.headers["set-cookie"]
    assert "secure" in first.headers["set-cookie"].lower()
    named = client.post("/namn", data={formfields.CSRF: client.cookies[CSRF_COOKIE],
                                       "name": "Anna", "next": "/"})
    assert named.status_code == 303
    cookies = named.headers.get_list("set-cookie")
    assert cookies and all("; secure" in c.lower() for c in cookies)
    plain = TestClient(create_app(root), base_url="http://127.0.0.1").get("/")
    assert "secure" not in plain.headers["set-cookie"].lower()


# -- 4. no caching ------------------------------------------------------------------------------

def test_pages_and_downloads_are_not_cached_static_files_may_be(
        shared: tuple[Accounts, TestClient]) -> None:
    _accounts, client = shared
    document = f"/k/{DRAFT}/dok/{DOC}"
    for path in ("/", f"/k/{DRAFT}", document, f"{document}/ladda-ner.docx", "/finns-inte",
                 "/logga-in"):
        answer = client.get(path)
        assert answer.status_code in (200, 404), (path, answer.status_code)
        assert answer.headers["cache-control"] == "no-store", path
    static = client.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


# -- 5. no server paths on pages ----------------------------------------------------------------

def test_a_conflict_page_does_not_show_where_the_version_was_kept(root: Path) -> None:
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    url = f"/k/{DRAFT}/dok/{DOC}"
    page = client.get(url).text
    first, second = form_fields(page), form_fields(page)
    first["title"], second["title"] = "Första", "Andra"
    first[formfields.ACTION] = second[formfields.ACTION] = "save"
    assert client.post(url, data=first, follow_redirects=False).status_code == 303
    answer = client.post(url, data=second)
    assert answer.status_code == 409
    assert "Din version har sparats undan" in answer.text
    assert str(root) not in answer.text and "/tmp" not in answer.text
    assert ".avtalsgen-conflicts/" not in answer.text
    assert list((root / DRAFT / ".avtalsgen-conflicts").glob("*.yaml"))  # still kept


def test_errors_do_not_show_server_paths(root: Path) -> None:
    path = root / DRAFT / "municipality.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nlogo: saknas.png\n",
                    encoding="utf-8")  # its problem names the folder's absolute path
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    for url, status in ((f"/k/{DRAFT}/dok/{DOC}/forhandsvisning", 200),
                        (f"/k/{DRAFT}/dok/{DOC}/ladda-ner.docx", 409),
                        (f"/k/{DRAFT}", 200), (f"/k/{DRAFT}/dok/{DOC}", 200)):
        answer = client.get(url)
        assert answer.status_code == status, url
        assert "saknas.png" in answer.text, url
        assert str(root) not in answer.text and "/tmp" not in answer.text, url


def test_public_detail_keeps_names_not_paths() -> None:
    from avtalsgen.web.views.common import public_detail

    assert public_detail("avtal.docx: cannot read /tmp/avtalsgen-upload-x/upload.docx: "
                         "bad zip") == "avtal.docx: cannot read upload.docx: bad zip"
    assert public_detail("file:///srv/a/b.pdf failed") == "b.pdf failed"
    assert public_detail("se http://127.0.0.1:8000/k/a och/eller 2020/2021") == \
        "se http://127.0.0.1:8000/k/a och/eller 2020/2021"


# -- 6. symlinked files ---------------------------------------------------------------------

def test_a_symlinked_file_inside_a_municipality_is_not_shown(root: Path) -> None:
    folder = root / DRAFT
    (folder / "kopior").mkdir()
    for name in (f"{DOC}.yaml", "statistics.yaml"):
        (folder / name).rename(folder / "kopior" / name)
        (folder / name).symlink_to(Path("kopior") / name)
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    for url in (f"/k/{DRAFT}/dok/{DOC}", f"/k/{DRAFT}/dok/{DOC}/avsnitt/0",
                f"/k/{DRAFT}/dok/{DOC}/forhandsvisning", f"/k/{DRAFT}/dok/{DOC}/ladda-ner.docx",
                f"/k/{DRAFT}/fil/statistik"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "symbolisk länk" in answer.text, url
    assert client.get(f"/k/{DRAFT}/fil/kommun").status_code == 200  # a plain file


# -- 7. comments only on sections that exist -------------------------------------------------

def test_a_comment_needs_a_section_that_exists(shared: tuple[Accounts, TestClient]) -> None:
    accounts, client = shared
    base = f"/k/{DRAFT}/dok/{DOC}/avsnitt"
    token = client.cookies[CSRF_COOKIE]
    for missing in ("9999", "0.9999", "0.0.0.0.0"):
        answer = client.post(f"{base}/{missing}/kommentar",
                             data={formfields.CSRF: token, "text": "Hej"})
        assert answer.status_code == 404, missing
    answer = client.post(f"{base}/0/kommentar", data={formfields.CSRF: token, "text": "Hej"})
    assert answer.status_code == 303
    assert [c.section_path for c in accounts.comments(DRAFT, DOC)] == ["0"]


# -- 8. a fair share per user ------------------------------------------------------------------

def test_queues_run_two_queue_a_few_and_refuse_the_rest() -> None:
    queues = fairness.Queues(running=2, waiting=3)

    async def scenario() -> None:
        await queues.acquire("a")
        await queues.acquire("a")
        waiting = [asyncio.create_task(queues.acquire("a")) for _ in range(3)]
        await asyncio.sleep(0)
        with pytest.raises(fairness.Busy) as refused:
            await queues.acquire("a")
        assert refused.value.status_code == 429
        assert refused.value.headers == {"retry-after": str(fairness.RETRY_AFTER_S)}
        await queues.acquire("b")  # another user is not held up
        assert not any(t.done() for t in waiting)
        waiting[0].cancel()  # a request given up leaves the queue
        await asyncio.sleep(0)
        queues.release("a")  # the slot passes to the next in the queue
        await asyncio.sleep(0.01)
        assert waiting[1].done() and not waiting[2].done()
        for _ in range(3):
            queues.release("a")
            await asyncio.sleep(0.01)
        queues.release("b")
        assert queues.users() == 0  # users with nothing running are forgotten

    asyncio.run(scenario())


def test_one_users_flood_does_not_hold_up_another_user(root: Path) -> None:
    accounts = make_accounts(root, "flood", "other")
    flood_n = 40
    try:
        with serving(create_app(root, accounts), "/logga-in") as base:
            clients = {}
            for name in ("flood", "other"):
                client = httpx.Client(base_url=base, timeout=60)
                assert log_in(client, name).status_code == 303
                clients[name] = client
            page = f"/k/{DRAFT}/dok/{DOC}"
            clients["other"].get(page).raise_for_status()  # warm: the page and a preview
            clients["flood"].get(f"{page}/forhandsvisning").raise_for_status()
            statuses: list[int] = []
            latencies: list[float] = []
            done = threading.Event()

            def flood_one(_i: int) -> None:
                with httpx.Client(base_url=base, timeout=60,
                                  cookies=clients["flood"].cookies) as own:
                    statuses.append(own.get(f"{page}/forhandsvisning").status_code)

            def pages() -> None:
                while not done.is_set():
                    start = time.perf_counter()
                    clients["other"].get(page).raise_for_status()
                    latencies.append(time.perf_counter() - start)
                    time.sleep(0.1)

            watcher = threading.Thread(target=pages)
            watcher.start()
            try:
                with ThreadPoolExecutor(flood_n) as pool:
                    list(pool.map(flood_one, range(flood_n)))
            finally:
                done.set()
                watcher.join(60)
            for client in clients.values():
                client.close()
    finally:
        accounts.close()
    assert set(statuses) <= {200, 429} and statuses.count(429) >= flood_n // 2, statuses
    assert statuses.count(200) >= fairness.RUNNING
    assert latencies and max(latencies) < 1.0, (statistics.median(latencies), max(latencies))


def test_a_refused_request_says_why_in_swedish(root: Path) -> None:
    app = create_app(root)
    app.state.queues = fairness.Queues(running=0, waiting=0)  # every request is over
    answer = TestClient(app, base_url="http://127.0.0.1").get(
        f"/k/{DRAFT}/dok/{DOC}/forhandsvisning")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == str(fairness.RETRY_AFTER_S)
    assert re.search("För många förfrågningar på en gång", answer.text)
