"""The pipeline, step by step: load → validate → context → render → write.

This is the library API; the CLI only parses options and calls these functions.

    from avtalsgen.build import render_municipality
    render_municipality("lulea")   # writes output/lulea/*.docx
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import inputs
from .config import MUNICIPALITY_FILE, TEMPLATES_DIR
from .errors import AvtalsgenError, Bug, ConfigError, OutputError, Problem
from .messages import N_, Msg
from .output import Manifest, folder_lock

if TYPE_CHECKING:
    from .cycle import NextYear
    from .validate import Bundle

# Validation and rendering load pydantic, docxtpl and matplotlib; they are imported
# where they are used, so a re-run that has nothing to do never waits for them.

DEFAULT_ROOT = Path("municipalities")
DEFAULT_OUT = Path("output")
BUG_LOG = "avtalsgen-errors.log"


@dataclass
class Outcome:
    """What happened to one municipality in a run."""

    slug: str
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    error: AvtalsgenError | Bug | None = None
    seconds: float = 0.0


def load(target: str | Path, root: Path = DEFAULT_ROOT) -> Bundle:
    """Find and validate one municipality (slug under root, or a folder path)."""
    from .validate import find_folder, load_municipality

    folder = find_folder(str(target), root)
    return load_municipality(folder, display_root=Path.cwd())


def check(target: str | Path, root: Path = DEFAULT_ROOT, *,
          final: bool = False) -> tuple[Bundle, list[Problem]]:
    """Validate as `render` would: a final config (or final=True) must pass the final
    checks; a draft gets back what a final render would refuse, as warnings."""
    from .validate import final_problems

    bundle = load(target, root)
    problems = final_problems(bundle)
    if problems and final_state(bundle, final)[0]:
        raise ConfigError(problems)
    if bundle.municipality.approvals:  # written by earlier versions; see CHANGELOG
        problems = [*problems, Problem(
            bundle.folder / MUNICIPALITY_FILE, None, "approvals", Msg(N_(
                "no longer used: an approval now holds for a given content and is written "
                "to approvals.yaml when a party approves; remove the key")))]
    return bundle, problems


def final_state(bundle: Bundle, final: bool = False, *,
                status_counts: bool = True) -> tuple[bool, list[str]]:
    """(whether the documents are final, the approval lines they print), derived from
    the approvals of the municipality's current content (see approvals.py). final=True
    (`--final`) asks for a final render: refused while recorded approvals do not cover
    the current content, since the documents would then claim an approval they lack.
    status_counts=False: `status: final` typed in municipality.yaml does not count (the
    shared server, where only the two parties' approvals make documents final)."""
    from . import approvals

    now = approvals.state(bundle.folder,
                          status_counts and bundle.municipality.status == "final")
    if final and now.recorded and not now.final:
        missing = [p for p in approvals.PARTIES if p not in now.parties]
        raise ConfigError([Problem(
            bundle.folder / approvals.RECORD, None, "", Msg(N_(
                "the documents are not approved by both parties as they now read (missing: "
                "{missing}); approve them again, or make drafts without --final"),
                missing=", ".join(missing)))])
    return final or now.final, now.lines


def all_targets(root: Path = DEFAULT_ROOT) -> list[str]:
    if not root.is_dir():
        raise ConfigError([Problem(root, None, "", Msg(N_("no municipalities folder here")))])
    return sorted(p.name for p in root.iterdir() if (p / "municipality.yaml").exists())


def template_for(bundle: Bundle, doc_type: str) -> Path:
    """The template a document renders with; a municipality's own one is vetted first."""
    from . import files

    path = files.template_for(bundle.folder, doc_type)
    if path.parent.parent == bundle.folder:
        problems = files.override_problems(bundle.folder, path)
        if problems:
            raise ConfigError([Problem(path, None, "", p) for p in problems])
    return path


@dataclass(frozen=True)
class Options:
    """How to render: where, which documents, draft or final, which formats."""

    out_dir: Path = DEFAULT_OUT
    names: tuple[str, ...] = ()
    force: bool = False
    final: bool = False
    formats: tuple[str, ...] = ("docx",)
    pdfa: bool | None = None  # PDF/A-2: None for final documents only (pdfexport)


def render_bundle(bundle: Bundle, names: list[str] | tuple[str, ...] = (), *,
                  final: bool = False, status_counts: bool = True,
                  checked: bool = True) -> dict[str, bytes]:
    """Render documents of a validated municipality to .docx bytes, by document name.

    A draft carries "UTKAST", the version and its date in the header and in the
    document properties; final documents need a config without placeholders.
    checked=False renders a final version as it was approved even where today's final
    checks would refuse it (an earlier year's version, read from git to compare with).
    """
    from . import context as ctx
    from .render import render_docx
    from .validate import final_problems

    chosen = list(names) or list(bundle.municipality.documents)
    unknown = [n for n in chosen if n not in bundle.documents]
    if unknown:
        raise ConfigError([Problem(bundle.folder / "municipality.yaml", None, "documents",
                                   Msg(N_("no document {name!r} (known: {known})"), name=n,
                                       known=", ".join(bundle.documents))) for n in unknown])
    final, approved = final_state(bundle, final, status_counts=status_counts)
    if final and checked:
        problems = final_problems(bundle)
        if problems:
            raise ConfigError(problems)
    muni = bundle.municipality
    draft = None if final else {
        "version": muni.version,
        "date": muni.version_date.isoformat() if muni.version_date else ""}
    out: dict[str, bytes] = {}
    for name in chosen:
        doc = bundle.documents[name]
        context = ctx.build_context(muni, bundle.statistics, bundle.documents, name,
                                    draft=draft, approvals=approved)
        logo = (bundle.folder / muni.logo).read_bytes() if muni.logo else None
        pictures = {it["file"]: (bundle.folder / it["file"]).read_bytes()
                    for it in context["body"] if it["kind"] == "picture"}
        props = ctx.properties(muni, doc, context["doc"]["subtitle"], draft=draft,
                               approvals=approved)
        out[name] = render_docx(template_for(bundle, doc.type), context, props, logo,
                                pictures)
    return out


def render_municipality(target: str | Path, options: Options = Options(), *,
                        root: Path = DEFAULT_ROOT, checked: bool = False) -> Outcome:
    """Validate, render and write one municipality's .docx files (PDF: see render_many).

    A document whose inputs (see inputs.py) and written file are unchanged since the
    last run is not rendered again; --force renders everything. `checked`: the caller
    has just found that it is not up to date as a whole (render_many does).
    """
    start = time.perf_counter()
    current = None if checked else _up_to_date_or_none(str(target), options, root)
    if current is not None:
        current.seconds = time.perf_counter() - start
        return current
    from .validate import find_folder

    digest = inputs.folder_digest(find_folder(str(target), root))
    bundle = load(target, root)
    folder = options.out_dir / bundle.slug
    chosen = list(options.names) or list(bundle.municipality.documents)
    templates = {}
    for name in chosen:
        doc = bundle.documents.get(name)
        templates[name] = template_for(bundle, doc.type) if doc else None
    previous = Manifest(folder)
    keys = {name: inputs.document_key(digest, path, options.final)
            if digest and path else None for name, path in templates.items()}
    todo = [n for n in chosen if options.force or keys[n] is None
            or _recorded_key(previous, n) != keys[n] or not previous.intact(f"{n}.docx")]
    rendered = render_bundle(bundle, todo, final=options.final) if todo else {}
    record = {n: {"template": str(templates[n]), "key": keys[n]}
              for n in chosen if keys[n] is not None and templates[n] is not None}
    try:
        outcome = _write(bundle.slug, folder, options, rendered,
                         [n for n in chosen if n not in rendered],
                         _inputs_record(digest, list(bundle.municipality.documents), record))
    except OSError as e:
        where = e.filename or folder
        raise OutputError(str(Msg(N_("cannot write {where}: {error}"), where=where,
                                  error=e.strerror or e))) from None
    outcome.seconds = time.perf_counter() - start
    return outcome


def _recorded_key(manifest: Manifest, name: str) -> str | None:
    entry = manifest.inputs.get("keys", {}).get(name) if manifest.inputs else None
    return entry["key"] if entry else None


def _inputs_record(digest: str | None, names: list[str],
                   keys: dict[str, dict[str, str | None]]) -> dict[str, object] | None:
    return {"folder": digest, "documents": names, "keys": keys} if digest else None


def up_to_date(target: str | Path, options: Options, root: Path) -> Outcome | None:
    """The outcome of a municipality with nothing to do, found without loading it: its
    folder, templates, avtalsgen and options are as when its files were written, and
    the files are as written. None when anything must be rendered (or checked)."""
    slug = str(target)
    if options.force or not SLUG.fullmatch(slug):
        return None
    source = root / slug
    if not (source / MUNICIPALITY_FILE).is_file() or source.is_symlink():
        return None
    manifest = Manifest(options.out_dir / slug)
    record = manifest.inputs
    if not record or record["folder"] != inputs.folder_digest(source):
        return None
    unchanged = []
    for name in options.names or record["documents"]:
        entry = record["keys"].get(name)
        if entry is None or entry["key"] != inputs.document_key(
                record["folder"], Path(entry["template"]), options.final):
            return None
        for suffix in ("docx", "pdf"):
            if suffix == "docx" or "pdf" in options.formats:
                if not manifest.intact(f"{name}.{suffix}"):
                    return None
                unchanged.append(options.out_dir / slug / f"{name}.{suffix}")
    return Outcome(slug, unchanged=unchanged)


SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")


def _write(slug: str, folder: Path, options: Options, rendered: dict[str, bytes],
           kept: list[str], record: dict[str, object] | None) -> Outcome:
    if folder.is_symlink():
        if not folder.exists():
            raise OutputError(str(Msg(N_("{folder} is a symlink to {target}, which does not "
                                         "exist; remove it"), folder=folder,
                                      target=os.readlink(folder))))
        if not folder.resolve().is_relative_to(options.out_dir.resolve()):
            raise OutputError(str(Msg(N_("{folder} points outside {out} (symlink?); refused"),
                                      folder=folder, out=options.out_dir)))
    if options.out_dir.exists() and not options.out_dir.is_dir():
        raise OutputError(str(Msg(N_("{out} is a file, not a folder"), out=options.out_dir)))
    docx = {f"{name}.docx": data for name, data in rendered.items()}
    outcome = Outcome(slug)
    with folder_lock(folder):
        manifest = Manifest(folder)
        if not options.force:
            pdfs = [f"{name}.pdf" for name in rendered] if "pdf" in options.formats else []
            manifest.check_writable({**docx, **dict.fromkeys(pdfs)})
        for file_name, data in docx.items():
            path = folder / file_name
            (outcome.written if manifest.write(file_name, data) else
             outcome.unchanged).append(path)
        outcome.unchanged += [folder / f"{name}.docx" for name in kept]
        if record is not None:
            manifest.inputs = record
        manifest.save()
    return outcome


EXAMPLE_DIR = TEMPLATES_DIR / "example"
NAME_PATTERN = re.compile(r"[^\W\d_][\w .'-]*", re.UNICODE)


def init_municipality(slug: str, root: Path = DEFAULT_ROOT, name: str | None = None) -> Path:
    """Create municipalities/<slug>/ from the commented example; it validates as is."""
    from .validate import is_slug

    if not is_slug(slug):
        raise ConfigError([Problem(slug, None, "", Msg(N_(
            "not a valid folder name: use lower-case letters a-z, digits, - and _ (e.g. "
            "'pitea')")))])
    shown = name or slug.capitalize()
    if not NAME_PATTERN.fullmatch(shown):
        raise ConfigError([Problem(slug, None, "--name", Msg(N_(
            "{name!r} is not a municipality name (letters, spaces, '-', '.' and ' only)"),
            name=shown))])
    folder = root / slug
    if folder.exists():
        raise ConfigError([Problem(folder, None, "", Msg(N_("already exists; not "
                                                            "overwritten")))])
    staging = root / f".{slug}.init-tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for example in sorted(EXAMPLE_DIR.glob("*.yaml")):
        text = example.read_text(encoding="utf-8").replace("__KOMMUN__", shown)
        (staging / example.name).write_text(text, encoding="utf-8")
    staging.rename(folder)  # the folder appears whole or not at all
    return folder


def start_next_year(target: str | Path, root: Path = DEFAULT_ROOT, *,
                    author: str = "avtalsgen", seen: int | None = None) -> NextYear:
    """Start next year's draft of a municipality in one git commit (see cycle.py);
    seen: the year the caller was shown, refused once it has been followed up."""
    from .cycle import next_year
    from .validate import find_folder

    return next_year(find_folder(str(target), root), author=author, seen=seen)


def _render_one(target: str, options: Options, root: Path) -> Outcome:
    try:
        return render_municipality(target, options, root=root, checked=True)
    except AvtalsgenError as e:
        return Outcome(str(target), error=e)
    except Exception as e:  # a bug: reported for this municipality, the batch goes on
        return Outcome(str(target), error=Bug(str(target), e))


def render_many(targets: list[str], options: Options = Options(), *,
                root: Path = DEFAULT_ROOT, jobs: int = 1,
                on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Render each target; one broken municipality does not stop the others.

    With jobs > 1 the municipalities are spread over worker processes (each parses
    every template once and reuses it). Outcomes come back in the order of
    targets. PDFs are converted at the end, the batch's documents shared among one
    LibreOffice per core.
    """
    outcomes: list[Outcome] = []
    # Municipalities with nothing to do are settled here, without a worker.
    done = {t: _up_to_date_or_none(t, options, root) for t in targets}
    work = [t for t in targets if done[t] is None]
    if jobs > 1 and len(work) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as pool:
            futures = {t: pool.submit(_render_one, t, options, root) for t in work}
            for target in targets:
                outcome = done[target]
                if outcome is None:
                    try:
                        outcome = futures[target].result()
                    except Exception as e:  # the worker itself died (killed, out of memory)
                        outcome = Outcome(str(target), error=Bug(str(target), e))
                outcomes.append(outcome)
                if on_done:
                    on_done(outcome)
    else:
        for target in targets:
            outcomes.append(done[target] or _render_one(target, options, root))
            if on_done:
                on_done(outcomes[-1])
    bugs = [o.error for o in outcomes if isinstance(o.error, Bug)]
    if bugs:
        log = write_bug_log(bugs, options.out_dir)
        for bug in bugs:
            bug.log = log
    if "pdf" in options.formats:
        _convert_pdfs([o for o in outcomes if o.error is None], options.pdfa)
    if "docx" not in options.formats:
        for outcome in outcomes:
            outcome.written = [p for p in outcome.written if p.suffix != ".docx"]
            outcome.unchanged = [p for p in outcome.unchanged if p.suffix != ".docx"]
    return outcomes


def _convert_pdfs(outcomes: list[Outcome], pdfa: bool | None = None) -> None:
    """Convert each new .docx, and each unchanged one whose PDF is missing or not what
    was written (or every one, when PDF/A is asked for or refused: an existing PDF may
    be the other kind); all at the end, shared among one LibreOffice per core."""
    from .pdf import convert

    todo: list[tuple[Outcome, Path, list[Path]]] = []
    for outcome in outcomes:
        docs = [p for p in [*outcome.written, *outcome.unchanged] if p.suffix == ".docx"]
        if not docs:
            continue
        folder, manifest, convert_these = docs[0].parent, Manifest(docs[0].parent), []
        for docx in docs:
            pdf = docx.with_suffix(".pdf")
            if docx in outcome.written or pdfa is not None or not manifest.intact(pdf.name):
                convert_these.append(docx)
            elif pdf not in outcome.unchanged:
                outcome.unchanged.append(pdf)
        if convert_these:
            todo.append((outcome, folder, convert_these))
    convert([(docx, docx.with_suffix(".pdf")) for _o, _f, docs in todo for docx in docs],
            pdfa=pdfa)
    for outcome, folder, docs in todo:
        with folder_lock(folder):
            manifest = Manifest(folder)
            for docx in docs:
                pdf = docx.with_suffix(".pdf")
                manifest.record(pdf.name, pdf.read_bytes())
                outcome.written.append(pdf)
            manifest.save()


def _up_to_date_or_none(target: str, options: Options, root: Path) -> Outcome | None:
    try:
        return up_to_date(target, options, root)
    except (OSError, ValueError):  # the long way reports an unusual folder properly
        return None


def write_bug_log(bugs: list[Bug], folder: Path) -> Path:
    """Append the tracebacks of unexpected failures to a log; returns its path."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / BUG_LOG
        with open(log, "a", encoding="utf-8") as f:
            for bug in bugs:
                f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {bug.target}\n"
                        f"{bug.traceback}\n")
    except OSError:  # the output folder is unusable: fall back to the temp folder
        fd, name = tempfile.mkstemp(prefix="avtalsgen-errors-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("".join(f"--- {b.target}\n{b.traceback}\n" for b in bugs))
        log = Path(name)
    return log
