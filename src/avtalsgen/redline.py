"""Native Word redlines (tracked changes) between two versions of a document.

Each side is a .docx file, a municipality folder, or a folder at a git
revision written `REV:path/to/municipality`. Configs are rendered with the
current templates, so the redline shows what changed in the config.
The comparison itself is python-redlines' Docxodus engine (docs/redline.md).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from pathlib import Path

from .errors import AvtalsgenError, ConfigError, Problem

AUTHOR = "avtalsgen"


class RedlineError(AvtalsgenError):
    """A redline could not be made (bad input, missing engine)."""


def _from_git(spec: str, workdir: Path) -> Path:
    """Export `REV:path` (a folder in the repository at REV) into workdir."""
    rev, _, path = spec.partition(":")
    path = path.strip("/")
    target = workdir / Path(path).name
    if not rev or rev.startswith("-") or any(c.isspace() or ord(c) < 32 for c in rev):
        raise RedlineError(f"{spec}: {rev!r} is not a git revision (a tag, a branch or a "
                           "commit, written before the ':')")
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, check=True).stdout.strip()
        prefix = subprocess.run(["git", "rev-parse", "--show-prefix"], capture_output=True,
                                text=True, check=True).stdout.strip()
        # Resolved to a commit id first, so git can never read the revision as an option.
        found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options",
                                f"{rev}^{{commit}}"], capture_output=True, text=True,
                               check=False, cwd=top)
        if found.returncode != 0:
            raise RedlineError(f"{spec}: no revision {rev!r} in this git repository")
        rev = found.stdout.strip()
        listing = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "--",
                                  prefix + path], capture_output=True, text=True, check=True,
                                 cwd=top).stdout.split()
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        detail = getattr(e, "stderr", "") or str(e)
        raise RedlineError(f"{spec}: cannot read from git: {detail.strip()}") from None
    if not listing:
        raise RedlineError(f"{spec}: no such folder at revision {rev}")
    for name in listing:
        relative = Path(name).relative_to(prefix + path)
        data = subprocess.run(["git", "show", f"{rev}:{name}"], capture_output=True,
                              check=True, cwd=top).stdout
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_bytes(data)
    return target


def document_bytes(spec: str, doc: str | None, root: Path, workdir: Path) -> bytes:
    """The .docx bytes one side of a comparison stands for."""
    from .build import load, render_bundle

    path = Path(spec)
    if spec.lower().endswith(".docx"):
        try:
            return path.read_bytes()
        except OSError as e:
            raise RedlineError(f"{spec}: cannot read: {e.strerror}") from None
    if ":" in spec and not path.exists():
        path = _from_git(spec, workdir)
        bundle = load(str(path.resolve()), root)
    else:
        bundle = load(spec, root)
    names = list(bundle.municipality.documents)
    if doc is None:
        if len(names) > 1:
            raise ConfigError([Problem(spec, None, "", "this municipality has several "
                                       f"documents ({', '.join(names)}); choose one with "
                                       "--doc")])
        doc = names[0]
    return render_bundle(bundle, [doc])[doc]


def redline(old: bytes, new: bytes, *, author: str = AUTHOR,
            when: dt.datetime | None = None) -> bytes:
    """A .docx showing NEW with OLD→NEW changes as w:ins / w:del tracked changes."""
    try:
        from python_redlines.engines import DocxodusEngine, EngineExecutionError
    except ImportError:
        raise RedlineError("redlines need python-redlines[docxodus]: "
                           "pip install 'python-redlines[docxodus]'") from None
    stamp = (when or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        output, _stdout, _stderr = DocxodusEngine().run_redline(author, old, new,
                                                                date_time=stamp)
    except EngineExecutionError as e:
        raise RedlineError(f"the comparison failed: {e}") from None
    return output


def diff(old: str, new: str, *, doc: str | None = None, root: Path = Path("municipalities"),
         when: dt.datetime | None = None) -> bytes:
    """Render or read both sides and return the redline .docx bytes."""
    with tempfile.TemporaryDirectory(prefix="avtalsgen-diff-") as tmp:
        old_bytes = document_bytes(old, doc, root, Path(tmp) / "old")
        new_bytes = document_bytes(new, doc, root, Path(tmp) / "new")
    return redline(old_bytes, new_bytes, when=when)
