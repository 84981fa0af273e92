"""A LibreOffice kept running for avtalsgen's web editor, driven through UNO.

Run by a Python that has LibreOffice's `uno` module (Debian: python3-uno), which is
usually not the Python avtalsgen runs in; avtalsgen never imports this file.

    python3 _uno_worker.py SOFFICE PROFILE_URL PIPE_NAME

Starts LibreOffice listening on a named pipe (a socket only this user may open),
prints {"pid": N} when it answers, then reads one request a line,
{"source": URL, "target": URL, "options": {FilterData, name: value}}, and
answers {"ok": true} or {"error": "..."}.
At the end of its input (the server stopped, or died) it ends LibreOffice and exits.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

NO_UNO = 3  # exit status: this Python has no `uno` module
NO_OFFICE = 4  # LibreOffice did not start or went away


def _prop(name: str, value: Any) -> Any:
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _connect(pipe: str, office: subprocess.Popen[bytes], timeout: float) -> Any:
    import uno  # type: ignore[import-not-found]

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context)
        except Exception:
            # Not listening yet: poll until it is, or it has exited.
            if office.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _convert(desktop: Any, source: str, target: str, options: dict[str, Any]) -> None:
    """What the batch macro in pdf.py does: indexes and fields updated, then export
    with the same FilterData (`options`, from pdfexport.filter_options)."""
    import uno  # type: ignore[import-not-found]

    doc = desktop.loadComponentFromURL(source, "_blank", 0, (_prop("Hidden", True),))
    if doc is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        indexes = doc.getDocumentIndexes()
        for i in range(indexes.getCount()):
            indexes.getByIndex(i).update()
        doc.getTextFields().refresh()
        data = uno.Any("[]com.sun.star.beans.PropertyValue",
                       tuple(_prop(k, v) for k, v in options.items()))
        # Through uno.invoke: only there does the typed Any reach LibreOffice as such.
        uno.invoke(doc, "storeToURL", (target, (_prop("FilterName", "writer_pdf_Export"),
                                                _prop("FilterData", data))))
    finally:
        doc.close(True)


def main() -> int:
    try:
        import uno  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return NO_UNO
    soffice, profile, pipe = sys.argv[1:4]
    office = subprocess.Popen(
        [soffice, f"-env:UserInstallation={profile}", "-env:SecureUserConfig=false",
         "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
         "--nofirststartwizard", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    desktop = None
    try:
        try:
            desktop = _connect(pipe, office, timeout=60)
        except Exception as e:
            print(f"LibreOffice did not answer: {e}", file=sys.stderr)
            return NO_OFFICE
        _reply({"pid": office.pid})
        for line in sys.stdin:
            request = json.loads(line)
            try:
                _convert(desktop, request["source"], request["target"],
                         request.get("options", {}))
            except Exception as e:
                if office.poll() is not None:
                    print(f"LibreOffice went away: {e}", file=sys.stderr)
                    return NO_OFFICE
                _reply({"error": str(e) or type(e).__name__})
            else:
                _reply({"ok": True})
        return 0
    finally:
        if desktop is not None and office.poll() is None:
            try:
                desktop.terminate()
            except Exception:
                pass  # the connection drops as LibreOffice ends
        try:
            office.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # soffice.bin is a child of the pid we know: end the whole group we lead.
            if os.getpgrp() == os.getpid():
                os.killpg(os.getpgrp(), signal.SIGKILL)
            office.kill()


if __name__ == "__main__":
    sys.exit(main())
