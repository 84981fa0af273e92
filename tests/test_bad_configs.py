"""A corpus of broken configs: every one exits 2 with each problem named, nothing written."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO

CORPUS = REPO / "tests" / "bad_configs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
# A problem line: file, optional line number, then the field and the message.
PROBLEM_LINE = re.compile(r"^\S+\.yaml(:\d+)?: ")


def _break(folder: Path, case: dict) -> None:
    path = folder / case["file"]
    if case.get("delete"):
        path.unlink()
    elif "content" in case:
        path.write_text(case["content"], encoding="utf-8")
    elif "bytes" in case:
        path.write_bytes(base64.b64decode(case["bytes"]))
    elif "append" in case:
        path.write_text(path.read_text(encoding="utf-8") + case["append"], encoding="utf-8")
    else:
        old, new = case["replace"]
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{case['name']}: {old!r} not in {case['file']}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _run(cli, folder: Path):
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not Path("out").exists()
    problems = [ln for ln in result.output.splitlines()
                if not ln.startswith("error:") and "municipalities failed" not in ln
                and " written, " not in ln]
    assert problems, result.output
    for line in problems:
        assert PROBLEM_LINE.match(line), line
    return result.output


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


def test_base_is_valid(cli, tmp_path: Path) -> None:
    folder = tmp_path / "provby"
    shutil.copytree(CORPUS / "base", folder)
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_config(case: dict, cli, tmp_path: Path) -> None:
    folder = tmp_path / "provby"
    shutil.copytree(CORPUS / "base", folder)
    _break(folder, case)
    output = _run(cli, folder)
    for expected in case["expect"]:
        assert expected in output, f"{expected!r} not in:\n{output}"


def test_huge_file(cli, tmp_path: Path) -> None:
    folder = tmp_path / "provby"
    shutil.copytree(CORPUS / "base", folder)
    muni = folder / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8") + "#" + "x" * 6_000_000 + "\n",
                    encoding="utf-8")
    output = _run(cli, folder)
    assert "municipality.yaml: file is larger than 5 MB" in output


def test_every_problem_is_listed_at_once(cli, tmp_path: Path) -> None:
    folder = tmp_path / "provby"
    shutil.copytree(CORPUS / "base", folder)
    for case in CASES:
        if case["name"] in ("a total that disagrees", "unknown top-level key",
                            "missing title"):
            _break(folder, case)
    output = _run(cli, folder)
    assert "disagrees" in output and "unknown key 'kommunen'" in output
    assert "title: required field is missing" in output
