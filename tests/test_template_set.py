"""One shared template set serves every municipality; differences are data."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, all_text, paragraphs, visible_paragraphs
from docx import Document

from avtalsgen.build import Options, init_municipality, render_municipality
from avtalsgen.errors import ConfigError
from avtalsgen.validate import load_municipality


def test_no_template_per_municipality() -> None:
    files = subprocess.run(["git", "ls-files", "municipalities"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    assert files, "municipalities are tracked"
    assert all(f.endswith((".yaml", ".png", ".jpg", ".jpeg")) for f in files), files
    assert not any(f.endswith(".docx") for f in files)


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """A municipality that exists only in this test, made by `avtalsgen init`."""
    return init_municipality("testby", tmp_path / "municipalities", name="Testby")


def test_init_example_renders_every_document_type(town: Path, tmp_path: Path) -> None:
    outcome = render_municipality(town, Options(out_dir=tmp_path / "out"))
    names = sorted(p.name for p in outcome.written)
    assert names == ["bilagor.docx", "handlingsplan.docx", "lagesbild.docx",
                     "medborgarloften.docx", "samverkansoverenskommelse.docx"]
    out = tmp_path / "out" / "testby"

    agreement = paragraphs(out / "samverkansoverenskommelse.docx")
    assert ("Subtitle", "Testby kommun och Lokalpolisområde Testby 2025–2028") in agreement
    texts = [t for _, t in agreement]
    assert "Samverkansöverenskommelsen gäller 2025-03-01 – 2028-12-31" in texts
    assert ("Signing Place", "Testby 1 mars 2025") in agreement

    report = Document(str(out / "lagesbild.docx"))
    captions = [p.text for p in report.paragraphs if p.style.name == "Caption"]
    assert "Figur 1. Anmälda brott per år och brottstyp. (EXEMPELDATA)" in captions
    assert ("Figur 2. Andel som känner sig otrygga ute sen kväll, i procent. "
            "(EXEMPELDATA)") in captions
    assert ("Figur 3. Vad kommun och polis bör samverka mot. (EXEMPELDATA)"
            in captions)
    [table] = report.tables
    assert [c.text for c in table.rows[-1].cells] == [
        "Totalt", "3\u00a0967", "3\u00a0793", "3\u00a0758", "3\u00a0443"]
    report_text = all_text(out / "lagesbild.docx")
    assert "Bilaga 1 Medborgarlöften" in report_text
    assert "EXEMPELDATA: siffrorna är påhittade" in report_text
    assert "Innehåll" in report_text


def test_bra_action_plan_table(town: Path, tmp_path: Path) -> None:
    render_municipality(town, Options(out_dir=tmp_path / "out", names=("handlingsplan",)))
    doc = Document(str(tmp_path / "out" / "testby" / "handlingsplan.docx"))
    [table] = doc.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["Orsak", "Åtgärd", "Operativa mål", "När", "Vem", "Uppföljning"]
    assert rows[1][0].startswith("1. Ungdomar saknar")
    assert rows[1][1].startswith("1.1 ")
    # The cause's cell spans its measures (vertically merged), so Word shows it once.
    assert rows[2][0] == rows[1][0] and rows[2][1].startswith("1.2 ")
    assert table._tbl.xpath(".//w:tc[1]/w:tcPr/w:vMerge")
    assert rows[3][0].startswith("2. ") and rows[3][1].startswith("2.1 ")
    # Status is a word, not only a colour.
    assert [r[5].rsplit("Status: ", 1)[1] for r in rows[1:]] == ["Grön", "Gul", "Röd"]
    fills = [tc.xpath("./w:tcPr/w:shd/@w:fill") for tc in table._tbl.xpath(".//w:tc")]
    assert ["C6EFCE"] in fills and ["FFC7CE"] in fills


def test_edited_config_shows_up(town: Path, tmp_path: Path) -> None:
    plan = town / "bilagor.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "Minst fem vandringar per år.", "Minst sju vandringar per år."), encoding="utf-8")
    render_municipality(town, Options(out_dir=tmp_path / "out", names=("bilagor",)))
    paras = visible_paragraphs(tmp_path / "out" / "testby" / "bilagor.docx")
    texts = [t for _, t in paras]
    assert "Minst sju vandringar per år." in texts
    assert ("Heading 3", "1.1 Trygghetsvandringar") in paras
    assert ("Label", "Tillvägagångssätt:") in paras
    assert ("Label", "Uppföljning:") in paras


def test_municipality_template_override_wins(town: Path, tmp_path: Path) -> None:
    shared = REPO / "templates" / "citizen_promises.docx"
    doc = Document(str(shared))
    doc.paragraphs[0].insert_paragraph_before("Testbys egen mall")
    (town / "templates").mkdir()
    doc.save(str(town / "templates" / "citizen_promises.docx"))
    names = ("medborgarloften", "samverkansoverenskommelse")
    render_municipality(town, Options(out_dir=tmp_path / "out", names=names))
    out = tmp_path / "out" / "testby"
    assert "Testbys egen mall" in all_text(out / "medborgarloften.docx")
    assert "Testbys egen mall" not in all_text(out / "samverkansoverenskommelse.docx")


def _png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_logo_in_header_with_alt_text(town: Path, tmp_path: Path) -> None:
    (town / "logo.png").write_bytes(_png())
    muni = town / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8") + "logo: logo.png\n", encoding="utf-8")
    render_municipality(town, Options(out_dir=tmp_path / "out", names=("medborgarloften",)))
    with zipfile.ZipFile(tmp_path / "out" / "testby" / "medborgarloften.docx") as z:
        header = next(z.read(n).decode() for n in z.namelist()
                      if re.fullmatch(r"word/header\d*\.xml", n) and b"Testby" in z.read(n))
    assert 'descr="Logotyp för Testby kommun"' in header


@pytest.mark.parametrize("logo", ["../logo.png", "/etc/passwd", "saknas.png", "municipality.yaml"])
def test_logo_must_be_an_image_inside_the_folder(town: Path, logo: str) -> None:
    muni = town / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8") + f"logo: {logo}\n", encoding="utf-8")
    (town.parent / "logo.png").write_bytes(_png())
    with pytest.raises(ConfigError) as info:
        load_municipality(town)
    [problem] = info.value.problems
    assert problem.field == "logo"
    assert problem.line is not None


def test_init_refuses_existing_folder_and_bad_names(town: Path) -> None:
    with pytest.raises(ConfigError):
        init_municipality("testby", town.parent)
    with pytest.raises(ConfigError):
        init_municipality("../ut", town.parent)
    with pytest.raises(ConfigError):
        init_municipality("ny", town.parent, name='Ond"\nnamn')


def test_init_cli(cli) -> None:
    result = cli("init", "pitea", "--name", "Piteå")
    assert result.exit_code == 0, result.output
    assert "created municipalities/pitea with 5 documents" in result.output
    assert cli("render", "pitea").exit_code == 0
    assert Path("output/pitea/samverkansoverenskommelse.docx").is_file()
    assert cli("init", "pitea").exit_code == 2
