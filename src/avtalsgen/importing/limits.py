"""The bounds of an import: what an uploaded or named file may be before it is read.

A .docx or .xlsx is a zip of parts; its central directory says how large each part is
packed and unpacked, and Python's zipfile never unpacks more than that, so the sizes
are checked there, before any part is parsed: the file, each part, all parts together,
and how many times larger a part gets when unpacked (a file of 200 KB that unpacks to
55 MB is a zip bomb, not a document). Counts (paragraphs, table rows and cells,
spreadsheet cells) are checked while reading, before the slow work. What the import
writes is checked before it is put in place (importing.bounded), and the import runs
in a worker process with a memory and a time limit (importing.worker).

The numbers leave ample room for real documents: a 200-page agreement is a few
hundred KB packed and a few MB unpacked, with some thousand paragraphs.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import AvtalsgenError

MAX_UPLOAD_BYTES = 20_000_000  # the file to import, as it is on disk (packed)
MAX_PARTS = 2_000  # parts in a .docx or .xlsx package
MAX_PART_BYTES = 16_000_000  # one part, unpacked (a 200-page document.xml is a few MB)
MAX_UNPACKED_BYTES = 100_000_000  # all parts together, unpacked
MAX_RATIO = 100  # unpacked : packed, for a part over RATIO_FROM bytes unpacked
RATIO_FROM = 1_000_000
MAX_PARAGRAPHS = 50_000  # in a Word document's body (a 200-page agreement has ~5 000)
MAX_TABLE_ROWS = 20_000  # all tables of a Word document together
MAX_TABLE_CELLS = 200_000
MAX_CSV_CELLS = 1_000_000  # fields of a CSV file (empty ones too)
MAX_YAML_BYTES = 2_000_000  # each YAML file an import writes (the loader's limit is 5 MB)
MAX_WRITTEN_BYTES = 50_000_000  # everything one import writes, pictures included
MEMORY_LIMIT = 1 << 30  # address space of the worker process (1 GiB)
TIME_LIMIT = 30.0  # seconds of wall time before the worker is killed

TOO_LARGE = "too large"  # packed or unpacked size, ratio: the web answers 413
UNREADABLE = "unreadable"  # damaged, too many elements, time or memory: 422
BUSY = "busy"  # too many imports at once: 503


class ImportLimitError(AvtalsgenError):
    """A file refused by a bound, or an import stopped by one. The message is plain
    Swedish and names no path on the server; `kind` says which sort of refusal it is
    (TOO_LARGE, UNREADABLE, BUSY)."""

    def __init__(self, message: str, kind: str = UNREADABLE) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind

    def __reduce__(self) -> tuple[type[ImportLimitError], tuple[str, str]]:
        return (ImportLimitError, (self.message, self.kind))

    def named(self, shown: str) -> ImportLimitError:
        """The same refusal, with the file's name in front (as its owner knows it)."""
        if not shown or self.message.startswith(f"{shown}: "):
            return self
        return ImportLimitError(f"{shown}: {self.message}", self.kind)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:g} MB"


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def too_many(count: int, limit: int, what: str, hint: str) -> ImportLimitError:
    return ImportLimitError(f"Filen har fler än {_thousands(limit)} {what} "
                            f"({_thousands(count)}); {hint}")


def check_upload(source: Path) -> None:
    """Refuse a file to import whose size on disk, or whose parts' sizes as the zip
    states them, are over the bounds; nothing is unpacked or parsed here."""
    source = Path(source)
    try:
        size = source.stat().st_size
    except OSError:
        raise ImportLimitError("Filen kan inte läsas.") from None
    if size > MAX_UPLOAD_BYTES:
        raise ImportLimitError(f"Filen är större än {_mb(MAX_UPLOAD_BYTES)}; spara den utan "
                               "stora bilder eller dela upp den.", TOO_LARGE)
    suffix = source.suffix.lower()
    if suffix not in (".docx", ".xlsx"):
        return
    what = "ett Word-dokument (.docx)" if suffix == ".docx" else "en Excel-arbetsbok (.xlsx)"
    try:
        with zipfile.ZipFile(source) as package:
            check_parts(package.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise ImportLimitError(f"Filen är inte {what}, eller så är den skadad.") from None


def check_parts(infos: list[zipfile.ZipInfo]) -> None:
    """The bounds on a package's parts, from its central directory."""
    if len(infos) > MAX_PARTS:
        raise ImportLimitError(f"Filen består av fler än {_thousands(MAX_PARTS)} delar; "
                               "den läses inte in.", TOO_LARGE)
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_PART_BYTES:
            raise ImportLimitError(f"En del av filen ({info.filename}) packas upp till "
                                   f"{info.file_size / 1_000_000:.1f} MB; högst "
                                   f"{_mb(MAX_PART_BYTES)} går att läsa in.", TOO_LARGE)
        if info.file_size > RATIO_FROM and \
                info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ImportLimitError(f"En del av filen ({info.filename}) packas upp till mer "
                                   f"än {MAX_RATIO} gånger sin storlek; en sådan fil läses "
                                   "inte in.", TOO_LARGE)
    if total > MAX_UNPACKED_BYTES:
        raise ImportLimitError(f"Filen packas upp till mer än {_mb(MAX_UNPACKED_BYTES)}; "
                               "den läses inte in.", TOO_LARGE)
