"""`avtalsgen diff`: native Word tracked changes between two versions."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES, convert_to_pdf
from lxml import etree

from avtalsgen.build import Options, render_municipality

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def body_text(docx: bytes, mode: str = "as_is") -> list[str]:
    """Paragraph texts of the body; mode 'accept' or 'reject' applies all changes first."""
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    drop, keep = {"accept": ("del", "ins"), "reject": ("ins", "del")}.get(mode, (None, None))
    if drop:
        for el in root.xpath(f"//w:{drop}", namespaces=NS):
            el.getparent().remove(el)
        for el in root.xpath(f"//w:{keep}", namespaces=NS):
            parent = el.getparent()
            index = parent.index(el)
            for child in list(el):
                parent.insert(index, child)
                index += 1
            parent.remove(el)
        for el in root.xpath("//w:delText", namespaces=NS):
            el.tag = f"{{{W}}}t"
    out = []
    for p in root.xpath("//w:body//w:p", namespaces=NS):
        text = "".join(t.text or "" for t in p.xpath(".//w:t", namespaces=NS))
        if text.strip():
            out.append(text)
    return out


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "old" / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", old)
    new = tmp_path / "new" / "lulea"
    shutil.copytree(old, new)
    plan = new / "verksamhetsplan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "Genomfört senast oktober 2020.", "Genomfört senast november 2020."), encoding="utf-8")
    stats = new / "statistics.yaml"
    stats.write_text(stats.read_text(encoding="utf-8")
                     .replace('["0-14", 55, 56,', '["0-14", 57, 56,')
                     .replace("values: [625, 719,", "values: [627, 719,"), encoding="utf-8")
    return old, new


def test_redline_between_two_configs(versions: tuple[Path, Path], cli,
                                     tmp_path: Path) -> None:
    old, new = versions
    result = cli("diff", str(old), str(new), "--doc", "verksamhetsplan", "-o", "red.docx")
    assert result.exit_code == 0, result.output
    red = Path("red.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(red)) as z:
        xml = z.read("word/document.xml").decode()
    inserted = re.findall(r"<w:ins [^>]*>(.*?)</w:ins>", xml, re.S)
    deleted = re.findall(r"<w:del [^>]*>(.*?)</w:del>", xml, re.S)
    ins_text = " ".join(re.sub(r"<[^>]+>", "", x) for x in inserted)
    del_text = " ".join(re.sub(r"<[^>]+>", "", x) for x in deleted)
    assert "november" in ins_text and "oktober" in del_text       # the sentence
    assert "57" in ins_text and "55" in del_text                  # the table cell
    assert "627" in ins_text and "625" in del_text                # its computed total
    # Read in black and white, the deletion comes first: "oktobernovember".
    assert re.search(r"<w:del [^>]*>(?:(?!</w:del>).)*oktober.*?</w:del>\s*<w:ins [^>]*>"
                     r"(?:(?!</w:ins>).)*november", xml, re.S)
    assert not re.search(r"</w:ins><w:del ", xml)
    first = body_text(red)[0]
    assert first.startswith("Jämförelse: ändringarna från ") and str(old) in first \
        and str(new) in first

    render_municipality(old, Options(out_dir=tmp_path / "o"))
    render_municipality(new, Options(out_dir=tmp_path / "n"))
    old_doc = (tmp_path / "o" / "lulea" / "verksamhetsplan.docx").read_bytes()
    new_doc = (tmp_path / "n" / "lulea" / "verksamhetsplan.docx").read_bytes()
    assert body_text(red, "accept")[1:] == body_text(new_doc)  # after the first paragraph
    assert body_text(red, "reject")[1:] == body_text(old_doc)

    # The redline opens in a real office suite.
    converted = convert_to_pdf([Path("red.docx")], tmp_path / "pdf")
    assert converted.returncode == 0
    assert (tmp_path / "pdf" / "red.pdf").exists()


def test_redline_between_docx_files(versions: tuple[Path, Path], cli, tmp_path: Path) -> None:
    old, new = versions
    for side in (old, new):
        render_municipality(side, Options(out_dir=side.parent / "out"))
    result = cli("diff", str(old.parent / "out/lulea/verksamhetsplan.docx"),
                 str(new.parent / "out/lulea/verksamhetsplan.docx"), "-o", "red.docx")
    assert result.exit_code == 0, result.output
    assert b"w:ins" in zipfile.ZipFile("red.docx").read("word/document.xml")


def test_redline_against_a_git_revision(tmp_path: Path, cli,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(MUNICIPALITIES / "lulea", repo / "municipalities" / "lulea")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "sent 1 March")
    git("tag", "skickad")
    plan = repo / "municipalities/lulea/verksamhetsplan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "Genomfört senast oktober 2020.", "Genomfört senast mars 2021."), encoding="utf-8")
    monkeypatch.chdir(repo)
    result = cli("diff", "skickad:municipalities/lulea", "lulea", "--doc", "verksamhetsplan",
                 "-o", "red.docx")
    assert result.exit_code == 0, result.output
    xml = zipfile.ZipFile("red.docx").read("word/document.xml").decode()
    assert re.search(r"<w:ins [^>]*>.*?mars 2021.*?</w:ins>", xml, re.S)
    first = body_text(Path("red.docx").read_bytes())[0]
    assert re.search(r"från skickad:municipalities/lulea \(version [0-9a-f]{7,}, "
                     r"\d{4}-\d\d-\d\d\) till lulea \(ändringar som inte är incheckade\)",
                     first), first
    # The change is by the person who made it: here, the one who has not committed yet.
    git("config", "user.name", "Anna Andersson")
    result = cli("diff", "skickad:municipalities/lulea", "lulea", "--doc", "verksamhetsplan",
                 "-o", "red.docx")
    xml = zipfile.ZipFile("red.docx").read("word/document.xml").decode()
    assert re.search(r'<w:ins [^>]*w:author="Anna Andersson"', xml)
    git("-c", "user.email=a@example.org", "commit", "-qam", "mars")
    result = cli("diff", "skickad:municipalities/lulea", "HEAD:municipalities/lulea",
                 "--doc", "verksamhetsplan", "-o", "red.docx")
    xml = zipfile.ZipFile("red.docx").read("word/document.xml").decode()
    assert re.search(r'<w:ins [^>]*w:author="Anna Andersson"', xml)
    assert "w:author=\"avtalsgen\"" not in xml
    result = cli("diff", "nosuchrev:municipalities/lulea", "lulea", "--doc",
                 "verksamhetsplan", "-o", "x.docx")
    assert result.exit_code == 2
    assert "no revision 'nosuchrev'" in result.output


def test_diff_needs_doc_for_several_documents(versions: tuple[Path, Path], cli) -> None:
    old, new = versions
    result = cli("diff", str(old), str(new), "-o", "red.docx")
    assert result.exit_code == 2
    assert "choose one with --doc" in result.output
