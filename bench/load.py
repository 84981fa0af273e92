#!/usr/bin/env python3
"""Load on the shared server (a benchmark, loopback only, bounded in time and requests).

    .venv/bin/python bench/load.py                 # people editing: 1-3 s between saves
    .venv/bin/python bench/load.py --think 0       # stress: every user saves back to back
    options: --users 50 --municipalities 10 --seconds 60 --workers 2 --seed 1

Starts `avtalsgen serve --shared --workers N` on 127.0.0.1 and a free port over a git
copy of the seed municipalities plus `init` examples, with one editor account per
simulated user (users are spread evenly: 50 users on 10 municipalities is 5 per
municipality, all editing its first document).

The load model: every user logs in (before the clock starts); then, until the time is
up, opens the document, changes the title to a unique text and saves as a browser does
(the POST, then the page its 303 answer leads to), and thinks for a random time
(uniform in --think, seeded per user) before the next edit: three requests per edit.
A refused save (409, a colleague saved in between) is retried at once by opening the
document again. Users start at random moments within the first think time.

At the end the server is stopped and the repository checked: every acknowledged save
is one commit of its file with the user as author and the saved title; no other
commit touches the files; each file reads as YAML, holds the title of its last commit
(one of the acknowledged ones) and equals the committed version (nothing half-written
or uncommitted).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import GIT, form_of, free_port, wait_until_answering

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "ett långt lösenord för lasttest"
MAX_REQUESTS_PER_USER = 2_000  # bounds a run whatever the server does
TIMEOUT = 30  # seconds, every request


def setup(root: Path, db: Path, users: int, municipalities: int) -> list[tuple[str, str]]:
    """Folders, git, and (user, slug) pairs with an editor role each."""
    from avtalsgen.accounts import Accounts
    from avtalsgen.build import init_municipality

    shutil.copytree(REPO / "municipalities", root)
    for i in range(municipalities - 3):
        init_municipality(f"ort{i}", root, f"Ort{i}")
    env = {**os.environ, **GIT}
    for command in (["git", "init", "-q"], ["git", "add", "."],
                    ["git", "commit", "-qm", "Start"]):
        subprocess.run(command, cwd=root, env=env, check=True)
    slugs = sorted(p.name for p in root.iterdir() if (p / "municipality.yaml").is_file())
    pairs = []
    with Accounts(db) as accounts:
        for n in range(users):
            name, slug = f"user{n}", slugs[n % len(slugs)]
            accounts.add_user(name, f"{name}@example.invalid", PASSWORD)
            accounts.grant(name, slug, "editor")
            pairs.append((name, slug))
    return pairs


def first_document(root: Path, slug: str) -> str:
    import yaml

    return yaml.safe_load((root / slug / "municipality.yaml").read_text("utf-8"))[
        "documents"][0]


class User:
    """One simulated editor with its own connection, cookies and random numbers."""

    def __init__(self, base: str, name: str, slug: str, doc: str, seed: int) -> None:
        self.name, self.slug, self.doc = name, slug, doc
        self.url = f"/k/{slug}/dok/{doc}"
        self.client = httpx.Client(base_url=base, timeout=TIMEOUT)
        self.random = random.Random(seed)
        self.requests = 0

    def get(self, url: str, results: Results) -> httpx.Response:
        self.requests += 1
        answer = self.client.get(url)
        results.status(answer.status_code)
        return answer

    def login(self, results: Results) -> None:
        page = self.get("/logga-in", results).text
        token = re.search(r'name="form:csrf" value="([^"]+)"', page).group(1)
        self.requests += 1
        answer = self.client.post("/logga-in", data={"form:csrf": token, "login": self.name,
                                                     "password": PASSWORD})
        results.status(answer.status_code)
        if answer.status_code != 303:
            raise RuntimeError(f"{self.name} could not log in: {answer.status_code}")

    def edit(self, deadline: float, think: tuple[float, float], results: Results) -> None:
        time.sleep(self.random.uniform(0, think[1]))  # not everyone starts at once
        edits = 0
        while time.monotonic() < deadline and self.requests < MAX_REQUESTS_PER_USER:
            title = f"Lasttest {self.name} {edits}"
            edits += 1
            # Open the document, change the title, save; a refused save: open it again.
            while time.monotonic() < deadline and self.requests < MAX_REQUESTS_PER_USER:
                form = form_of(self.get(self.url, results).text)
                form.update(title=title, action="save")
                start = time.perf_counter()
                self.requests += 1
                answer = self.client.post(self.url, data=form)
                posted = time.perf_counter() - start
                results.status(answer.status_code)
                results.attempt(posted)
                if answer.status_code == 303:  # the browser shows the page it leads to
                    self.get(answer.headers["location"], results)
                    results.saved(self, title, posted, time.perf_counter() - start)
                    break
                if answer.status_code != 409:
                    break
                results.conflict()
            time.sleep(self.random.uniform(*think))


class Results:
    """What the users saw, gathered from their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: list[int] = []
        self.attempts: list[float] = []  # every save POST, acknowledged or refused
        self.acknowledged: list[tuple[str, str, str, str]] = []  # user, slug, doc, title
        self.save_seconds: list[float] = []  # acknowledged POSTs
        self.shown_seconds: list[float] = []  # POST + the page after it
        self.conflicts = 0

    def status(self, code: int) -> None:
        with self.lock:
            self.statuses.append(code)

    def attempt(self, seconds: float) -> None:
        with self.lock:
            self.attempts.append(seconds)

    def conflict(self) -> None:
        with self.lock:
            self.conflicts += 1

    def saved(self, user: User, title: str, posted: float, shown: float) -> None:
        with self.lock:
            self.acknowledged.append((user.name, user.slug, user.doc, title))
            self.save_seconds.append(posted)
            self.shown_seconds.append(shown)


def audit(root: Path, acknowledged: list[tuple[str, str, str, str]]) -> dict[str, int]:
    """The repository against the acknowledged saves (see the module docstring)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=True).stdout

    import yaml

    problems = {"missing": 0, "commits without an acknowledged save": 0,
                "files not as last committed": 0,
                "final municipalities made drafts again (expected)": 0}
    by_file: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for name, slug, doc, title in acknowledged:
        by_file[f"{slug}/{doc}.yaml"].add((name, title))
    # Every commit after the start: its author, files and the title it adds.
    log = git("log", "-p", "--format=%x1e%an%x1f%s", "--", ".")
    commits: dict[str, list[tuple[str, str]]] = defaultdict(list)  # file -> newest first
    for record in log.split("\x1e")[1:]:
        author, rest = record.split("\x1f", 1)
        if rest.startswith("Start\n"):
            continue
        files = re.findall(r"^\+\+\+ b/(.+)$", rest, re.M)
        # A final seed municipality becomes a draft again with its first save: expected.
        if "utkast igen" in rest.split("\n", 1)[0] and len(files) == 1 and \
                files[0].endswith("/municipality.yaml"):
            problems["final municipalities made drafts again (expected)"] += 1
            continue
        titles = re.findall(r"^\+title: (.+)$", rest, re.M)
        if len(files) != 1 or len(titles) != 1 or files[0] not in by_file:
            problems["commits without an acknowledged save"] += 1
            continue
        commits[files[0]].append((author, titles[0].strip("'\"")))
    for file, saves in by_file.items():
        made = commits.get(file, [])
        problems["missing"] += len(saves - set(made))
        problems["commits without an acknowledged save"] += len(made) - len(saves & set(made))
        text = (root / file).read_text("utf-8")
        last = made[0][1] if made else None
        if yaml.safe_load(text).get("title") != last or \
                git("show", f"HEAD:{file}") != text:
            problems["files not as last committed"] += 1
    if git("status", "--porcelain", "--untracked-files=no").strip():
        problems["files not as last committed"] += 1
    return problems


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * p) - 1)] * 1000 if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--municipalities", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", default="1-3",
                        help="seconds between a user's saves, uniform in LOW-HIGH; 0: none")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    low, _, high = args.think.partition("-")
    think = (float(low), float(high or low))
    results = Results()
    with tempfile.TemporaryDirectory(prefix="avtalsgen-load-") as tmp:
        root, db = Path(tmp) / "municipalities", Path(tmp) / "accounts.sqlite3"
        pairs = setup(root, db, args.users, args.municipalities)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "avtalsgen", "serve", "--shared", "--db", str(db),
             "--root", str(root), "--port", str(port), "--workers", str(args.workers)],
            env={**os.environ, **GIT}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        users = [User(base, name, slug, first_document(root, slug), args.seed * 10_000 + n)
                 for n, (name, slug) in enumerate(pairs)]
        try:
            wait_until_answering(base + "/logga-in")
            logins = [threading.Thread(target=u.login, args=(results,)) for u in users]
            for thread in logins:
                thread.start()
            for thread in logins:
                thread.join(TIMEOUT * 2)
            results.statuses.clear()
            started = time.monotonic()
            deadline = started + args.seconds
            threads = [threading.Thread(target=u.edit, args=(deadline, think, results))
                       for u in users]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.seconds + TIMEOUT * 4)
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
            for user in users:
                user.client.close()
        problems = audit(root, results.acknowledged)
    errors = sum(1 for s in results.statuses if s >= 500)
    saves = len(results.acknowledged)
    print("| measure | result | target |\n|---|---|---|")
    print(f"| users, municipalities, seconds | {args.users}, {args.municipalities}, "
          f"{args.seconds:.0f} | 50, 10, 60 |")
    print(f"| think time between saves | {args.think} s | |")
    print(f"| server processes (--workers) | {args.workers} | |")
    print(f"| requests | {len(results.statuses)} | |")
    print(f"| acknowledged saves | {saves} ({saves / elapsed:.1f}/s) | |")
    print(f"| saves refused as conflicts (retried) | {results.conflicts} | |")
    for what, count in problems.items():
        expected = "" if "(expected)" in what else "0"
        print(f"| acknowledged saves: {what} | {count} | {expected} |")
    print(f"| 5xx answers | {errors} | 0 |")
    print(f"| save median / p95 | {statistics.median(results.save_seconds) * 1000:.0f} ms / "
          f"{percentile(results.save_seconds, 0.95):.0f} ms | p95 < 500 ms |"
          if results.save_seconds else "| save | none acknowledged | |")
    print(f"| every save attempt (with refused) p95 | "
          f"{percentile(results.attempts, 0.95):.0f} ms | |")
    print(f"| save + the page after it, p95 | {percentile(results.shown_seconds, 0.95):.0f} "
          "ms | |")
    failed = errors or any(n for what, n in problems.items() if "(expected)" not in what)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
