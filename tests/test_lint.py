"""The code stays ruff clean and mypy clean (the rules of both live in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import REPO


def test_ruff_clean() -> None:
    ruff = shutil.which("ruff") or str(
        __import__("pathlib").Path(sys.executable).with_name("ruff"))
    if not __import__("pathlib").Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    folders = [d for d in ("src", "tests", "tools", "bench") if (REPO / d).is_dir()]
    result = subprocess.run([ruff, "check", *folders],
                            cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    """mypy over src/ ([tool.mypy]: Python 3.11, stubs from the test extras)."""
    try:
        from mypy import api
    except ImportError:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    stdout, stderr, status = api.run(["--config-file", str(REPO / "pyproject.toml"),
                                      "--cache-dir", str(REPO / ".mypy_cache"),
                                      str(REPO / "src")])
    assert status == 0, stdout + stderr
