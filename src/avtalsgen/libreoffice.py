"""LibreOffice's private profile for the batch conversion in pdf.py: the Basic macro
that converts a list of documents, installed in a profile made once and copied per run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import ConversionError

_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Avtalsgen" script:language="StarBasic">
REM Each line of listFile: source URL, target URL, then the export's FilterData as
REM Name=true|false|number, all separated by tabs (pdfexport.filter_options).
Sub ConvertAll(listFile As String)
  Dim fileNum As Integer, entry As String, parts, doc, indexes, i As Integer, pair
  Dim loadArgs(0) As New com.sun.star.beans.PropertyValue
  Dim storeArgs(1) As New com.sun.star.beans.PropertyValue
  loadArgs(0).Name = "Hidden"
  loadArgs(0).Value = True
  storeArgs(0).Name = "FilterName"
  storeArgs(0).Value = "writer_pdf_Export"
  storeArgs(1).Name = "FilterData"
  REM A failure must not open a dialog nobody can close: skip, Python reports it.
  On Error Resume Next
  fileNum = FreeFile
  Open listFile For Input As #fileNum
  Do While Not EOF(fileNum)
    Line Input #fileNum, entry
    If Len(entry) &gt; 0 Then
      parts = Split(entry, Chr(9))
      ReDim filterData(UBound(parts) - 2) As New com.sun.star.beans.PropertyValue
      For i = 2 To UBound(parts)
        pair = Split(parts(i), "=")
        filterData(i - 2).Name = pair(0)
        If pair(1) = "true" Or pair(1) = "false" Then
          filterData(i - 2).Value = (pair(1) = "true")
        Else
          filterData(i - 2).Value = CLng(pair(1))
        End If
      Next i
      storeArgs(1).Value = filterData()
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

REM Run once when the profile is made. LibreOffice runs its graphics self-tests (about
REM 0.6 s) at every start until the profile records the current version, which
REM headless use never does.
Sub Prepare()
  Dim args(0) As New com.sun.star.beans.PropertyValue, product
  args(0).Name = "nodepath"
  args(0).Value = "/org.openoffice.Setup/Product"
  product = createUnoService("com.sun.star.configuration.ConfigurationProvider") _
    .createInstanceWithArguments("com.sun.star.configuration.ConfigurationUpdateAccess", args())
  product.replaceByName("ooSetupLastVersion", product.getByName("ooSetupVersion"))
  product.commitChanges()
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

# Every start: no profile backup on exit (the profile is a throw-away copy).
_OPTIONS = ["-env:SecureUserConfig=false", "--headless", "--invisible", "--nologo",
            "--norestore", "--nofirststartwizard"]


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


def _profile_stamp(binary: str) -> str:
    """The macro and the LibreOffice installation the cached profile was made for."""
    real = Path(shutil.which(binary) or binary).resolve()
    return hashlib.sha256(f"{_MACRO}{_LIBRARY}{real}{real.stat().st_mtime_ns}"
                          .encode()).hexdigest()


def _cached_profile(binary: str) -> Path:
    """A prepared LibreOffice profile with the macro, made once and copied per run.

    LibreOffice rewrites the Basic library index on a profile's first start, so the
    profile is started once before the macro goes in, and once more to prepare it.
    """
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    profile = cache_home / "avtalsgen" / "libreoffice-profile"
    stamp = _profile_stamp(binary)
    stamp_file = profile / "avtalsgen-profile.txt"
    if stamp_file.is_file() and stamp_file.read_text(encoding="utf-8") == stamp:
        return profile
    profile.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix="profile-", dir=profile.parent))
    try:
        env = {**os.environ, "HOME": str(fresh)}
        # A full first start (a macro that does not exist yet ends it at once).
        subprocess.run([binary, f"-env:UserInstallation={fresh.as_uri()}", "--headless",
                        "--invisible", "macro:///Standard.Avtalsgen.Missing"],
                       capture_output=True, timeout=120, check=False, env=env)
        if not (fresh / "user" / "basic" / "Standard").is_dir():
            raise ConversionError("LibreOffice could not create its profile in "
                                  f"{profile.parent}")
        _install_macro(fresh)
        subprocess.run([binary, f"-env:UserInstallation={fresh.as_uri()}", *_OPTIONS,
                        "macro:///Standard.Avtalsgen.Prepare()"],
                       capture_output=True, timeout=120, check=False, env=env)
        (fresh / "avtalsgen-profile.txt").write_text(stamp, encoding="utf-8")
        # Out of the way first: another process may be copying the old one right now.
        if profile.exists():
            stale = Path(tempfile.mkdtemp(prefix="stale-", dir=profile.parent))
            with contextlib.suppress(OSError):
                os.replace(profile, stale / "profile")
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(fresh, profile)
        except OSError:  # another process put its own in place meanwhile
            shutil.rmtree(fresh, ignore_errors=True)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return profile
