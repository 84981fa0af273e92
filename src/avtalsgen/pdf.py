"""PDF conversion with headless LibreOffice: one process for a whole batch.

A small Basic macro, installed in a private LibreOffice profile, opens each
document, updates its indexes (table of contents) and fields (page numbers),
and exports it as PDF. One start-up of LibreOffice serves every document.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import ConversionError

TIMEOUT_PER_DOCUMENT = 60

_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Avtalsgen" script:language="StarBasic">
Sub ConvertAll(listFile As String)
  Dim fileNum As Integer, entry As String, parts, doc, indexes, i As Integer
  Dim loadArgs(0) As New com.sun.star.beans.PropertyValue
  Dim storeArgs(0) As New com.sun.star.beans.PropertyValue
  loadArgs(0).Name = "Hidden"
  loadArgs(0).Value = True
  storeArgs(0).Name = "FilterName"
  storeArgs(0).Value = "writer_pdf_Export"
  REM A failure must not open a dialog nobody can close: skip, Python reports it.
  On Error Resume Next
  fileNum = FreeFile
  Open listFile For Input As #fileNum
  Do While Not EOF(fileNum)
    Line Input #fileNum, entry
    If Len(entry) &gt; 0 Then
      parts = Split(entry, Chr(9))
      doc = StarDesktop.loadComponentFromURL(parts(0), "_blank", 0, loadArgs())
      If Not IsNull(doc) Then
        indexes = doc.getDocumentIndexes()
        For i = 0 To indexes.getCount() - 1
          indexes.getByIndex(i).update()
        Next i
        doc.getTextFields().refresh()
        doc.storeToURL(parts(1), storeArgs())
        doc.close(True)
      End If
    End If
  Loop
  Close #fileNum
  StarDesktop.terminate()
End Sub
</script:module>
"""

_LIBRARY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false" library:passwordprotected="false">
 <library:element library:name="Avtalsgen"/>
</library:library>
"""


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise ConversionError(
            "PDF output needs LibreOffice, which is not installed. Install it (Debian/Ubuntu: "
            "apt-get install libreoffice-writer-nogui) or render --format docx only.")
    return found


def _install_macro(profile: Path) -> None:
    standard = profile / "user" / "basic" / "Standard"
    (standard / "Avtalsgen.xba").write_text(_MACRO, encoding="utf-8")
    (standard / "script.xlb").write_text(_LIBRARY, encoding="utf-8")


def _cached_profile(binary: str) -> Path:
    """A LibreOffice profile with the macro, made once and then copied per batch.

    LibreOffice rewrites the Basic library index on a profile's first start, so
    the profile is started once before the macro goes in.
    """
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    profile = cache_home / "avtalsgen" / "libreoffice-profile"
    macro = profile / "user" / "basic" / "Standard" / "Avtalsgen.xba"
    if macro.is_file() and macro.read_text(encoding="utf-8") == _MACRO:
        return profile
    profile.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix="profile-", dir=profile.parent))
    try:
        # A full first start (a macro that does not exist yet ends it at once).
        subprocess.run([binary, f"-env:UserInstallation={fresh.as_uri()}", "--headless",
                        "--invisible", "macro:///Standard.Avtalsgen.Missing"],
                       capture_output=True, timeout=120, check=False,
                       env={**os.environ, "HOME": str(fresh)})
        if not (fresh / "user" / "basic" / "Standard").is_dir():
            raise ConversionError("LibreOffice could not create its profile in "
                                  f"{profile.parent}")
        _install_macro(fresh)
        shutil.rmtree(profile, ignore_errors=True)
        os.replace(fresh, profile)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return profile


def convert(pairs: list[tuple[Path, Path]]) -> None:
    """Convert each (docx, pdf) pair in one LibreOffice run; raise if any is missing."""
    if not pairs:
        return
    binary = soffice()
    with tempfile.TemporaryDirectory(prefix="avtalsgen-lo-") as tmp:
        tmp_path = Path(tmp)
        profile = tmp_path / "profile"
        shutil.copytree(_cached_profile(binary), profile)
        staged = []
        lines = []
        for n, (docx, pdf) in enumerate(pairs):
            # Work on copies in a private folder: LibreOffice locks what it opens, which
            # some file systems refuse, and the PDF then appears atomically.
            source = tmp_path / f"{n}.docx"
            shutil.copyfile(docx, source)
            out = tmp_path / f"{n}.pdf"
            staged.append((out, pdf))
            lines.append(f"{source.as_uri()}\t{out.as_uri()}")
        listing = tmp_path / "list.txt"
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {**os.environ, "HOME": str(tmp_path)}
        command = [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                   "--invisible", "--nologo", "--norestore",
                   f'macro:///Standard.Avtalsgen.ConvertAll("{listing}")']
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=env,
                                    timeout=60 + TIMEOUT_PER_DOCUMENT * len(pairs),
                                    check=False)
        except subprocess.TimeoutExpired:
            raise ConversionError("LibreOffice did not finish converting in time") from None
        missing = [docx for (docx, _), (out, _) in zip(pairs, staged, strict=True)
                   if not out.exists()]
        if missing:
            raise ConversionError(
                "LibreOffice could not convert: " + ", ".join(map(str, missing))
                + (f"\n{result.stderr.strip()}" if result.stderr.strip() else ""))
        from .output import write_atomic

        for out, pdf in staged:
            write_atomic(pdf, out.read_bytes())
