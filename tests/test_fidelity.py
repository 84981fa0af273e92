"""The generated documents reproduce the real published documents
(tests/fixtures/seeds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEED_DOCUMENTS, SEEDS
from textfidelity import docx_fidelity

MIN_RATIO = 0.95


@pytest.mark.parametrize(("slug", "doc", "seed"), SEED_DOCUMENTS,
                         ids=[s for _, _, s in SEED_DOCUMENTS])
def test_seed_fidelity(rendered: Path, slug: str, doc: str, seed: str) -> None:
    score = docx_fidelity(rendered / slug / f"{doc}.docx", SEEDS / seed)
    assert score.ratio >= MIN_RATIO, f"{slug}/{doc}: {score}"
