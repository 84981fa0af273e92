"""Config errors name the file, the line and the field; nothing is written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES

from avtalsgen.config import load_yaml
from avtalsgen.errors import ConfigError
from avtalsgen.validate import load_municipality


@pytest.fixture
def lulea(tmp_path: Path) -> Path:
    """A writable copy of the Luleå config."""
    folder = tmp_path / "municipalities" / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", folder)
    return folder


def _replace(path: Path, old: str, new: str) -> int:
    """Replace text once; return the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_unknown_key_wrong_type_missing_field_each_reported(lulea: Path, cli) -> None:
    muni = lulea / "municipality.yaml"
    typo_line = _replace(muni, "  short_name: Luleå\n", "  short_name: Luleå\n  shortname: L\n")
    type_line = _replace(muni, "  start: 2020", "  start: tjugotjugo")
    plan = lulea / "verksamhetsplan.yaml"
    _replace(plan, "title: Verksamhetsplan 2020-2021\n", "")

    result = cli("render", str(lulea), "--out", "out")
    assert result.exit_code == 2
    err = result.output
    assert f"municipality.yaml:{typo_line + 1}: kommun.shortname: unknown key 'shortname'" \
        f" (did you mean 'short_name'?)" in err
    assert f"municipality.yaml:{type_line}: period.start:" in err
    assert "tjugotjugo" in err
    assert re.search(r"verksamhetsplan.yaml:\d+: title: required field is missing", err)
    assert "Traceback" not in err
    assert not Path("out").exists()


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb:\n  c: 2\n  c: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    [problem] = info.value.problems
    assert problem.line == 4
    assert problem.field == "b.c"
    assert "duplicate key (first given on line 3)" in problem.message


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    assert info.value.problems[0].line in (3, 4)
    assert "YAML syntax error" in info.value.problems[0].message


def test_total_that_disagrees_names_the_table(lulea: Path) -> None:
    stats = lulea / "statistics.yaml"
    _replace(stats, "values: [625, 719, 828, 806, 764, 690]",
             "values: [625, 719, 828, 806, 764, 691]")
    with pytest.raises(ConfigError) as info:
        load_municipality(lulea)
    [problem] = info.value.problems
    assert problem.field == "tables.misstankta_ungdomar"
    assert "691" in problem.message and "690" in problem.message


def test_references_to_missing_tables_and_clauses(lulea: Path) -> None:
    plan = lulea / "verksamhetsplan.yaml"
    _replace(plan, "table: misstankta_ungdomar", "table: misstankta")
    _replace(plan, "clause: preventionsnivaer", "clause: preventionsniva")
    with pytest.raises(ConfigError) as info:
        load_municipality(lulea)
    messages = [str(p) for p in info.value.problems]
    assert any("no table 'misstankta' in statistics.yaml (did you mean "
               "'misstankta_ungdomar'?)" in m for m in messages)
    assert any("no clause 'preventionsniva' in the clause library (did you mean "
               "'preventionsnivaer'?)" in m for m in messages)


def test_period_that_ends_before_it_starts(lulea: Path) -> None:
    _replace(lulea / "municipality.yaml", "  end: 2023", "  end: 2019")
    with pytest.raises(ConfigError) as info:
        load_municipality(lulea)
    assert any(p.field == "period" and "before start" in p.message
               for p in info.value.problems)


def test_control_characters_are_refused_with_the_field(lulea: Path) -> None:
    _replace(lulea / "municipality.yaml", "  name: Luleå kommun", '  name: "Luleå\\x07 kommun"')
    with pytest.raises(ConfigError) as info:
        load_municipality(lulea)
    [problem] = info.value.problems
    assert problem.field == "kommun.name"
    assert "U+0007" in problem.message
