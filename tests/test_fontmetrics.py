"""Table layout measures text with the Carlito metrics that come with the package, so the
same YAML gives the same .docx bytes on a machine without the font."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES, REPO, SEEDS, missing

from avtalsgen import fontmetrics

FONT_DIR = Path("/usr/share/fonts/truetype/crosextra")  # Debian's fonts-crosextra-carlito

# Renders the seed municipalities and the `init` example (Brå's measures table) into
# argv[1] and prints {file: sha256}; with argv[2] == "hidden", no system font can be
# read: not by path, not by Pillow, not by a lookup of whether it exists.
RENDER = r"""
import builtins, hashlib, io, json, os, sys
from pathlib import Path

out, mode, seeds = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
if mode == "hidden":
    def hidden(path):
        return isinstance(path, (str, os.PathLike)) and \
            os.path.abspath(os.fspath(path)).startswith("/usr/share/fonts")
    real_open, real_exists = builtins.open, os.path.exists
    def guarded_open(file, *args, **kwargs):
        if hidden(file):
            raise FileNotFoundError(file)
        return real_open(file, *args, **kwargs)
    builtins.open = io.open = guarded_open
    os.path.exists = lambda path: False if hidden(path) else real_exists(path)
    from PIL import ImageFont
    real_truetype = ImageFont.truetype
    def guarded_truetype(font=None, *args, **kwargs):
        if hidden(font):
            raise OSError(f"hidden: {font}")
        return real_truetype(font, *args, **kwargs)
    ImageFont.truetype = guarded_truetype
    assert not os.path.exists("/usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf")

from avtalsgen.build import Options, init_municipality, render_many

example = out / "src"
init_municipality("exempelby", example, name="Exempelby")
render_many(["lulea", "skelleftea", "strangnas"], Options(out_dir=out / "seeds"), root=seeds)
render_many(["exempelby"], Options(out_dir=out / "example"), root=example)
print(json.dumps({str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
                  for p in sorted(out.rglob("*.docx"))}))
"""


def _render(out: Path, mode: str) -> dict[str, str]:
    result = subprocess.run([sys.executable, "-c", RENDER, str(out), mode, str(MUNICIPALITIES)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_same_bytes_without_the_system_font(tmp_path: Path) -> None:
    normal = _render(tmp_path / "normal", "normal")
    hidden = _render(tmp_path / "hidden", "hidden")
    assert len(normal) >= 6 and any("handlingsplan" in name for name in normal)
    assert hidden == normal


def _installed(style: str) -> Path:
    path = FONT_DIR / f"Carlito-{style}.ttf"
    if not path.exists():
        missing("The Carlito font", "apt-get install fonts-crosextra-carlito")
    return path


@pytest.mark.parametrize("style", ["Regular", "Bold"])
def test_the_shipped_widths_are_the_installed_fonts(style: str) -> None:
    """Every character measures as Pillow measures the installed Carlito (what the table
    layout used before the metrics came with the package), so no column width changed;
    so does every word of the seed texts."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(_installed(style)), 1000,
                              layout_engine=ImageFont.Layout.BASIC)
    bold = style == "Bold"
    metrics = fontmetrics.metrics(bold)
    assert len(metrics.advances) > 2000
    wrong = {cp: (width, font.getlength(chr(cp))) for cp, width in metrics.advances.items()
             if font.getlength(chr(cp)) != width}
    assert not wrong
    assert font.getlength("\U000f0000") == metrics.missing
    words = {w for seed in SEEDS.glob("*.txt") for w in seed.read_text("utf-8").split()}
    words |= {"Narkotikabrottslighetsbekämpningsverksamhet", "WWW", "ŧ→☃", "Åtgärd–mål"}
    for word in words:
        assert fontmetrics.em_width(word, bold) == font.getlength(word) / 1000, word


def test_the_table_is_what_the_script_makes() -> None:
    """fonts/carlito.json holds what tools/font_metrics.py measures in the installed font
    (fontTools comes with matplotlib)."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import font_metrics
    finally:
        sys.path.pop(0)
    table = {style: font_metrics.measure(_installed(style)) for style in font_metrics.STYLES}
    shipped = Path(fontmetrics.__file__).parent / "fonts" / "carlito.json"
    assert json.loads(json.dumps(table)) == json.loads(shipped.read_text("utf-8"))["styles"]
