#!/usr/bin/env python3
"""Load on the shared server (a benchmark, loopback only, bounded in time and requests).

    .venv/bin/python bench/load.py [--users 50] [--municipalities 10] [--seconds 60]

Starts `avtalsgen serve --shared` on 127.0.0.1 and a free port over a git copy of the
seed municipalities plus `init` examples, with one editor account per simulated user.
Each user logs in, then until the time is up: opens its municipality's document, changes
the title to a unique text and saves (a refused save, 409, is counted and retried with a
fresh page). At the end the server is stopped and every acknowledged save is looked up
in the git history of its file: none may be missing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import GIT, form_of, free_port

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "ett långt lösenord för lasttest"
MAX_REQUESTS_PER_USER = 2_000


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


def simulate(base: str, name: str, slug: str, doc: str, deadline: float,
             results: dict[str, list]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/logga-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/logga-in", data={"csrf_token": token, "login": name,
                                       "password": PASSWORD})
        url = f"/k/{slug}/dok/{doc}"
        for n in range(MAX_REQUESTS_PER_USER):
            if time.monotonic() > deadline:
                break
            got = client.get(url)
            results["status"].append(got.status_code)
            form = form_of(got.text)
            title = f"Lasttest {name} {n}"
            form.update(title=title, action="save")
            start = time.perf_counter()
            answer = client.post(url, data=form)
            results["status"].append(answer.status_code)
            if answer.status_code == 303:
                results["latency"].append(time.perf_counter() - start)
                results["saved"].append((slug, doc, title))
            elif answer.status_code == 409:
                results["conflicts"].append(title)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--municipalities", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="avtalsgen-load-") as tmp:
        root, db = Path(tmp) / "municipalities", Path(tmp) / "accounts.sqlite3"
        pairs = setup(root, db, args.users, args.municipalities)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "avtalsgen", "serve", "--shared", "--db", str(db),
             "--root", str(root), "--port", str(port)], env={**os.environ, **GIT},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        results: dict[str, list] = {"status": [], "latency": [], "saved": [], "conflicts": []}
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/logga-in", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            deadline = time.monotonic() + args.seconds
            threads = [threading.Thread(target=simulate, args=(
                base, name, slug, first_document(root, slug), deadline, results))
                for name, slug in pairs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=args.seconds + 120)
        finally:
            server.terminate()
            server.wait(timeout=30)
        missing = []
        for slug, doc, title in results["saved"]:
            log = subprocess.run(["git", "log", "-p", "--", f"{slug}/{doc}.yaml"], cwd=root,
                                 capture_output=True, text=True, check=True).stdout
            if f"+title: {title}" not in log:
                missing.append(title)
    latency = sorted(results["latency"])
    p95 = latency[int(len(latency) * 0.95) - 1] * 1000 if latency else float("nan")
    errors = sum(1 for s in results["status"] if s >= 500)
    print("| measure | result | target |")
    print("|---|---|---|")
    print(f"| users, municipalities, seconds | {args.users}, {args.municipalities}, "
          f"{args.seconds:.0f} | 50, 10, 60 |")
    print(f"| requests | {len(results['status'])} | |")
    print(f"| acknowledged saves | {len(results['saved'])} | |")
    print(f"| saves refused as conflicts (retried) | {len(results['conflicts'])} | |")
    print(f"| acknowledged saves missing from git history | {len(missing)} | 0 |")
    print(f"| 5xx answers | {errors} | 0 |")
    if latency:
        print(f"| save median / p95 | {statistics.median(latency) * 1000:.0f} ms / "
              f"{p95:.0f} ms | p95 < 500 ms |")
    return 1 if missing or errors else 0


if __name__ == "__main__":
    sys.exit(main())
