"""libyaml reads configs exactly as PyYAML's Python parser does: same data, same
lines, same refusals (with the same line), only faster."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import REPO

from avtalsgen import config
from avtalsgen.errors import ConfigError

FILES = sorted({*REPO.glob("municipalities/**/*.yaml"), *REPO.glob("templates/**/*.yaml"),
                *REPO.glob("tests/**/*.yaml")})
BROKEN = {
    "unclosed bracket": "a: [1, 2\nb: 3\n",
    "tab indentation": "a:\n\t- b\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "bad date": "a: 2025-13-45\n",
    "too deep": "a: " + "[" * 60 + "]" * 60 + "\n",
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
        for p, c in zip("abcde", "bcdef", strict=True)),
    "merge key": "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n",
    "unicode": "namn: \"Åsa & <Öst> \\\"citat\\\" 'enkel'\"\nrad: |\n  ett\n  två\n",
}

pytestmark = pytest.mark.skipif(not getattr(yaml, "__with_libyaml__", False),
                                reason="PyYAML without libyaml")


def read(path: Path, loader: type, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(config, "_Loader", loader)
    try:
        source = config.load_yaml(path)
    except ConfigError as e:
        return [(p.line, p.field) for p in e.problems]
    return source.data, source.lines


def test_libyaml_is_used() -> None:
    assert config._Loader is config._CLoader


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(REPO)) for p in FILES])
def test_every_config_reads_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert read(path, config._CLoader, monkeypatch) == read(path, config._PyLoader,
                                                             monkeypatch)


@pytest.mark.parametrize("name", BROKEN)
def test_every_refusal_is_the_same(name: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(BROKEN[name], "utf-8")
    fast = read(path, config._CLoader, monkeypatch)
    assert fast == read(path, config._PyLoader, monkeypatch)
    if name not in ("merge key", "unicode"):
        assert isinstance(fast, list) and fast, "must be refused"


def test_very_deep_nesting_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 1_000_000 + "]" * 1_000_000 + "\n", "utf-8")
    with pytest.raises(ConfigError, match="nest") as refused:
        config.load_yaml(path)  # libyaml stops at its own bound; PyYAML at ours
    assert refused.value.problems[0].line == 1
