"""`avtalsgen doctor`: what the machine has for each optional part, and how to install
what it lacks; always exit 0 (Word documents need none of them)."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from avtalsgen import doctor
from avtalsgen.cli import main

NAMES = ["LibreOffice (soffice)", "LibreOffice's Python bridge (uno)", "Carlito font",
         "DejaVu fonts", "pdftotext (poppler-utils)", "Chromium", "git"]


def run() -> tuple[int, str]:
    result = CliRunner().invoke(main, ["doctor"], catch_exceptions=False)
    return result.exit_code, result.output


def test_nothing_installed(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setattr(doctor, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr(doctor, "FONT_DIRS", (tmp_path,))
    code, out = run()
    assert code == 0
    assert "Word documents (.docx): ready" in out
    for name in NAMES:
        assert f"missing  {name}: for " in out
    for package in ("libreoffice-writer-nogui", "python3-uno", "fonts-crosextra-carlito",
                    "fonts-dejavu-core", "poppler-utils", "chromium", "git"):
        assert f"install: sudo apt-get install {package}\n" in out
    assert out.rstrip().endswith(
        "All that is missing, in one command: sudo apt-get install libreoffice-writer-nogui "
        "python3-uno fonts-crosextra-carlito fonts-dejavu-core poppler-utils chromium git")


def test_everything_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: f"/opt/bin/{name}")
    monkeypatch.setattr(doctor, "_uno_python", lambda: "/opt/bin/python3")
    monkeypatch.setattr(doctor, "_font", lambda family, prefix: f"/fonts/{prefix}R.ttf")
    code, out = run()
    assert code == 0
    assert "ok       LibreOffice (soffice): /opt/bin/soffice" in out
    assert "ok       LibreOffice's Python bridge (uno): /opt/bin/python3" in out
    assert "ok       Carlito font: /fonts/Carlito-R.ttf" in out
    assert "ok       git: /opt/bin/git" in out
    assert "missing" not in out and "install" not in out
    assert out.rstrip().endswith("Everything optional is here.")


def test_libreoffice_without_its_bridge(monkeypatch: pytest.MonkeyPatch) -> None:
    """LibreOffice there, no Python that imports uno: only python3-uno to install."""
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: f"/opt/bin/{name}")
    monkeypatch.setattr(doctor, "_imports_uno", lambda python: False)
    monkeypatch.setattr(doctor, "_font", lambda family, prefix: "/fonts/x.ttf")
    code, out = run()
    assert code == 0
    assert "missing  LibreOffice's Python bridge (uno)" in out
    assert "slower, the same PDF" in out
    assert out.rstrip().endswith("sudo apt-get install python3-uno")


def test_fonts_are_found_without_fontconfig(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / "truetype" / "crosextra").mkdir(parents=True)
    (tmp_path / "truetype" / "crosextra" / "Carlito-Regular.ttf").write_bytes(b"")
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setattr(doctor, "FONT_DIRS", (tmp_path,))
    assert doctor._font("Carlito", "Carlito-") == str(
        tmp_path / "truetype" / "crosextra" / "Carlito-Regular.ttf")
    assert doctor._font("DejaVu Sans", "DejaVuSans") is None


def test_on_this_machine_it_names_every_part() -> None:
    code, out = run()
    assert code == 0
    for name in NAMES:
        assert f"  {name}: " in out
