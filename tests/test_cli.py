"""The command line: a thin layer, exit codes 0 / 2, help everywhere."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES

from avtalsgen import __version__


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    shutil.copytree(MUNICIPALITIES, tmp_path / "municipalities")
    return tmp_path


def test_version(cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("command", ["render", "validate", "schema", "init", "diff", "check"])
def test_help_on_every_command(cli, command: str) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_schema_is_json_with_swedish_descriptions(cli) -> None:
    result = cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    party = schema["$defs"]["Party"]["properties"]
    assert party["name"]["description"].startswith("Fullständigt namn")
    assert schema["$defs"]["Municipality"]["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        for field, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"


def test_batch_summary_and_no_progress_bar_off_a_terminal(cli, repo_copy: Path) -> None:
    result = cli("render", "--all", "--out", "out", "--jobs", "2")
    assert result.exit_code == 0
    assert re.search(r"^5 written, 0 unchanged, 0 failed \(3 municipalities, [\d.]+ s\)$",
                     result.output, re.M)
    assert "Rendering" not in result.output  # CliRunner is not a terminal
    quiet = cli("render", "--all", "--out", "out", "--quiet")
    assert "unchanged out/" not in quiet.output
    assert "0 written, 5 unchanged" in quiet.output


def test_render_all_and_one_document(cli, repo_copy: Path) -> None:
    result = cli("render", "--all", "--out", "out")
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to("out").as_posix() for p in Path("out").rglob("*.docx"))
    assert "lulea/samverkansoverenskommelse.docx" in written
    assert "skelleftea/underlag.docx" in written
    assert "strangnas/samverkansoverenskommelse.docx" in written

    result = cli("render", "lulea", "--doc", "verksamhetsplan", "--out", "only")
    assert result.exit_code == 0
    assert [p.name for p in Path("only/lulea").glob("*.docx")] == ["verksamhetsplan.docx"]


def test_usage_and_unknown_municipality_exit_2(cli, repo_copy: Path) -> None:
    assert cli("render").exit_code == 2
    result = cli("render", "nowhere")
    assert result.exit_code == 2
    assert "no municipality.yaml here" in result.output
    result = cli("render", "lulea", "--doc", "nosuchdoc")
    assert result.exit_code == 2
    assert "no document 'nosuchdoc'" in result.output


def test_validate_ok_and_failure(cli, repo_copy: Path) -> None:
    result = cli("validate")
    assert result.exit_code == 0
    assert result.output.count("ok ") == 3
    bad = Path("municipalities/lulea/municipality.yaml")
    bad.write_text(bad.read_text(encoding="utf-8") + "extra: 1\n", encoding="utf-8")
    result = cli("validate", "lulea")
    assert result.exit_code == 2
    assert "extra: unknown key 'extra'" in result.output


def test_python_dash_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "avtalsgen", "--version"],
                         capture_output=True, text=True, check=True)
    assert __version__ in out.stdout
