"""What this machine has for avtalsgen's optional parts, and how to install the rest.

Word documents need nothing beyond the Python packages avtalsgen installs with: every
part listed here is optional. So `avtalsgen doctor` always exits 0; it reports, it
does not judge. The install commands are Debian's (apt-get), as .ci/run uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import __version__

CHROMIUM = "/usr/bin/chromium"  # the system browser the browser tests drive
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
             Path.home() / ".local/share/fonts")


@dataclass(frozen=True)
class Part:
    name: str
    used_for: str
    found: str | None  # where it is, or None when missing
    package: str  # the Debian package that brings it
    note: str = ""  # what happens without it

    @property
    def install(self) -> str:
        return f"sudo apt-get install {self.package}"


def _imports_uno(python: str) -> bool:
    try:
        return subprocess.run([python, "-c", "import uno"], capture_output=True,
                              timeout=30, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _uno_python() -> str | None:
    """The Python the web editor would drive LibreOffice with (as pdf.WarmConverter)."""
    from .pdf import UNO_PYTHON_ENV, _uno_pythons

    return next((p for p in _uno_pythons(os.environ.get(UNO_PYTHON_ENV)) if _imports_uno(p)),
                None)


def _font(family: str, file_prefix: str) -> str | None:
    """Where a font family is: fontconfig's answer when fc-list exists, otherwise a
    font file of that name in the usual folders."""
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run([fc_list, f":family={family}", "file"], capture_output=True,
                                 text=True, timeout=30, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        files = sorted(line.split(":")[0] for line in out.splitlines() if line.strip())
        return files[0] if files else None
    for folder in FONT_DIRS:
        found = sorted(folder.rglob(f"{file_prefix}*.ttf")) if folder.is_dir() else []
        if found:
            return str(found[0])
    return None


def parts() -> list[Part]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    chromium = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    return [
        Part("LibreOffice (soffice)", "PDFs (--format pdf, the editor's PDF download and "
             "page images)", soffice, "libreoffice-writer-nogui",
             "without it .docx only"),
        Part("LibreOffice's Python bridge (uno)", "the editor's PDFs from one LibreOffice "
             "kept running", _uno_python() if soffice else None, "python3-uno",
             "without it each PDF starts LibreOffice anew: slower, the same PDF"),
        Part("Carlito font", "PDFs laid out with Calibri's metrics, as Word lays them out",
             _font("Carlito", "Carlito-"), "fonts-crosextra-carlito",
             "without it LibreOffice substitutes another font and lines break elsewhere "
             "in the PDF (the .docx is the same)"),
        Part("DejaVu fonts", "PDFs: characters Carlito lacks", _font("DejaVu Sans", "DejaVuSans"),
             "fonts-dejavu-core"),
        Part("pdftotext (poppler-utils)", "the tests that read PDFs; the editor's page "
             "images (pdftoppm)", shutil.which("pdftotext"), "poppler-utils"),
        Part("Chromium", "the web editor's browser tests", chromium, "chromium"),
        Part("git", "the editor's history and commits, `avtalsgen diff v1:...`",
             shutil.which("git"), "git", "without it the editor saves files but keeps "
             "no history"),
    ]


def report(found: list[Part] | None = None) -> list[str]:
    """The lines `avtalsgen doctor` prints."""
    found = parts() if found is None else found
    lines = [f"avtalsgen {__version__}, Python {sys.version.split()[0]} ({sys.executable})",
             "Word documents (.docx): ready; they need nothing below.", ""]
    for part in found:
        if part.found:
            lines.append(f"ok       {part.name}: {part.found}")
        else:
            lines.append(f"missing  {part.name}: for {part.used_for}")
            if part.note:
                lines.append(f"         {part.note}")
            lines.append(f"         install: {part.install}")
    absent = [p.package for p in found if not p.found]
    lines.append("")
    if absent:
        lines.append("All that is missing, in one command: sudo apt-get install "
                     + " ".join(dict.fromkeys(absent)))
    else:
        lines.append("Everything optional is here.")
    return lines
