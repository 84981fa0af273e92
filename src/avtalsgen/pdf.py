"""PDF conversion with headless LibreOffice, which updates the table of contents and
the fields (page numbers) of each document before exporting it.

Two ways in:

- `convert`: a batch (`render --format pdf`). A small Basic macro, installed in a
  private LibreOffice profile, opens each document, updates it and exports it; one
  start-up of LibreOffice per process serves many documents, and a large batch is
  shared among a few processes.
- `WarmConverter`: one LibreOffice kept running for a server (the web editor's PDF
  download and page images), driven through UNO by `_uno_worker.py` run by a Python
  that has LibreOffice's `uno` module (python3-uno). Without one it converts as
  `convert` does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import queue
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path

from ._uno_worker import NO_UNO
from .errors import ConversionError
from .libreoffice import _OPTIONS, _cached_profile, soffice
from .pdfexport import filter_options, finish

TIMEOUT_PER_DOCUMENT = 60
MAX_PROCESSES = 4  # each LibreOffice holds 150-250 MB
MIN_DOCUMENTS_PER_PROCESS = 2  # below this a second start-up costs more than it saves
UNO_PYTHON_ENV = "AVTALSGEN_UNO_PYTHON"
WORKER = Path(__file__).with_name("_uno_worker.py")

log = logging.getLogger(__name__)


def _kill_group(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """End a process started in a session of its own, with everything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _share(pairs: list[tuple[Path, Path]], processes: int) -> list[list[int]]:
    """Indexes of pairs per process, the largest files first to the least loaded."""
    loads = [(0, n) for n in range(processes)]
    shares: list[list[int]] = [[] for _ in range(processes)]
    for i in sorted(range(len(pairs)), key=lambda i: -pairs[i][0].stat().st_size):
        load, n = min(loads)
        loads[n] = (load + pairs[i][0].stat().st_size, n)
        shares[n].append(i)
    return [share for share in shares if share]


def default_processes(documents: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    return max(1, min(cores, MAX_PROCESSES, documents // MIN_DOCUMENTS_PER_PROCESS))


def _listing_line(docx: Path, source: Path, target: Path, pdfa: bool | None) -> str:
    """A line of the batch macro's list: the files, then the export's FilterData."""
    options = (f"{name}={str(value).lower()}"
               for name, value in filter_options(docx, pdfa).items())
    return "\t".join([source.as_uri(), target.as_uri(), *options]) + "\n"


def convert(pairs: list[tuple[Path, Path]], processes: int | None = None, *,
            pdfa: bool | None = None) -> None:
    """Convert each (docx, pdf) pair; raise if any is missing afterwards.

    Tagged PDF/UA always; PDF/A-2b when `pdfa`, or (None) for final documents (see
    pdfexport). The pairs are shared among `processes` LibreOffice runs at once
    (default: one per core, at most MAX_PROCESSES, at least two documents each).
    """
    if not pairs:
        return
    binary = soffice()
    cached = _cached_profile(binary)
    shares = _share(pairs, processes or default_processes(len(pairs)))
    with tempfile.TemporaryDirectory(prefix="avtalsgen-lo-") as tmp:
        tmp_path = Path(tmp)
        staged = []
        for n, (docx, _pdf) in enumerate(pairs):
            # Work on copies in a private folder: LibreOffice locks what it opens, which
            # some file systems refuse, and the PDF then appears atomically.
            source = tmp_path / f"{n}.docx"
            shutil.copyfile(docx, source)
            staged.append((source, tmp_path / f"{n}.pdf"))
        runs = []
        for k, share in enumerate(shares):
            # A profile per process: a second LibreOffice on the same profile would hand
            # its work to the first and exit.
            profile = tmp_path / f"profile{k}"
            shutil.copytree(cached, profile)
            listing = tmp_path / f"list{k}.txt"
            listing.write_text("".join(_listing_line(pairs[i][0], *staged[i], pdfa)
                                       for i in share), encoding="utf-8")
            # Its messages to a file: a pipe nobody reads while waiting for another
            # process could fill up and stall it.
            with (tmp_path / f"stderr{k}.txt").open("wb") as stderr:
                runs.append((subprocess.Popen(
                    [binary, f"-env:UserInstallation={profile.as_uri()}", *_OPTIONS,
                     f'macro:///Standard.Avtalsgen.ConvertAll("{listing}")'],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                    env={**os.environ, "HOME": str(tmp_path)}, start_new_session=True),
                    share))
        try:
            for run, share in runs:
                try:
                    run.wait(timeout=60 + TIMEOUT_PER_DOCUMENT * len(share))
                except subprocess.TimeoutExpired:
                    raise ConversionError(
                        "LibreOffice did not finish converting in time") from None
        finally:
            for run, _ in runs:
                _kill_group(run)  # soffice.bin too, should the wrapper have gone first
        errors = [text for k in range(len(runs)) if (text := (
            tmp_path / f"stderr{k}.txt").read_text(errors="replace").strip())]
        missing = [docx for (docx, _), (_, out) in zip(pairs, staged, strict=True)
                   if not out.exists()]
        if missing:
            raise ConversionError(
                "LibreOffice could not convert: " + ", ".join(map(str, missing))
                + ("\n" + "\n".join(errors) if errors else ""))
        from .output import write_atomic

        for (docx, pdf), (_, out) in zip(pairs, staged, strict=True):
            write_atomic(pdf, finish(docx, out.read_bytes()))


# --- a LibreOffice kept running ------------------------------------------------------

class _Broken(Exception):
    """The worker or its LibreOffice is gone or stuck: convert cold, start anew later."""


def _uno_pythons(configured: str | None) -> list[str]:
    """Pythons to try for the worker: the configured one only, or the usual places."""
    if configured is not None:
        return [configured] if configured.strip() else []
    candidates = []
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:  # LibreOffice's own builds bring a Python with uno next to soffice
        candidates.append(str(Path(found).resolve().with_name("python")))
    candidates += ["/usr/bin/python3", shutil.which("python3") or ""]
    seen: list[str] = []
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK) and c not in seen:
            seen.append(c)
    return seen


class WarmConverter:
    """A LibreOffice started on first use and kept for the next documents.

    For a server: a document converts in the time LibreOffice takes to lay it out,
    without a start-up. Thread-safe (one document at a time). Falls back to
    `convert` (a cold start per call) when no Python with `uno` is found: pass
    `python`, or set $AVTALSGEN_UNO_PYTHON; an empty value turns the warm path off.
    `close` ends LibreOffice; so does the end of this process, even a killed one (the
    worker stops LibreOffice when its input closes).
    """

    RETRY_AFTER = 300.0  # seconds before trying again after LibreOffice failed to start

    def __init__(self, python: str | None = None, *, max_documents: int = 500) -> None:
        self._pythons = _uno_pythons(python if python is not None
                                     else os.environ.get(UNO_PYTHON_ENV))
        self._max_documents = max_documents  # then start afresh: LibreOffice grows
        self._lock = threading.Lock()
        self._worker: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._tmp: Path | None = None
        self._finalizer: weakref.finalize | None = None
        self._documents = 0
        self._retry_at = 0.0
        self.pid: int | None = None  # LibreOffice's (its launcher), while it runs
        self.unavailable: str | None = None if self._pythons else "no Python with uno"

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.poll() is None

    def convert(self, pairs: list[tuple[Path, Path]], *, pdfa: bool | None = None) -> None:
        """Convert each (docx, pdf) pair, warm if possible; as `convert` does."""
        with self._lock:
            if not self.running and self._retry_at > time.monotonic():
                convert(pairs, processes=1, pdfa=pdfa)  # known unavailable: cold, quietly
                return
            for n, (docx, pdf) in enumerate(pairs):
                try:
                    self._convert_one(docx, pdf, pdfa)
                except _Broken as e:
                    log.warning("warm LibreOffice unusable, converting cold: %s", e)
                    self._stop()
                    convert(pairs[n:], processes=1, pdfa=pdfa)
                    return

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __enter__(self) -> WarmConverter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _convert_one(self, docx: Path, pdf: Path, pdfa: bool | None) -> None:
        if not self.running:
            self._stop()
            if self._retry_at > time.monotonic():
                raise _Broken(self.unavailable or "LibreOffice did not start")
            self._start()
        assert self._worker is not None and self._worker.stdin and self._tmp
        source, target = self._tmp / "document.docx", self._tmp / "document.pdf"
        shutil.copyfile(docx, source)
        target.unlink(missing_ok=True)
        try:
            self._worker.stdin.write(json.dumps({
                "source": source.as_uri(), "target": target.as_uri(),
                "options": filter_options(docx, pdfa)}) + "\n")
            self._worker.stdin.flush()
        except OSError as e:
            raise _Broken(f"the worker is gone: {e}") from None
        answer = self._reply(TIMEOUT_PER_DOCUMENT)
        if "error" in answer or not target.is_file():
            raise ConversionError(f"LibreOffice could not convert {docx}: "
                                  f"{answer.get('error', 'no PDF')}")
        from .output import write_atomic

        write_atomic(pdf, finish(docx, target.read_bytes()))
        self._documents += 1
        if self._documents >= self._max_documents:
            self._stop()

    def _reply(self, timeout: float) -> dict[str, object]:
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty:
            raise _Broken(f"no answer in {timeout:.0f} s") from None
        if line is None:
            raise _Broken(f"the worker ended: {self._stderr_tail()}")
        return json.loads(line)

    def _stderr_tail(self) -> str:
        try:
            return (self._tmp / "worker.log").read_text(errors="replace")[-500:].strip() \
                if self._tmp else ""
        except OSError:
            return ""

    def _start(self) -> None:
        binary = soffice()
        cached = _cached_profile(binary)
        while self._pythons:
            python = self._pythons[0]
            self._tmp = Path(tempfile.mkdtemp(prefix="avtalsgen-warm-"))
            profile = self._tmp / "profile"
            shutil.copytree(cached, profile)
            env = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
            env["HOME"] = str(self._tmp)
            try:
                with (self._tmp / "worker.log").open("wb") as stderr:
                    self._worker = subprocess.Popen(
                        [python, str(WORKER), binary, profile.as_uri(),
                         f"avtalsgen_{os.getpid()}_{secrets.token_hex(8)}"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                        text=True, env=env, cwd=self._tmp, start_new_session=True)
            except OSError as e:  # a configured Python that is not there
                log.info("cannot run %s: %s", python, e)
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None
                self._pythons.pop(0)
                continue
            self._replies = queue.Queue()
            threading.Thread(target=_read_lines, args=(self._worker.stdout, self._replies),
                             daemon=True).start()
            # Stops LibreOffice should this object be dropped unclosed, or at exit.
            self._finalizer = weakref.finalize(self, _end_worker, self._worker, self._tmp)
            try:
                ready = self._reply(60)
                self.pid = int(str(ready["pid"]))
                self._documents = 0
                self.unavailable = None
                return
            except _Broken as e:
                try:
                    status: int | None = self._worker.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    status = None
                self._stop()
                if status == NO_UNO:  # try the next Python
                    log.info("%s has no uno module", python)
                    self._pythons.pop(0)
                    continue
                self._retry_at = time.monotonic() + self.RETRY_AFTER
                self.unavailable = f"LibreOffice did not start: {e}"
                raise _Broken(self.unavailable) from None
        self.unavailable = "no Python with uno (python3-uno)"
        self._retry_at = math.inf
        raise _Broken(self.unavailable)

    def _stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._finalizer = None
        self._worker = None
        self._tmp = None
        self.pid = None


def _read_lines(stream: object, replies: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        replies.put(line)
    replies.put(None)


def _end_worker(worker: subprocess.Popen[str], tmp: Path) -> None:
    """Close the worker's input (it ends LibreOffice), then make sure of it."""
    with contextlib.suppress(OSError, ValueError):
        if worker.stdin:
            worker.stdin.close()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    _kill_group(worker)  # anything left in its session, soffice.bin included
    shutil.rmtree(tmp, ignore_errors=True)

