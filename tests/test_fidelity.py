"""The generated documents reproduce the real published documents (../shared/seeds)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import SEED_DOCUMENTS, SEEDS, SHARED

MIN_RATIO = 0.95


def _fidelity():
    spec = importlib.util.spec_from_file_location("fidelity", SHARED / "tools" / "fidelity.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("slug", "doc", "seed"), SEED_DOCUMENTS,
                         ids=[s for _, _, s in SEED_DOCUMENTS])
def test_seed_fidelity(rendered: Path, slug: str, doc: str, seed: str) -> None:
    fidelity = _fidelity()
    generated = fidelity.words(fidelity.docx_text(str(rendered / slug / f"{doc}.docx")))
    reference = fidelity.words((SEEDS / seed).read_text(encoding="utf-8"))
    ratio, recall, precision, _ = fidelity.compare(generated, reference)
    assert ratio >= MIN_RATIO, f"{slug}/{doc}: ratio {ratio:.3f} (recall {recall:.3f}, " \
                               f"precision {precision:.3f})"
