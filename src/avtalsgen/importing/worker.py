"""The worker process of one import: `python -m avtalsgen.importing.worker`.

It reads its request (pickled, on stdin), limits its own address space first, imports
into the staging folder it was given and writes its answer (pickled, on the stdout it
found; anything printed goes to stderr): ("ok", ImportReport), ("error", a user error),
("memory", None) or ("bug", traceback text). The caller (importing.bounded) kills it
when it runs out of time; the memory it used goes back to the system when it ends.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from pathlib import Path
from typing import Any

from ..errors import AvtalsgenError
from .report import ImportReport


def run(request: dict[str, Any]) -> ImportReport:
    """One import, as asked: a Word document or a spreadsheet into a folder."""
    source, into = Path(request["source"]), Path(request["into"])
    options = request["options"]
    if request["kind"] == "docx":
        from .word import import_docx

        return import_docx(source, into, doc=options.get("doc"),
                           doc_type=options.get("doc_type"),
                           municipality_name=options.get("municipality_name"))
    from .sheets import import_workbook

    return import_workbook(source, into, author=options["author"], name=options.get("name"))


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # not on this system: the time limit still holds
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _answer(request: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", run(request)
    except AvtalsgenError as e:
        return "error", e
    except MemoryError:
        return "memory", None
    except Exception as e:  # a bug: its traceback goes back as text
        return "bug", "".join(traceback.format_exception(e))


def main() -> int:
    answer_to = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not garble the answer
    request = pickle.load(sys.stdin.buffer)
    _limit_memory(int(request["memory"]))
    status, value = _answer(request)
    try:
        data = pickle.dumps((status, value))
    except Exception:  # an error that does not pickle: its message does
        data = pickle.dumps(("error", AvtalsgenError(str(value))) if status == "error"
                            else ("bug", repr(value)))
    answer_to.write(data)
    answer_to.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
