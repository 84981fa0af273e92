#!/usr/bin/env python3
"""Fairness under load (not a test: the figures go into docs/benchmarks.md).

    .venv/bin/python bench/fairness.py [--flood 200] [--src DIR]

Starts `avtalsgen serve --shared` on 127.0.0.1 and a free port over a copy of the
seed municipalities, logs in two users, and then, at the same time:

- user 1 sends --flood concurrent requests for the HTML preview of the largest seed
  document (Skellefteå's underlag, ten charts);
- user 2 loads a document page every 200 ms.

Before that, each user loads its page once alone (the server's first preview draws
the charts for the first time). It reports user 2's page latency (p50, p95, max)
while the flood lasts, and what user 1 got (answers by status). --src runs the
server from another source tree (e.g. an export of an older commit:
`git archive HEAD | tar -x -C /tmp/before`) to measure before and after on one
machine. Loopback only; every request has a timeout, the run
stops after --seconds at the latest, and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
PREVIEW = "/k/skelleftea/dok/underlag/forhandsvisning"
PAGE = "/k/lulea/dok/verksamhetsplan"
PAGE_EVERY_S = 0.2
TIMEOUT_S = 60.0
MAX_FLOOD = 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answering(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise SystemExit("the server stopped before it answered")
        if time.monotonic() > deadline:
            raise SystemExit(f"the server did not answer {url} within {seconds:.0f} s")
        time.sleep(0.05)


def make_accounts(path: Path) -> None:
    from argon2 import PasswordHasher

    from avtalsgen.accounts import Accounts

    # Cheap hashes: logging in is not what is measured (verifying uses the hash's own
    # parameters).
    accounts = Accounts(path, hasher=PasswordHasher(time_cost=1, memory_cost=8192,
                                                    parallelism=1))
    for name in ("flood", "other"):
        accounts.add_user(name, f"{name}@example.se", PASSWORD)
        for slug in ("lulea", "skelleftea"):
            accounts.grant(name, slug, "editor")
    accounts.close()


def login(base: str, name: str) -> httpx.Cookies:
    with httpx.Client(base_url=base, timeout=TIMEOUT_S) as client:
        page = client.get("/logga-in").text
        # The hidden field holding the token (its name differs between versions).
        token = client.cookies["avtalsgen_csrf"]
        field = re.search(rf'name="([^"]+)" value="{re.escape(token)}"', page).group(1)
        answer = client.post("/logga-in", data={field: token, "login": name,
                                                "password": PASSWORD, "next": "/"})
        if answer.status_code != 303:
            raise SystemExit(f"login as {name} failed: {answer.status_code}")
        return client.cookies


async def measure(base: str, flood: int, seconds: float) -> tuple[list[float], dict, float]:
    flood_cookies, other_cookies = login(base, "flood"), login(base, "other")
    statuses: collections.Counter[str] = collections.Counter()
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=flood, max_keepalive_connections=flood)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S, limits=limits,
                                 cookies=flood_cookies) as flooder, \
            httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S,
                              cookies=other_cookies) as other:
        # Warm: the page and one preview alone first (the first preview of a process
        # loads matplotlib and draws the charts for the first time, ~2 s on its own).
        (await other.get(PAGE)).raise_for_status()
        (await flooder.get(PREVIEW)).raise_for_status()
        done = asyncio.Event()

        async def one() -> None:
            try:
                statuses[str((await flooder.get(PREVIEW)).status_code)] += 1
            except httpx.HTTPError as e:
                statuses[type(e).__name__] += 1

        async def pages() -> None:
            while not done.is_set():
                start = time.perf_counter()
                try:
                    (await other.get(PAGE)).raise_for_status()
                except httpx.TimeoutException:
                    statuses["user 2's page timed out"] += 1
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(max(0.0, PAGE_EVERY_S - (time.perf_counter() - start)))

        start = time.perf_counter()
        watcher = asyncio.create_task(pages())
        try:
            await asyncio.wait_for(asyncio.gather(*(one() for _ in range(flood))), seconds)
        except TimeoutError:
            statuses["unfinished (run stopped)"] += flood - sum(
                v for k, v in statuses.items() if not k.startswith("user 2"))
        took = time.perf_counter() - start
        done.set()
        await asyncio.wait_for(watcher, TIMEOUT_S)
    return latencies, dict(statuses), took


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=200,
                        help=f"concurrent preview requests by user 1 (at most {MAX_FLOOD})")
    parser.add_argument("--seconds", type=float, default=180,
                        help="stop the flood after this long at the latest")
    parser.add_argument("--src", type=Path, default=None,
                        help="run the server from this source folder (its src/)")
    args = parser.parse_args()
    flood = max(1, min(args.flood, MAX_FLOOD))
    with tempfile.TemporaryDirectory(prefix="avtalsgen-fair-") as tmp:
        root = Path(tmp) / "municipalities"
        shutil.copytree(REPO / "municipalities", root)
        db = Path(tmp) / "accounts.sqlite3"
        make_accounts(db)
        env = dict(os.environ)
        if args.src is not None:
            env["PYTHONPATH"] = str(args.src.resolve() / "src")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "avtalsgen", "serve", "--shared", "--root", str(root),
             "--db", str(db), "--port", str(port)], env=env, cwd=tmp,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_answering(base + "/logga-in", server)
            latencies, statuses, took = asyncio.run(measure(base, flood, args.seconds))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    ms = [x * 1000 for x in latencies]
    print(f"flood: {flood} concurrent previews by user 1, done in {took:.1f} s: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print(f"user 2's page during the flood ({len(ms)} loads): p50 "
          f"{statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
          f"max {max(ms):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
