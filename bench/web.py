#!/usr/bin/env python3
"""Benchmarks for the web editor (not tests: the figures go into docs/benchmarks.md).

    .venv/bin/python bench/web.py [--repeat 20]

Starts `avtalsgen serve` on 127.0.0.1 and a free port over a git copy of the seed
municipalities, and measures with a real HTTP client (medians):

1. first paint: from starting the server process until the list page has arrived;
2. page: the list, a municipality, a document and a section page;
3. save + validate: posting a document form (a changed title) until the answer,
   which has saved, committed and validated;
4. preview: the HTML preview of the largest seed document (Skellefteå's underlag,
   ten charts) right after a save.
The server is stopped at the end; every request has a timeout.
"""

from __future__ import annotations

import argparse
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
GIT = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "b@example.invalid",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "b@example.invalid"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answering(url: str, seconds: float = 30) -> None:
    """Until a starting server answers url with 200 (after redirects)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=5, follow_redirects=True).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the server did not answer {url} within {seconds:.0f} s")
        time.sleep(0.02)


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def form_of(html: str) -> dict[str, str]:
    """The document form's fields as a browser posts them: inputs, textareas and the
    selected option of each select (enough for this page, which repeats no name)."""
    fields = dict(re.findall(r'<input(?![^>]*type="(?:submit|checkbox)")[^>]*name="([^"]+)"'
                             r'[^>]*value="([^"]*)"', html))
    fields.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\n?([^<]*)</textarea>', html))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html,
                                    re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        if chosen:
            fields[name] = chosen.group(1)
    for name in re.findall(r'<input[^>]*type="checkbox"[^>]*name="([^"]+)"[^>]*checked', html):
        fields[name] = "on"
    return fields


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="avtalsgen-bench-") as tmp:
        root = Path(tmp) / "municipalities"
        shutil.copytree(REPO / "municipalities", root)
        env = {**os.environ, **GIT}
        for command in (["git", "init", "-q"], ["git", "add", "."],
                        ["git", "commit", "-qm", "Start"]):
            subprocess.run(command, cwd=root, env=env, check=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        start = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "avtalsgen", "serve", "--root",
                                   str(root), "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                wait_until_answering(base + "/")
                first_paint = (time.perf_counter() - start) * 1000
                pages = {path: median_ms(lambda p=path: client.get(p).raise_for_status(),
                                         args.repeat)
                         for path in ("/", "/k/skelleftea", "/k/skelleftea/dok/underlag",
                                      "/k/lulea/dok/verksamhetsplan/avsnitt/1.0")}
                doc = "/k/skelleftea/dok/underlag"
                saves, previews = [], []
                for i in range(args.repeat):
                    form = form_of(client.get(doc).text)
                    form.update(title=f"Underlag för samverkansavtal {i}", action="save")
                    t0 = time.perf_counter()
                    answer = client.post(doc, data=form, follow_redirects=True)
                    saves.append(time.perf_counter() - t0)
                    assert answer.status_code == 200 and "Sparat" in answer.text, \
                        answer.status_code
                    t0 = time.perf_counter()
                    preview = client.get(doc + "/forhandsvisning")
                    previews.append(time.perf_counter() - t0)
                    assert f"samverkansavtal {i}" in preview.text
        finally:
            server.terminate()
            server.wait(timeout=10)
    print("| measure | median | target |")
    print("|---|---|---|")
    print(f"| first paint after `avtalsgen serve` | {first_paint:.0f} ms | < 2 000 ms |")
    for path, ms in pages.items():
        print(f"| page `{path}` | {ms:.0f} ms | < 150 ms |")
    print(f"| save + validate (document form) | {statistics.median(saves) * 1000:.0f} ms "
          "| < 300 ms |")
    print(f"| HTML preview of the largest seed document after a save | "
          f"{statistics.median(previews) * 1000:.0f} ms | < 1 000 ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
