"""Native Word redlines (tracked changes) between two versions of a document.

Each side is a .docx file, a municipality folder, or a folder at a git
revision written `REV:path/to/municipality`. Configs are rendered with the
current templates, so the redline shows what changed in the config.
The comparison itself is python-redlines' Docxodus engine (docs/redline.md); the
result is then made easier to read: each deletion before the insertion that replaces
it ("oktobernovember", not "novemberoktober"), the changes by the person who made the
new version (its git commit's author and date), and a first paragraph naming the two
versions compared.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from .errors import AvtalsgenError, ConfigError, Problem

AUTHOR = "avtalsgen"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Side:
    """What one side of a comparison is: how it is named, who made it and when."""

    label: str
    author: str | None = None
    when: dt.datetime | None = None


def _git(*args: str, cwd: Path | None = None) -> str | None:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False,
                              cwd=cwd, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _commit_side(label: str, commit: str | None, cwd: Path | None = None,
                 path: str | None = None) -> Side:
    """The side's last commit (of `path`, if given): its author, date and short id."""
    args = ["log", "-1", "--format=%an%x00%aI%x00%h", commit or "HEAD"]
    found = _git(*args, *(["--", path] if path else []), cwd=cwd)
    if not found:
        return Side(label)
    author, when, short = found.split("\0")
    stamp = dt.datetime.fromisoformat(when).astimezone(dt.UTC)
    return Side(f"{label} (version {short}, {stamp:%Y-%m-%d})", author or None, stamp)


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
    past = False
    if spec.lower().endswith(".docx"):
        try:
            return path.read_bytes()
        except OSError as e:
            raise RedlineError(f"{spec}: cannot read: {e.strerror}") from None
    if ":" in spec and not path.exists():
        path = _from_git(spec, workdir)
        bundle = load(str(path.resolve()), root)
        past = True  # approved as it stands, perhaps before today's final checks
    else:
        bundle = load(spec, root)
    names = list(bundle.municipality.documents)
    if doc is None:
        if len(names) > 1:
            raise ConfigError([Problem(spec, None, "", "this municipality has several "
                                       f"documents ({', '.join(names)}); choose one with "
                                       "--doc")])
        doc = names[0]
    return render_bundle(bundle, [doc], checked=not past)[doc]


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


def describe(spec: str, root: Path) -> Side:
    """How a side is named, and who made it when, from git where it can tell."""
    path = Path(spec)
    if spec.lower().endswith(".docx"):
        return Side(path.name)
    if ":" in spec and not path.exists():
        rev, _, inside = spec.partition(":")
        return _commit_side(spec, rev, path=inside.strip("/") or ".")
    from .validate import find_folder

    try:
        folder = find_folder(spec, root)
    except AvtalsgenError:
        return Side(spec)
    if _git("status", "--porcelain", "--", ".", cwd=folder):  # saved, not committed
        name = _git("config", "user.name", cwd=folder)
        return Side(f"{spec} (ändringar som inte är incheckade)", name or None)
    return _commit_side(spec, None, cwd=folder, path=".")


def readable(docx: bytes, old: Side, new: Side) -> bytes:
    """Each deletion before the insertion next to it, and a first paragraph naming the
    two versions; every other part as the engine wrote it."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    root = etree.fromstring(source.read("word/document.xml"))
    for deleted in list(root.iter(f"{W}del")):
        parent = deleted.getparent()
        if parent is not None and parent.tag == f"{W}rPr":  # a paragraph mark's: fixed
            continue
        before = deleted.getprevious()
        while before is not None and before.tag == f"{W}ins":
            before.addprevious(deleted)
            before = deleted.getprevious()
    text = (f"Jämförelse: ändringarna från {old.label} till {new.label}, som spårade "
            "ändringar (struket är borttaget, understruket är tillagt).")
    intro = etree.fromstring(
        f'<w:p xmlns:w="{W[1:-1]}"><w:r><w:rPr><w:i/></w:rPr>'
        f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')
    body = root.find(f"{W}body")
    if body is None:
        raise AvtalsgenError("the redline has no document body")
    body.insert(0, intro)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            target.writestr(info, data)
    return out.getvalue()


def diff(old: str, new: str, *, doc: str | None = None, root: Path = Path("municipalities"),
         when: dt.datetime | None = None) -> bytes:
    """Render or read both sides and return the redline .docx bytes; the changes are
    by the new side's author (git), at its date."""
    with tempfile.TemporaryDirectory(prefix="avtalsgen-diff-") as tmp:
        old_bytes = document_bytes(old, doc, root, Path(tmp) / "old")
        new_bytes = document_bytes(new, doc, root, Path(tmp) / "new")
    before, after = describe(old, root), describe(new, root)
    made = redline(old_bytes, new_bytes, author=after.author or AUTHOR,
                   when=when or after.when)
    return readable(made, before, after)
