"""git: commit saved files, and read a folder's history and old versions back, with
every revision resolved to a commit id before git sees it as an argument."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..messages import Msg
from .errors import StoreError
from .lock import GIT_LOCK, _locked

EMAIL_DOMAIN = "avtalsgen.invalid"
FALLBACK_NAME = "avtalsgen"  # committer when git has no identity configured


@dataclass
class Commit:
    """One commit in a folder's history."""

    rev: str  # full hash
    short: str
    date: dt.datetime  # aware
    author: str
    message: str
    files: list[str] = field(default_factory=list)  # relative to the folder asked about


def _slug(text: str, limit: int = 40) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:limit].strip("-")


# Set by a surrounding git command (a hook, say); they would point git elsewhere.
_GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX",
                      "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE",
                      "GIT_ALTERNATE_OBJECT_DIRECTORIES")


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None,
         stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARS}
    environment.update(env or {})
    environment["GIT_TERMINAL_PROMPT"] = "0"
    try:
        result = subprocess.run(["git", "--literal-pathspecs", "-c", "core.quotepath=false",
                                 *args], cwd=cwd, input=stdin, capture_output=True,
                                env=environment, check=False, timeout=120)
    except FileNotFoundError:
        raise StoreError(Msg("git is not installed")) from None
    except subprocess.TimeoutExpired:
        raise StoreError(Msg("git {command} did not finish in 120 s", command=args[0])) from None
    if check and result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()
        raise StoreError(Msg("git {command} failed: {detail}", command=args[0], detail=detail))
    return result


# folder -> (work tree, git directory): `git rev-parse` costs a process per save otherwise.
_REPOS: dict[str, tuple[Path, Path]] = {}
_REPOS_MAX = 1024


def _repo(folder: Path) -> tuple[Path, Path] | None:
    """(work tree, git directory) of the repository holding folder, or None."""
    probe = Path(folder).absolute()
    while not probe.is_dir():
        if probe.parent == probe:
            return None
        probe = probe.parent
    key = str(probe)
    known = _REPOS.get(key)
    if known is not None and _still_holds(probe, *known):
        return known
    try:
        found = _git(probe, "rev-parse", "--show-toplevel", "--git-common-dir", check=False)
    except StoreError:
        return None
    lines = found.stdout.decode("utf-8", "surrogateescape").splitlines()
    if found.returncode != 0 or len(lines) != 2:
        _REPOS.pop(key, None)
        return None
    repo = Path(lines[0]), (probe / lines[1]).resolve()
    if len(_REPOS) >= _REPOS_MAX:
        _REPOS.clear()
    _REPOS[key] = repo
    return repo


def _still_holds(probe: Path, top: Path, git_dir: Path) -> bool:
    """Whether the repository found for probe earlier is still the one git would find:
    its git directory is there and no `.git` has appeared between probe and its top (a
    new repository inside, say). Outside-in changes (GIT_DIR, a ceiling) are not
    looked for: the process's environment does not change under it."""
    if not git_dir.is_dir():
        return False
    top_real = os.path.realpath(top)
    here = probe
    while os.path.realpath(here) != top_real:
        if os.path.lexists(here / ".git"):
            return False
        if here.parent == here:
            return False  # probe is no longer below top (a moved folder)
        here = here.parent
    return os.path.lexists(here / ".git")


def git_root(folder: Path) -> Path | None:
    """The top of the git work tree holding folder (which need not exist yet), or None."""
    repo = _repo(folder)
    return repo[0] if repo else None


def _relative(root: Path, path: Path) -> str | None:
    """path relative to the work tree, POSIX style ("" for the top), or None if outside."""
    real = Path(os.path.realpath(path))
    try:
        rel = real.relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return None
    return "" if rel == "." else rel


def _ident(author: str) -> str:
    name = re.sub(r"[<>\x00-\x1f]", "", author).strip() or FALLBACK_NAME
    return f"{name} <{_slug(author) or FALLBACK_NAME}@{EMAIL_DOMAIN}>"


def _commit(root: Path, path: Path, author: str, message: str) -> None:
    """Commit one saved file as it is on disk. The caller holds the repository lock and
    has just written the file, so the commit holds exactly the saved bytes."""
    rel = _relative(root, path)
    if not rel:  # a symlinked folder pointing out of the repository
        return
    failed: Msg | str = Msg("{path} was saved but", path=path)
    # One process for a file git already tracks: `commit --only` takes the file from the
    # work tree; only a new file needs `git add` first.
    done = _commit_only(root, [rel], author, message)
    if done.returncode != 0 and re.search(rb"did not match any file", done.stderr):
        _commit_paths(root, [rel], author, message, failed)
        return
    _commit_result(done, failed)


def _commit_paths(root: Path, rels: list[str], author: str, message: str,
                  failed: Msg | str) -> bool:
    """git add + commit exactly these paths (not what else the user staged); False when
    there was nothing to commit or the paths are ignored by git."""
    added = _retry(lambda: _git(root, "add", "--", *rels, check=False))
    if added.returncode != 0:
        if b"ignored" in added.stderr:
            return False  # the user keeps this out of git
        raise StoreError(Msg("{failed} git add failed: {detail}", failed=failed,
                             detail=added.stderr.decode("utf-8", "replace").strip()))
    return _commit_result(_commit_only(root, rels, author, message), failed)


# Work trees where git has no identity (a server): the committer is avtalsgen itself.
_NO_IDENTITY: set[str] = set()
_FALLBACK_COMMITTER = {"GIT_COMMITTER_NAME": FALLBACK_NAME,
                       "GIT_COMMITTER_EMAIL": f"{FALLBACK_NAME}@{EMAIL_DOMAIN}"}


def _commit_only(root: Path, rels: list[str], author: str,
                 message: str) -> subprocess.CompletedProcess[bytes]:
    """`git commit --only` of these paths with the editor as author."""
    # The message goes on stdin, never in the argument list (a long one would overflow
    # it), bounded; control characters would garble `git log` (history() splits on two).
    text = _message(message) or f"Update {', '.join(rels)}"
    stdin = text.encode("utf-8", "replace")
    args = ("commit", "--only", "--quiet", "--cleanup=whitespace", f"--author={_ident(author)}",
            "-F", "-", "--", *rels)
    if str(root) in _NO_IDENTITY:  # known already: no failing attempt first
        return _retry(lambda: _git(root, *args, env=_FALLBACK_COMMITTER, stdin=stdin,
                                   check=False))
    done = _retry(lambda: _git(root, *args, stdin=stdin, check=False))
    if done.returncode != 0 and re.search(rb"tell me who you are|auto-detect|empty ident",
                                          done.stderr):
        _NO_IDENTITY.add(str(root))
        done = _retry(lambda: _git(root, *args, env=_FALLBACK_COMMITTER, stdin=stdin,
                                   check=False))
    return done


MAX_MESSAGE = 2_000  # characters of a commit message; the rest is cut with "…"


def _message(message: str) -> str:
    """A commit message as written: no control characters, no invisible padding (zero
    width and other format characters), at most MAX_MESSAGE characters."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", message)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf").strip()
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def last_commit(folder: Path) -> str | None:
    """The latest commit touching folder, or None outside git or before any commit."""
    found = history(folder, 1)
    return found[0].rev if found else None


def first_change_after(folder: Path, rev: str, exclude: str, limit: int = 500) -> Commit | None:
    """The first commit after rev that touched folder other than its file exclude; None
    when there is none, or rev is not among the folder's last `limit` commits."""
    after = []
    for found in history(folder, limit):  # newest first
        if found.rev == rev:
            break
        after.append(found)
    else:
        return None
    return next((c for c in reversed(after) if any(f != exclude for f in c.files)), None)


def _commit_result(done: subprocess.CompletedProcess[bytes], failed: Msg | str) -> bool:
    if done.returncode == 0:
        return True
    if re.search(rb"nothing to commit|no changes added", done.stdout + done.stderr):
        return False
    raise StoreError(Msg("{failed} git commit failed: {detail}", failed=failed,
                         detail=done.stderr.decode("utf-8", "replace").strip()))


def commit(folder: Path, paths: list[Path], *, author: str, message: str) -> str | None:
    """Commit files or folders as they are on disk (a municipality just created, say),
    under the same lock as save(). Returns the new commit id, or None outside git or
    when there was nothing to commit."""
    repo = _repo(Path(folder))
    if repo is None:
        return None
    root = repo[0]
    rels = []
    for path in paths:
        rel = _relative(root, Path(path))
        if rel is None:
            raise StoreError(Msg("{path} is not inside the git repository {root}", path=path,
                             root=root))
        rels.append(rel or ".")
    with _locked(repo[1] / GIT_LOCK):
        if not _commit_paths(root, rels, author, message, "git:"):
            return None
        return _git(root, "rev-parse", "HEAD").stdout.decode().strip()


def _retry(run: Callable[[], subprocess.CompletedProcess[bytes]]
           ) -> subprocess.CompletedProcess[bytes]:
    """Run a git command again while another git process holds the index."""
    for _ in range(50):
        result = run()
        if result.returncode == 0 or b"index.lock" not in result.stderr:
            return result
        time.sleep(0.1)
    return result


def _check_rev(rev: str) -> None:
    # Refused before git sees it: a revision must never be read as an option.
    if not isinstance(rev, str) or not rev or rev.startswith("-") or \
            any(c.isspace() or ord(c) < 32 or c == "\x7f" for c in rev):
        raise StoreError(Msg("{rev!r} is not a git revision (a commit, a tag or a branch)",
                             rev=rev))


def _resolve(root: Path, rev: str) -> str:
    """The full commit id rev names (rev already checked by _check_rev)."""
    found = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options",
                 f"{rev}^{{commit}}", check=False)
    commit = found.stdout.decode().strip()
    if found.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        raise StoreError(Msg("no revision {rev!r} in the git repository {root}", rev=rev,
                             root=root))
    return commit


def _require_repo(where: Path) -> Path:
    root = git_root(where)
    if root is None:
        raise StoreError(Msg("{path} is not in a git repository", path=where))
    return root


def history(folder: Path, limit: int = 50) -> list[Commit]:
    """The commits touching folder, newest first; [] outside git or before a commit."""
    folder = Path(folder)
    root = git_root(folder)
    if root is None or limit <= 0:
        return []
    rel = _relative(root, folder)
    if rel is None:
        return []
    spec = [rel] if rel else []
    found = _git(root, "log", f"--max-count={int(limit)}", "-z", "--name-only",
                 "--format=%x1e%H%x1f%h%x1f%aI%x1f%an%x1f%B%x1f", "--", *spec, check=False)
    if found.returncode != 0:
        return []  # e.g. a repository without commits
    commits = []
    for record in found.stdout.decode("utf-8", "replace").split("\x1e")[1:]:
        rev, short, date, name, body, names = record.split("\x1f", 5)
        prefix = f"{rel}/" if rel else ""
        files = [n.removeprefix(prefix) for n in names.strip("\n\x00").split("\x00")
                 if n.strip("\n") and n.startswith(prefix)]
        commits.append(Commit(rev, short, dt.datetime.fromisoformat(date), name,
                              body.strip(), [f.strip("\n") for f in files]))
    return commits


def _entries(root: Path, commit: str, rel: str) -> list[tuple[str, str, str]]:
    """(mode, blob id, path) of the files at rel in commit."""
    listed = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--",
                  *([rel] if rel else [])).stdout.decode("utf-8", "surrogateescape")
    entries = []
    for line in filter(None, listed.split("\x00")):
        info, _, name = line.partition("\t")
        mode, kind, oid = info.split()
        if kind == "blob" and mode in ("100644", "100755"):  # no symlinks, no submodules
            entries.append((mode, oid, name))
    return entries


def _blobs(root: Path, oids: list[str]) -> dict[str, bytes]:
    stream = _git(root, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in oids).encode()
                  ).stdout
    blobs, at = {}, 0
    for oid in oids:
        end = stream.index(b"\n", at)
        size = int(stream[at:end].split()[2])
        blobs[oid] = stream[end + 1:end + 1 + size]
        at = end + 1 + size + 1
    return blobs


def file_at(path: Path, rev: str) -> bytes | None:
    """The file's bytes at revision rev, or None if it did not exist there."""
    _check_rev(rev)
    path = Path(path)
    root = _require_repo(path.parent)
    commit = _resolve(root, rev)
    rel = _relative(root, path)
    if not rel:
        raise StoreError(Msg("{path} is not inside the git repository {root}", path=path,
                             root=root))
    entries = [e for e in _entries(root, commit, rel) if e[2] == rel]
    if not entries:
        return None
    return _blobs(root, [entries[0][1]])[entries[0][1]]


def folder_at(folder: Path, rev: str, into: Path) -> Path:
    """Export folder as it was at revision rev into the new folder into/<folder name>."""
    _check_rev(rev)
    folder = Path(folder)
    root = _require_repo(folder)
    commit = _resolve(root, rev)
    rel = _relative(root, folder)
    if rel is None:
        raise StoreError(Msg("{path} is not inside the git repository {root}", path=folder,
                             root=root))
    entries = _entries(root, commit, rel)
    if not entries:
        raise StoreError(Msg("{folder} did not exist at revision {rev}", folder=folder, rev=rev))
    target = Path(into) / (Path(os.path.realpath(folder)).name)
    if target.exists():
        raise StoreError(Msg("{folder} exists already; choose another folder", folder=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        blobs = _blobs(root, sorted({oid for _, oid, _ in entries}))
        prefix = f"{rel}/" if rel else ""
        for mode, oid, name in entries:
            parts = Path(name.removeprefix(prefix)).parts
            if not parts or any(p in ("", ".", "..") for p in parts) or name.startswith("/"):
                continue  # git never stores these; never write outside the export
            out = work.joinpath(*parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(blobs[oid])
            out.chmod(0o755 if mode == "100755" else 0o644)
        work.chmod(0o755)
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target
