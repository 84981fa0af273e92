"""What keeps the shared server fast under many editors: validation and file reads
remembered by content (and forgotten when a file changes), session lookups that only
read, and `serve --workers N` (processes with a socket each) saving safely together."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from conftest import (
    GIT_ENV,
    MUNICIPALITIES,
    form_fields,
    free_port,
    git,
    seed_repository,
    wait_until_answering,
)

from avtalsgen.accounts import Accounts
from avtalsgen.accounts import sessions as account_sessions
from avtalsgen.errors import Problem
from avtalsgen.web import validation
from avtalsgen.web.views.common import validate

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def forget() -> Iterator[None]:
    validation.forget()
    yield
    validation.forget()


def copy_of(tmp_path: Path, slug: str = "lulea") -> Path:
    folder = tmp_path / "municipalities" / slug
    shutil.copytree(MUNICIPALITIES / slug, folder)
    return folder


# -- validation remembered by content ------------------------------------------------------


def test_validation_is_remembered_until_a_file_changes(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    calls: list[Path] = []

    def counted(where: Path) -> tuple:
        calls.append(where)
        return validate(where)

    first = validation.validated(folder, counted)
    assert first[0] is not None and first[1] == []
    assert validation.validated(folder, counted) is first
    assert len(calls) == 1
    doc = folder / "samverkansoverenskommelse.yaml"
    # Same size, same second: only the content tells (no trust in modification times).
    text = doc.read_text("utf-8")
    stat = doc.stat()
    broken = text.replace("title: Samverkansöverenskommelse",
                          "title: [amverkansöverenskommelse")
    assert len(broken.encode()) == len(text.encode())
    doc.write_text(broken, "utf-8")
    os.utime(doc, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    bundle, problems, _warnings = validation.validated(folder, counted)
    assert len(calls) == 2 and bundle is None
    assert any(Path(str(p.file)).name == doc.name for p in problems)
    doc.write_text(text, "utf-8")  # back as it was: the first result again
    assert validation.validated(folder, counted) is first
    assert len(calls) == 2


def test_validation_notices_pictures_and_new_files(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    calls: list[Path] = []

    def counted(where: Path) -> tuple:
        calls.append(where)
        return validate(where)

    validation.validated(folder, counted)
    picture = next(folder.glob("*.png"))
    picture.write_bytes(b"not a picture")
    _bundle, problems, _warnings = validation.validated(folder, counted)
    assert len(calls) == 2 and problems
    (folder / "extra.txt").write_text("x", "utf-8")
    validation.validated(folder, counted)
    assert len(calls) == 3


def test_a_file_changing_during_validation_is_not_remembered(tmp_path: Path) -> None:
    folder = copy_of(tmp_path)
    doc = folder / "samverkansoverenskommelse.yaml"
    calls = 0

    def racing(where: Path) -> tuple:
        nonlocal calls
        calls += 1
        result = validate(where)
        doc.write_text(doc.read_text("utf-8") + f"# {calls}\n", "utf-8")
        return result

    validation.validated(folder, racing)
    validation.validated(folder, racing)
    assert calls == 2


def test_too_many_files_are_validated_every_time(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = copy_of(tmp_path)
    monkeypatch.setattr(validation, "MAX_FILES", 3)
    calls: list[Path] = []

    def counted(where: Path) -> tuple[None, list[Problem], list[Problem]]:
        calls.append(where)
        return None, [], []

    validation.validated(folder, counted)
    validation.validated(folder, counted)
    assert len(calls) == 2


def test_plain_file_gives_copies_and_fresh_data(tmp_path: Path) -> None:
    from avtalsgen import store

    folder = copy_of(tmp_path)
    path = folder / "municipality.yaml"
    version, data = validation.plain_file(path)
    assert (version, data) == (store.version_of(path), store.plain(store.read(path).data))
    data["kommun"]["name"] = "ändrad i minnet"
    assert validation.plain_file(path)[1]["kommun"]["name"] != "ändrad i minnet"
    path.write_text(path.read_text("utf-8").replace("name: Luleå kommun", "name: Ny kommun",
                                                    1), "utf-8")
    version2, data2 = validation.plain_file(path)
    assert version2 != version and data2["kommun"]["name"] == "Ny kommun"
    assert validation.plain_file(folder / "saknas.yaml") == (store.VERSION_NONE, None)


# -- sessions: a lookup only reads, except once a minute ------------------------------------


def test_session_use_is_written_at_most_once_a_minute(tmp_path: Path) -> None:
    now = [1_000_000.0]
    accounts = Accounts(tmp_path / "a.sqlite3", clock=lambda: now[0],
                        hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    accounts.add_user("anna", "anna@example.se", PASSWORD)
    token = accounts.new_session("anna", "10.0.0.1")

    def last_seen() -> float:
        row = accounts._db.connection().execute("SELECT last_seen FROM sessions").fetchone()
        return float(row[0])

    now[0] += account_sessions.TOUCH - 1
    assert accounts.session(token) is not None
    assert last_seen() == 1_000_000.0  # read only
    now[0] += 2
    assert accounts.session(token) is not None
    assert last_seen() == now[0]
    now[0] += account_sessions.IDLE  # idle for 8 h since the last write: gone
    assert accounts.session(token) is None
    assert accounts._db.connection().execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
    accounts.close()


# -- serve --workers -----------------------------------------------------------------------


def first_document(root: Path, slug: str) -> str:
    import yaml

    return yaml.safe_load((root / slug / "municipality.yaml").read_text("utf-8"))[
        "documents"][0]


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    root = seed_repository(tmp_path)
    db = tmp_path / "accounts.sqlite3"
    with Accounts(db, hasher=PasswordHasher(time_cost=1, memory_cost=8192,
                                            parallelism=1)) as accounts:
        for name, slug in (("anna", "lulea"), ("bo", "strangnas")):
            accounts.add_user(name, f"{name}@example.se", PASSWORD)
            accounts.grant(name, slug, "editor")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "avtalsgen", "serve", "--shared", "--workers", "2", "--db",
         str(db), "--root", str(root), "--port", str(port)],
        env={**os.environ, **GIT_ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base + "/logga-in", lambda: server.poll() is None)
        yield base, root, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def edit(base: str, name: str, slug: str, doc: str, titles: list[str]) -> list[int]:
    """Log in and save the document's title once per title, each on a new connection
    (so the two workers share them); the statuses of the saves."""
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/logga-in").text
        token = re.search(r'name="form:csrf" value="([^"]+)"', page).group(1)
        assert client.post("/logga-in", data={"form:csrf": token, "login": name,
                                               "password": PASSWORD}).status_code == 303
        cookies = client.cookies
    statuses = []
    for title in titles:
        with httpx.Client(base_url=base, timeout=30, cookies=cookies) as client:
            form = form_fields(client.get(f"/k/{slug}/dok/{doc}").text)
            form.update(title=title, action="save")
            statuses.append(client.post(f"/k/{slug}/dok/{doc}", data=form).status_code)
    return statuses


def test_workers_save_two_municipalities_at_once(
        workers: tuple[str, Path, subprocess.Popen[bytes]]) -> None:
    base, root, server = workers
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.pid)],
                              capture_output=True, text=True).stdout.split()
    assert len(children) >= 2  # the workers (and multiprocessing's helper, maybe)
    sockets = 0
    for _ in range(100):  # a socket per worker, once both have started
        listening = subprocess.run(["ss", "-Hltn", f"sport = :{base.rsplit(':', 1)[1]}"],
                                   capture_output=True, text=True)
        if listening.returncode != 0:
            break  # no ss here: the saves below still run on both
        sockets = len(listening.stdout.strip().splitlines())
        if sockets == 2:
            break
        time.sleep(0.1)
    assert sockets in (0, 2)
    results: dict[str, list[int]] = {}
    jobs = {"anna": ("lulea", [f"Anna {i}" for i in range(4)]),
            "bo": ("strangnas", [f"Bo {i}" for i in range(4)])}

    def run(name: str) -> None:
        slug, titles = jobs[name]
        results[name] = edit(base, name, slug, first_document(root, slug), titles)

    threads = [threading.Thread(target=run, args=(name,)) for name in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == {"anna": [303] * 4, "bo": [303] * 4}
    # One commit per save, by its editor, and nothing else (a draft stays a draft: on a
    # shared server the seeds' `status: final` counts for nothing without approvals).
    log = git(root, "log", "--format=%an|%s", "-8").splitlines()
    assert sorted(line.split("|")[0] for line in log) == ["anna"] * 4 + ["bo"] * 4
    for slug, titles in jobs.values():
        path = f"{slug}/{first_document(root, slug)}.yaml"
        patches = git(root, "log", "-p", "--format=", "--", path)
        assert all(f"+title: {t}\n" in patches for t in titles)
        assert f"title: {titles[-1]}\n" in (root / path).read_text("utf-8")
    assert git(root, "status", "--porcelain", "--untracked-files=no") == ""


def test_a_second_server_on_the_port_is_refused(
        workers: tuple[str, Path, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    base, root, _server = workers
    port = base.rsplit(":", 1)[1]
    second = subprocess.run(
        [sys.executable, "-m", "avtalsgen", "serve", "--workers", "2", "--root", str(root),
         "--port", port], capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    assert "Traceback" not in second.stderr
