"""Templates are not code, config text is data, and nothing escapes its folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES, REPO, all_text, minimal_municipality, write_municipality
from docx import Document

from avtalsgen.build import Options, render_many, render_municipality
from avtalsgen.errors import ConfigError, TemplateError

PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% import os %}{{ os.system('touch /tmp/avtalsgen-pwned') }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{% include '/etc/passwd' %}",
    "{{ self._TemplateReference__context }}",
    "{{ config }}{{ request }}{{ lipsum.__globals__ }}",
]


def _town(tmp_path: Path, text: str) -> Path:
    doc = {"type": "agreement", "title": text, "sections": [
        {"heading": text, "content": [text, {"bullets": [text]}]}]}
    return write_municipality(tmp_path / "m" / "ort", minimal_municipality(), {"avtal": doc})


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_config_is_inert_text(payload: str, tmp_path: Path) -> None:
    folder = _town(tmp_path, payload)
    [path] = render_municipality(folder, Options(out_dir=tmp_path / "out")).written
    text = all_text(path)
    assert text.count(payload) >= 3  # title, heading, paragraph, bullet: verbatim
    assert "root:" not in text and "uid=" not in text and "<class" not in text
    assert not Path("/tmp/avtalsgen-pwned").exists()


def _template_with(tmp_path: Path, payload: str) -> Path:
    doc = Document(str(REPO / "templates" / "agreement.docx"))
    doc.add_paragraph(payload)
    path = tmp_path / "agreement.docx"
    doc.save(str(path))
    return path


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_a_template_fails_cleanly(payload: str, tmp_path: Path) -> None:
    folder = _town(tmp_path, "Titel")
    (folder / "templates").mkdir()
    shutil.copy(_template_with(tmp_path, payload), folder / "templates" / "agreement.docx")
    try:
        outcome = render_municipality(folder, Options(out_dir=tmp_path / "out"))
    except (TemplateError, ConfigError) as e:  # refused by the check or by the sandbox
        assert "agreement.docx" in str(e)
        assert not (tmp_path / "out").exists()
    else:
        text = all_text(outcome.written[0])
        assert "root:" not in text and "uid=" not in text and "subclasses" not in text
    assert not Path("/tmp/avtalsgen-pwned").exists()


def test_malicious_clause_in_the_library_is_stopped(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from avtalsgen import clauses

    library = tmp_path / "clauses.yaml"
    library.write_text("ond:\n  description: x\n  text:\n"
                       "    - \"{{ kommun.__class__.__mro__[1].__subclasses__() }}\"\n",
                       encoding="utf-8")
    monkeypatch.setattr(clauses, "LIBRARY_FILE", library)
    doc = {"type": "agreement", "title": "T", "sections": [
        {"heading": "H", "content": [{"clause": "ond"}]}]}
    folder = write_municipality(tmp_path / "m" / "ort", minimal_municipality(), {"avtal": doc})
    try:
        with pytest.raises(ConfigError) as info:
            clauses.load_library.cache_clear()
            from avtalsgen.validate import load_municipality
            load_municipality(folder)
        assert "clause cannot be rendered" in str(info.value)
        assert "unsafe" in str(info.value) or "access" in str(info.value)
    finally:
        clauses.load_library.cache_clear()


@pytest.mark.parametrize("target", ["../ut", "/etc", "lulea/../../x", ".."])
def test_paths_cannot_escape(target: str, cli) -> None:
    shutil.copytree(MUNICIPALITIES / "lulea", Path("municipalities/lulea"))
    result = cli("render", target, "--out", "out")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_symlinked_config_file_pointing_out_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "m" / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", folder)
    outside = tmp_path / "outside.yaml"
    shutil.move(folder / "statistics.yaml", outside)
    (folder / "statistics.yaml").symlink_to(outside)
    with pytest.raises(ConfigError) as info:
        render_municipality(folder, Options(out_dir=tmp_path / "out"))
    assert "symlink points outside the municipality folder" in str(info.value)


def test_symlinked_template_override_pointing_out_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "m" / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", folder)
    (folder / "templates").mkdir()
    (folder / "templates" / "agreement.docx").symlink_to(REPO / "templates" / "agreement.docx")
    with pytest.raises(ConfigError) as info:
        render_municipality(folder, Options(out_dir=tmp_path / "out"))
    assert "outside the municipality folder" in str(info.value)


def test_output_folder_symlinked_out_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "lulea").symlink_to(tmp_path / "elsewhere")
    from avtalsgen.errors import OutputError

    with pytest.raises(OutputError):
        render_municipality("lulea", Options(out_dir=out), root=MUNICIPALITIES)
    assert not list((tmp_path / "elsewhere").iterdir())


def test_broken_municipality_does_not_stop_the_batch(cli) -> None:
    shutil.copytree(MUNICIPALITIES, Path("municipalities"))
    muni = Path("municipalities/skelleftea/municipality.yaml")
    muni.write_text(muni.read_text(encoding="utf-8") + "oops: 1\n", encoding="utf-8")
    result = cli("render", "--all", "--out", "out", "-j", "2")
    assert result.exit_code == 2
    assert "skelleftea" in result.output and "unknown key 'oops'" in result.output
    assert "1 failed" in result.output
    assert sorted(p.name for p in Path("out").iterdir()) == ["lulea", "strangnas"]


def test_parallel_serial_and_alone_give_identical_files(tmp_path: Path) -> None:
    targets = ["lulea", "skelleftea", "strangnas"]
    render_many(targets, Options(out_dir=tmp_path / "serial"), root=MUNICIPALITIES, jobs=1)
    render_many(targets, Options(out_dir=tmp_path / "parallel"), root=MUNICIPALITIES, jobs=2)
    for slug in targets:  # each municipality on its own, in a fresh process
        subprocess.run([sys.executable, "-m", "avtalsgen", "render", slug, "-q", "--root",
                        str(MUNICIPALITIES), "--out", str(tmp_path / "alone")], check=True,
                       env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    serial = sorted(p.relative_to(tmp_path / "serial") for p in
                    (tmp_path / "serial").rglob("*.docx"))
    assert len(serial) == 5
    for rel in serial:
        data = (tmp_path / "serial" / rel).read_bytes()
        assert data == (tmp_path / "parallel" / rel).read_bytes(), rel
        assert data == (tmp_path / "alone" / rel).read_bytes(), rel


def test_killed_runs_leave_earlier_outputs_intact(tmp_path: Path) -> None:
    shutil.copytree(MUNICIPALITIES, tmp_path / "municipalities")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "avtalsgen", "render", "--all", "-q", "--force",
               "-j", "1", "--root", str(tmp_path / "municipalities"),
               "--out", str(tmp_path / "out")]
    subprocess.run(command, check=True, env=env, capture_output=True)
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*.docx")}
    # Change every config so each run rewrites every file, and kill runs midway.
    for muni in (tmp_path / "municipalities").glob("*/municipality.yaml"):
        muni.write_text(muni.read_text(encoding="utf-8") + "version: '9.9'\n",
                        encoding="utf-8")
    for delay in (0.3, 0.6, 0.9, 1.2):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        for path in before:
            with zipfile.ZipFile(path) as z:  # whole: the old or the new document
                assert z.testzip() is None
            Document(str(path))
