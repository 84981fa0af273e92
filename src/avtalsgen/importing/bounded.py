"""An import that no file can turn against the process running it (the web server).

`run_import` checks the file's sizes (limits.check_upload: nothing unpacked), then has
a worker process (importing.worker) import it into a staging copy of the target
folder, with a memory limit and a wall-time limit (it is killed after). What the
worker wrote is size-checked, and only when every file passes is it put in place:
new files must still be new, changed ones (municipality.yaml, statistics.yaml)
unchanged since they were copied, and those are committed as the store would have.
The result is the worker's ImportReport, naming the files in the target folder.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import output, store
from ..errors import AvtalsgenError, Bug, ConfigError, Problem
from ..messages import Msg
from ..store.git import _relative, _repo
from ..store.lock import _locked, file_lockfile
from . import limits
from .limits import BUSY, ImportLimitError
from .report import ImportReport

MAX_WORKERS = 2  # imports running at once; more wait for a free worker
COPIED = ("municipality.yaml", "statistics.yaml")  # what an import may change
WORD_AUTHOR = "avtalsgen import"  # the committer of a Word import's changes
_SLOTS = threading.BoundedSemaphore(MAX_WORKERS)


def run_import(source: Path, into: Path, *, shown: str | None = None,
               doc: str | None = None, doc_type: str | None = None,
               municipality_name: str | None = None, author: str | None = None,
               name: str | None = None) -> ImportReport:
    """Import a Word document (.docx) or a spreadsheet (.xlsx, .csv) into the folder
    into, as importing.word.import_docx and importing.sheets.import_workbook do, within
    the bounds of `limits`. shown: the file's name for messages (an upload's own name;
    by default the path as given). ImportLimitError when a bound refuses it, other
    AvtalsgenErrors as the importers raise them; nothing is written then."""
    source, into = Path(source), Path(into)
    shown = shown or str(source)
    suffix = source.suffix.lower()
    if suffix not in (".docx", ".xlsx", ".csv"):
        raise ConfigError([Problem(shown, None, "", "import reads .docx, .xlsx and .csv "
                                   "files")])
    try:
        limits.check_upload(source)
    except ImportLimitError as e:
        raise e.named(shown) from None
    if suffix == ".docx":
        kind, options = "docx", {"doc": doc, "doc_type": doc_type,
                                 "municipality_name": municipality_name}
    else:
        kind, options = "sheet", {"author": author or store.FALLBACK_NAME, "name": name}
    with _slot(shown), tempfile.TemporaryDirectory(prefix="avtalsgen-import-") as tmp:
        staged = Path(tmp) / os.path.basename(os.path.abspath(into))
        versions = _stage(into, staged)
        request = {"kind": kind, "source": str(source.absolute()), "into": str(staged),
                   "options": options, "memory": limits.MEMORY_LIMIT}
        paths = _Paths(source, shown, staged, into)
        report = _work(request, paths)
        written = list(dict.fromkeys(report.written))
        _check_written(written, staged, shown)
        committer = WORD_AUTHOR if kind == "docx" else author or store.FALLBACK_NAME
        _place(written, staged, into, versions, committer,
               f"Inläst från {Path(shown).name}")  # the history finds imports by this
        report.written = [into / p.relative_to(staged) for p in written]
        return report


@contextlib.contextmanager
def _slot(shown: str) -> Iterator[None]:
    if not _SLOTS.acquire(timeout=limits.TIME_LIMIT):
        raise ImportLimitError("Servern läser redan in andra filer; försök igen om en "
                               "stund.", BUSY).named(shown)
    try:
        yield
    finally:
        _SLOTS.release()


def _stage(into: Path, staged: Path) -> dict[str, str]:
    """The staging folder: a copy of the files an import may change, and an empty
    stand-in for every other name in the folder (so new names do not collide).
    Returns the copied files' versions."""
    staged.mkdir(parents=True)
    versions: dict[str, str] = {}
    if not into.is_dir():
        return versions
    for entry in into.iterdir():
        if entry.name.startswith("."):  # .git, locks, kept conflicts: never written here
            continue
        stand_in = staged / entry.name
        if entry.name in COPIED and entry.is_file() and not entry.is_symlink():
            data = entry.read_bytes()
            stand_in.write_bytes(data)
            versions[entry.name] = output.sha256(data)
        elif entry.is_dir():
            stand_in.mkdir()
        else:
            stand_in.touch()
    return versions


class _Paths:
    """Paths as the worker saw them, back to what the caller knows."""

    def __init__(self, source: Path, shown: str, staged: Path, into: Path) -> None:
        self.source, self.shown = str(source.absolute()), shown
        self.staged, self.into = str(staged), into

    def path(self, path: Path | str) -> Path | str:
        text = str(path)
        if text == self.source:
            return self.shown
        if text == self.staged or text.startswith(self.staged + os.sep):
            return self.into / Path(text).relative_to(self.staged)
        return path

    def text(self, message: str) -> str:
        return message.replace(self.source, self.shown).replace(self.staged, str(self.into))

    def error(self, error: AvtalsgenError) -> AvtalsgenError:
        if isinstance(error, ImportLimitError):
            return error.named(self.shown)
        if isinstance(error, ConfigError):
            return ConfigError([Problem(self.path(p.file), p.line, p.field,
                                        self.message(p.msg or p.message))
                                for p in error.problems])
        error.args = tuple(self.message(a) if isinstance(a, (str, Msg)) else a
                           for a in error.args)
        return error

    def message(self, message: Any) -> Any:
        """A message (or a value in one) with the worker's paths as the caller knows them."""
        if isinstance(message, Msg):
            return Msg(message.msgid, **{k: self.message(v) for k, v in
                                         message.params.items()})
        if isinstance(message, (str, Path, BaseException)):
            return self.text(str(message))
        return message


def _work(request: dict[str, Any], paths: _Paths) -> ImportReport:
    """Run the worker; its report, or the error it ended with."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])  # the same avtalsgen
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH"))
                                        if p)
    process = subprocess.Popen([sys.executable, "-m", "avtalsgen.importing.worker"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    try:
        out, _ = process.communicate(pickle.dumps(request), timeout=limits.TIME_LIMIT)
    except subprocess.TimeoutExpired:
        raise ImportLimitError(f"Inläsningen tog mer än {limits.TIME_LIMIT:g} sekunder och "
                               "avbröts; filen är för stor eller skadad.").named(
                                   paths.shown) from None
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    try:
        status, value = pickle.loads(out) if out else ("crash", None)
    except Exception:
        status, value = "crash", None
    if status == "ok" and isinstance(value, ImportReport):
        return value
    if status == "error" and isinstance(value, AvtalsgenError):
        raise paths.error(value)
    if status == "bug":
        lines = str(value).strip().splitlines() or ["the import worker failed"]
        raise Bug("import", lines[-1], str(value))
    if status == "memory":
        limit = limits.MEMORY_LIMIT
        shown = f"{limit / (1 << 30):g} GB" if limit >= 1 << 30 else f"{limit >> 20} MB"
        raise ImportLimitError(f"Inläsningen behövde mer än {shown} minne och avbröts; "
                               "filen är för stor eller skadad.").named(paths.shown)
    raise ImportLimitError("Inläsningen avbröts innan den var klar; filen är för stor "
                           "eller skadad.").named(paths.shown)


def _check_written(written: list[Path], staged: Path, shown: str) -> None:
    """Every file the import wrote is within the bounds, or nothing is put in place."""
    total = 0
    for path in written:
        if not path.is_relative_to(staged) or path.is_symlink() or not path.is_file():
            raise Bug("import", f"the import wrote {path}, outside its folder")
        size = path.stat().st_size
        total += size
        if path.suffix == ".yaml" and size > limits.MAX_YAML_BYTES:
            raise ImportLimitError(
                f"Inläsningen skulle ge filen {path.name} på {size / 1_000_000:.1f} MB; högst "
                f"{limits.MAX_YAML_BYTES / 1_000_000:g} MB går att redigera och skriva ut. "
                "Dela upp dokumentet och läs in delarna var för sig; inget har sparats."
            ).named(shown)
    if total > limits.MAX_WRITTEN_BYTES:
        raise ImportLimitError(f"Inläsningen skulle skriva mer än "
                               f"{limits.MAX_WRITTEN_BYTES / 1_000_000:g} MB; inget har "
                               "sparats.").named(shown)


def _place(written: list[Path], staged: Path, into: Path, versions: dict[str, str],
           author: str, message: str) -> None:
    """Put the staged files in place: new ones first, municipality.yaml last (it names
    the new document), each changed one only if it is as it was when copied, under the
    store's lock of that file; the changed ones are committed when in git."""
    rels = sorted((p.relative_to(staged) for p in written),
                  key=lambda r: (r.as_posix() in COPIED, r.as_posix() == COPIED[0]))
    changed = [into / r for r in rels if r.as_posix() in versions]
    for rel in rels:
        target = into / rel
        if rel.as_posix() not in versions and os.path.lexists(target):
            raise store.StoreError(f"{rel.as_posix()} har skapats av någon annan under "
                                   "inläsningen; inget har sparats. Läs in filen igen.")
    with contextlib.ExitStack() as locks:
        for lockfile in dict.fromkeys(_lockfile(t) for t in changed):  # each one once
            locks.enter_context(_locked(lockfile))
        for target in changed:
            if target.is_symlink() or store.version_of(target) != versions[target.name]:
                raise store.StoreError(f"{target.name} ändrades av någon annan under "
                                       "inläsningen; inget har sparats. Läs in filen igen.")
        for rel in rels:
            output.write_atomic(into / rel, (staged / rel).read_bytes())
        if changed:
            store.commit(into, changed, author=author, message=message)


def _lockfile(path: Path) -> Path:
    """The lock store.save holds while it checks a file's version and writes it."""
    repo = _repo(path.parent)
    rel = _relative(repo[0], path) if repo else None
    if repo and rel:
        return file_lockfile(repo[1], rel)
    return path.parent / store.LOCK
