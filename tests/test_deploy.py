"""The systemd unit in deploy/: systemd accepts it, and the command it starts serves
the shared editor and stops cleanly on the signal systemd sends."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from conftest import GIT_ENV, REPO, free_port, seed_repository, wait_until_answering

from avtalsgen.accounts import Accounts

UNIT = REPO / "deploy" / "avtalsgen.service"
HOME = "/srv/avtalsgen"


def unit(base: Path) -> str:
    """The unit with its home moved to base, run as the current user."""
    text = UNIT.read_text("utf-8").replace(HOME, str(base))
    text = re.sub(r"(?m)^User=.*$", f"User={pwd.getpwuid(os.getuid()).pw_name}", text)
    return re.sub(r"(?m)^Group=.*$", f"Group={grp.getgrgid(os.getgid()).gr_name}", text)


def settings(text: str) -> dict[str, list[str]]:
    """Every KEY=value line of the unit, by key (Environment= may repeat)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def home(tmp_path: Path) -> Path:
    base = tmp_path / "srv"
    (base / ".venv" / "bin").mkdir(parents=True)
    (base / ".venv" / "bin" / "avtalsgen").symlink_to(Path(sys.executable).parent / "avtalsgen")
    return base


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (.ci/run tries to install it)")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    base = home(tmp_path)
    path = tmp_path / "avtalsgen.service"
    path.write_text(unit(base), "utf-8")
    checked = subprocess.run(["systemd-analyze", "verify", str(path)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "avtalsgen.service" not in checked.stderr, checked.stderr


def test_the_units_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    base = home(tmp_path)
    service = settings(unit(base))
    seed_repository(base)
    with Accounts(base / "accounts.sqlite3", hasher=PasswordHasher(
            time_cost=1, memory_cost=8192, parallelism=1)) as accounts:
        accounts.add_user("anna", "anna@example.se", "ett långt lösenord")
        accounts.grant("anna", "lulea", "editor")
    port = free_port()
    command = [a.replace("8000", str(port)) for a in shlex.split(service["ExecStart"][0])]
    env = dict(os.environ, **GIT_ENV)
    env.update(value.partition("=")[::2] for value in service["Environment"])
    server = subprocess.Popen(command, cwd=service["WorkingDirectory"][0], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_answering(url + "/", lambda: server.poll() is None)
        answer = httpx.get(url + "/", timeout=5)
        assert answer.status_code in (303, 307)
        assert answer.headers["location"].startswith("/logga-in")
        assert "Logga in" in httpx.get(url + "/logga-in", timeout=5).text
        server.send_signal(signal.SIGTERM)  # what systemd sends (KillSignal)
        assert server.wait(timeout=int(service["TimeoutStopSec"][0])) == 0
        left: list[str] = []
        for _ in range(100):  # the workers end with the server, within moments
            left = subprocess.run(["pgrep", "-s", str(server.pid)], capture_output=True,
                                  text=True).stdout.split()
            if not left:
                break
            time.sleep(0.1)
        assert left == [], f"processes left after the stop: {left}"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
