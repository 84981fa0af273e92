"""The lägesbild charts each indicator year by year (an `indicators` block; an empty
list charts them all), as the
follow-up does: the init example's lägesbild, a chosen list, and a name that is not an
indicator refused at its line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from avtalsgen.build import init_municipality, load
from avtalsgen.context import build_context
from avtalsgen.errors import ConfigError

DRAFT = {"version": "", "date": ""}


def charts(folder: Path, doc: str) -> list[str]:
    bundle = load(folder)
    body = build_context(bundle.municipality, bundle.statistics, bundle.documents, doc,
                         draft=DRAFT)["body"]
    return [it["caption"] for it in body if it["kind"] == "chart"]


def test_the_example_lagesbild_charts_each_indicator_with_years(tmp_path: Path) -> None:
    folder = init_municipality("ex", tmp_path, "Exby")
    shown = charts(folder, "lagesbild")
    # Two of the example's three indicators read their values from a table by year;
    # the third has a baseline and a target only: no line to draw.
    assert [c for c in shown if "2021–2024" in c] == [
        "Figur 4. Anmäld skadegörelse, 2021–2024 (EXEMPELDATA)",
        "Figur 5. Andel kvinnor som känner sig otrygga ute sen kväll (procent), "
        "2021–2024 (EXEMPELDATA)"]


def _with_block(folder: Path, block: object) -> None:
    path = folder / "lagesbild.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    [section] = [s for s in data["sections"] if s["heading"] == "Indikatorer år för år"]
    section["content"] = [{"indicators": block}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def test_a_list_charts_only_the_indicators_it_names(tmp_path: Path) -> None:
    folder = init_municipality("ex", tmp_path, "Exby")
    _with_block(folder, ["skadegorelse"])
    shown = charts(folder, "lagesbild")
    assert sum("Anmäld skadegörelse, 2021–2024" in c for c in shown) == 1
    assert not any("Andel kvinnor" in c and "2021–2024" in c for c in shown)


def test_a_name_that_is_no_indicator_is_refused_at_its_line(tmp_path: Path) -> None:
    folder = init_municipality("ex", tmp_path, "Exby")
    _with_block(folder, ["skadegorelse", "skadegorelsen"])
    with pytest.raises(ConfigError) as refused:
        load(folder)
    [problem] = refused.value.problems
    assert problem.field.endswith("].content[0].indicators[1]") and problem.line
    assert "no indicator 'skadegorelsen'" in problem.message
    assert "did you mean 'skadegorelse'" in problem.message
