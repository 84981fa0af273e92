"""The `avtalsgen` command: click commands only; the work is in the library.

Heavy modules are imported inside the commands so `--help` and `--version`
start fast. User errors (AvtalsgenError) exit 2 with a plain message; anything
else is a bug and exits 1 with its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from . import __version__
from .messages import Msg  # the CLI's words, in the language of LANG

if TYPE_CHECKING:  # imported in the commands, so --help starts fast
    from .accounts import Accounts

ROOT_OPTION = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("municipalities"),
    show_default=True, envvar="AVTALSGEN_ROOT",
    help="Folder holding one folder per municipality.")


def _say(message: Msg, *, err: bool = False) -> None:
    click.echo(str(message), err=err)


def _fail(error: Exception) -> NoReturn:
    _say(Msg("error: {error}", error=error), err=True)
    sys.exit(getattr(error, "exit_code", 2))


def _formats(value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip() for f in value.split(",") if f.strip()))
    if not formats or any(f not in ("docx", "pdf") for f in formats):
        raise click.BadParameter("use docx, pdf or docx,pdf", param_hint="--format")
    return formats


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="avtalsgen")
def main() -> None:
    """Write signable Swedish kommun–polis collaboration documents (Word) from YAML."""


@main.command()
@click.argument("targets", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Render every municipality under --root.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Output folder.")
@click.option("--doc", "docs", multiple=True, metavar="NAME",
              help="Only this document (repeatable), e.g. --doc verksamhetsplan.")
@click.option("--force", is_flag=True,
              help="Overwrite output files even if they were edited after generation.")
@click.option("--final", is_flag=True,
              help="Final documents: no UTKAST marks; refused while placeholders remain.")
@click.option("--format", "formats", default="docx", show_default=True,
              metavar="docx|pdf|docx,pdf", callback=lambda _c, _p, v: _formats(v),
              help="Output formats; PDF needs LibreOffice.")
@click.option("--pdfa/--no-pdfa", default=None,
              help="PDFs as PDF/A-2 for archiving (always tagged PDF/UA); default: final "
                   "documents are, drafts are not.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no per-file lines.")
@ROOT_OPTION
def render(targets: tuple[str, ...], all_: bool, out_dir: Path, docs: tuple[str, ...],
           force: bool, final: bool, formats: tuple[str, ...], pdfa: bool | None,
           jobs: int | None, quiet: bool, root: Path) -> None:
    """Render municipalities (SLUG under --root, or a folder PATH) to OUT/<slug>/*.docx."""
    import os
    import time

    from .build import Options, all_targets, render_many
    from .errors import AvtalsgenError

    try:
        chosen = list(targets) + (all_targets(root) if all_ else [])
    except AvtalsgenError as e:
        _fail(e)
    if not chosen:
        raise click.UsageError("name at least one municipality, or use --all")
    options = Options(out_dir=out_dir, names=docs, force=force, final=final, formats=formats,
                      pdfa=pdfa)
    workers = jobs or os.cpu_count() or 1
    show_bar = not quiet and sys.stderr.isatty() and len(chosen) > 1
    start = time.perf_counter()
    try:
        if show_bar:
            with click.progressbar(length=len(chosen), label="Rendering", file=sys.stderr,
                                   show_pos=True) as bar:
                outcomes = render_many(chosen, options, root=root, jobs=workers,
                                       on_done=lambda _o: bar.update(1))
        else:
            outcomes = render_many(chosen, options, root=root, jobs=workers)
    except AvtalsgenError as e:
        _fail(e)
    seconds = time.perf_counter() - start
    failed = [o for o in outcomes if o.error is not None]
    bugs = [o for o in failed if not isinstance(o.error, AvtalsgenError)]
    for outcome in failed:
        _say(Msg("error: {target}:\n{error}", target=outcome.slug, error=outcome.error),
             err=True)
    if not quiet:
        for outcome in outcomes:
            for path in outcome.written:
                _say(Msg("wrote {path}", path=path))
            for path in outcome.unchanged:
                _say(Msg("unchanged {path}", path=path))
    written = sum(len(o.written) for o in outcomes)
    unchanged = sum(len(o.unchanged) for o in outcomes)
    _say(Msg("{written} written, {unchanged} unchanged, {failed} failed ({municipalities} "
             "municipalities, {seconds} s)", written=written, unchanged=unchanged,
             failed=len(failed), municipalities=len(outcomes), seconds=f"{seconds:.1f}"),
         err=True)
    if bugs:
        sys.exit(1)
    if failed:
        sys.exit(2)


@main.command()
@click.argument("targets", nargs=-1)
@click.option("--final", is_flag=True,
              help="Also run the final checks (placeholders, signing, sample data) as errors.")
@ROOT_OPTION
def validate(targets: tuple[str, ...], final: bool, root: Path) -> None:
    """Check configs only (every municipality when none is named).

    A final config (status: final) or --final must pass the checks a final render
    makes; for a draft, what --final would refuse is listed as warnings.
    """
    import tempfile

    from .build import all_targets, check, write_bug_log
    from .errors import AvtalsgenError, Bug

    try:
        chosen = list(targets) or all_targets(root)
    except AvtalsgenError as e:
        _fail(e)
    failed = 0
    bugs: list[Bug] = []
    for target in chosen:
        try:
            bundle, warnings = check(target, root, final=final)
        except AvtalsgenError as e:
            failed += 1
            click.echo(f"{e}", err=True)
            continue
        except Exception as e:  # a bug: report it, check the others
            bugs.append(Bug(target, e))
            continue
        for warning in warnings:
            _say(Msg("warning: {warning} (--final would refuse this)", warning=warning),
                 err=True)
        noted = Msg(", {n} warnings", n=len(warnings)) if warnings else ""
        _say(Msg("ok {folder} ({n} documents{warnings})", folder=bundle.folder,
                 n=len(bundle.documents), warnings=noted))
    if bugs:
        log = write_bug_log(bugs, Path(tempfile.gettempdir()))
        for bug in bugs:
            bug.log = log
            _say(Msg("error: {target}: {error}", target=bug.target, error=bug), err=True)
        sys.exit(1)
    if failed:
        sys.exit(2)


@main.command()
@click.argument("slug")
@click.option("--name", help="The municipality's name, e.g. 'Piteå' (default: from SLUG).")
@ROOT_OPTION
def init(slug: str, name: str | None, root: Path) -> None:
    """Create municipalities/SLUG from a commented example that renders as is (and
    commit it, when the folder is in a git repository)."""
    from . import store
    from .build import init_municipality, load
    from .errors import AvtalsgenError

    try:
        folder = init_municipality(slug, root, name)
        bundle = load(slug, root)
        # In git, one commit as the editor's "Skapa kommun" makes: the history then has
        # every file from the first version on (comparisons need the whole folder).
        store.commit(folder, [folder], author=_git_user(),
                     message=f"Ny kommun {bundle.municipality.kommun.name} skapad från "
                             "exemplet")
    except AvtalsgenError as e:
        _fail(e)
    _say(Msg("created {folder} with {n} documents: {documents}", folder=folder,
             n=len(bundle.documents), documents=", ".join(bundle.documents)))
    _say(Msg("next: edit the YAML files, then `avtalsgen render {slug}`", slug=slug))


def _git_user() -> str:
    """The name git would commit under here, else the login name."""
    import getpass
    import subprocess

    try:
        found = subprocess.run(["git", "config", "user.name"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    return found or getpass.getuser()


@main.command("next-year")
@click.argument("target", metavar="SLUG")
@ROOT_OPTION
def next_year(target: str, root: Path) -> None:
    """Start next year's draft in one git commit: the year followed up, the plan moved on."""
    from .build import start_next_year
    from .errors import AvtalsgenError

    try:
        done = start_next_year(target, root)
    except AvtalsgenError as e:
        _fail(e)
    _say(Msg("{year} followed up in {document}: {carried} measures go on, {closed} done or "
             "cancelled", year=done.year, document=done.follow_up, carried=done.carried,
             closed=done.closed))
    if done.tag:
        _say(Msg("last year's approved version: tag {tag}", tag=done.tag))
    _say(Msg("next year's draft started ({year})", year=done.year + 1))


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The redline .docx to write.")
@click.option("--doc", default=None, metavar="NAME",
              help="Which document, when OLD/NEW are configs with several.")
@ROOT_OPTION
def diff(old: str, new: str, output: Path, doc: str | None, root: Path) -> None:
    """Write a Word redline (tracked changes) from OLD to NEW.

    OLD and NEW are each a .docx file, a municipality (SLUG or folder), or a
    folder at a git revision, e.g. `v1.0:municipalities/lulea`.
    """
    from .errors import AvtalsgenError
    from .output import write_atomic
    from .redline import diff as make_redline

    try:
        data = make_redline(old, new, doc=doc, root=root)
        write_atomic(output, data)
    except AvtalsgenError as e:
        _fail(e)
    _say(Msg("wrote {path}", path=output))


@main.command()
@click.argument("templates", nargs=-1, type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path))
def check(templates: tuple[Path, ...]) -> None:
    """Check Word templates: Jinja syntax, tags split across runs, unknown names.

    With no TEMPLATE, checks every .docx in the shared templates folder.
    """
    from .check import check_templates
    from .config import TEMPLATES_DIR

    paths = list(templates) or sorted(TEMPLATES_DIR.glob("*.docx"))
    problems = check_templates(paths)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        _say(Msg("{n} problems in {templates} templates", n=len(problems),
                 templates=len(paths)), err=True)
        sys.exit(2)
    _say(Msg("ok {n} templates", n=len(paths)))


@main.command()
def doctor() -> None:
    """Say what this machine has for the optional parts (LibreOffice and its Python
    bridge, fonts, pdftotext, Chromium, git) and how to install what is missing.

    Always exits 0: Word documents need none of them.
    """
    from .doctor import report

    for line in report():
        click.echo(line)


@main.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The municipality folder to create, or to add to.")
@click.option("--doc", default=None, metavar="NAME",
              help="Name of the new document (default: from the title).")
@click.option("--type", "doc_type", default=None,
              type=click.Choice(["agreement", "action_plan", "situation_report",
                                 "citizen_promises", "appendices", "follow_up"]),
              help="Document type (default: guessed from the title).")
@click.option("--name", "municipality_name", default=None,
              help="The municipality's name when the document does not say it.")
def import_(source: Path, into: Path, doc: str | None, doc_type: str | None,
            municipality_name: str | None) -> None:
    """Bring in a Word document (.docx) or a spreadsheet (.xlsx, .csv) as config.

    \b
    From a .docx it recognises:
      - headings by style (Title, Heading 1-n) or by direct formatting: short bold
        or larger paragraphs, their level from size and typed numbers ("1.", "6.1");
      - lists by style or typed ("-", "•", "1.", "1)"); Word list numbering;
      - labels and labelled fields ("Mål:", "Ansvarig:", "Tidplan:", "Uppföljning:" …);
      - tables: numbers become statistics tables ("1 046", "10,6 %"; a Totalt/Summa
        row becomes a checked total), Brå's Orsak | Åtgärd | … table becomes a
        measures table, other tables text tables;
      - footnotes, pictures (saved in the folder, with alt text and caption), Word
        charts (a statistics table from the chart's data and a chart block), the
        parties, period and signatories when stated, clause-library texts.
    What it cannot place is kept as text with a comment in the YAML, and listed.
    From a spreadsheet: one statistics table per sheet (first row = columns).
    """
    from .errors import AvtalsgenError
    from .importing.bounded import run_import

    if source.suffix.lower() not in (".docx", ".xlsx", ".csv"):
        raise click.BadParameter("a .docx, .xlsx or .csv file", param_hint="SOURCE")
    was_final = _final(into)
    try:  # in a worker process, within the bounds of importing.limits
        report = run_import(source, into, doc=doc, doc_type=doc_type,
                            municipality_name=municipality_name)
    except AvtalsgenError as e:
        _fail(e)
    click.echo(report.summary())
    _warn_if_no_longer_final(into, was_final)


@main.group()
def measures() -> None:
    """Brå's measures table to and from Excel, for follow-up meetings."""


@measures.command("export")
@click.argument("target")
@click.option("--doc", required=True, metavar="NAME", help="The document with the measures.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The .xlsx to write.")
@ROOT_OPTION
def measures_export(target: str, doc: str, output: Path, root: Path) -> None:
    """One row per measure; status as a list to pick from; headers protected."""
    from .errors import AvtalsgenError
    from .importing.measures import export_measures
    from .validate import find_folder

    try:
        written = export_measures(find_folder(target, root), doc, output)
    except AvtalsgenError as e:
        _fail(e)
    _say(Msg("wrote {path}", path=written))


@measures.command("import")
@click.argument("target")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--doc", required=True, metavar="NAME", help="The document with the measures.")
@click.option("--author", default="avtalsgen", show_default=True,
              help="Name for the git commit.")
@ROOT_OPTION
def measures_import(target: str, source: Path, doc: str, author: str, root: Path) -> None:
    """Update each measure's status and follow-up from the sheet; nothing else."""
    from .errors import AvtalsgenError
    from .importing.measures import import_measures
    from .validate import find_folder

    try:
        folder = find_folder(target, root)
        was_final = _final(folder)
        report = import_measures(folder, doc, source, author=author)
    except AvtalsgenError as e:
        _fail(e)
    click.echo(report.summary())
    _warn_if_no_longer_final(folder, was_final)


def _final(folder: Path) -> bool:
    """Whether the municipality's documents are final now (see approvals.py)."""
    from . import approvals

    return (folder / "municipality.yaml").is_file() and approvals.state(folder).final


def _warn_if_no_longer_final(folder: Path, was_final: bool) -> None:
    """A change to a final municipality makes its documents drafts: say so."""
    if was_final and not _final(folder):
        _say(Msg("warning: {name} was final and approved; this change makes its documents "
                 "drafts again, and the parties must approve the new content",
                 name=folder.name), err=True)


DB_OPTION = click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
    envvar="AVTALSGEN_DB", help="The accounts database (default: ROOT/.avtalsgen.sqlite3).")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but 127.0.0.1, localhost or ::1 needs "
                   "--shared (logins).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--shared", is_flag=True,
              help="A shared server: users log in (see `avtalsgen users`) and see only "
                   "their municipalities.")
@click.option("--proxy-headers", is_flag=True,
              help="Behind a reverse proxy: trust its X-Forwarded-Proto and X-Forwarded-For "
                   "(from the addresses in --forwarded-allow-ips).")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              envvar="FORWARDED_ALLOW_IPS",
              help="The reverse proxy's addresses, comma-separated (with --proxy-headers).")
@click.option("--allowed-host", "allowed_host", multiple=True, metavar="NAME",
              help="With --shared: a host name the server answers to besides --host, e.g. "
                   "the public name behind a proxy (repeatable). Without it a shared "
                   "server answers any name; the local editor answers only 127.0.0.1, "
                   "localhost, [::1] and --host.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes sharing the port, e.g. one per core for a shared "
                   "server with many editors.")
@click.option("--contact", envvar="AVTALSGEN_CONTACT", default=None, metavar="TEXT",
              help="How users report accessibility problems (who runs the server, an "
                   "e-mail address or phone), shown on the accessibility statement "
                   "/tillganglighet.")
@DB_OPTION
@ROOT_OPTION
def serve(host: str, port: int, shared: bool, proxy_headers: bool, forwarded_allow_ips: str,
          allowed_host: tuple[str, ...], workers: int, contact: str | None, db: Path | None,
          root: Path) -> None:
    """Open the web editor over the municipalities under --root (in Swedish)."""
    from .web.app import allowed_hosts
    from .web.app import serve as run

    if not root.is_dir():
        _fail(FileNotFoundError(f"{root}: no municipalities folder here"))
    if host not in LOCAL_HOSTS and not shared:
        click.echo(f"error: listening on {host} would let anyone who reaches it edit the "
                   "documents; use --shared (with accounts from `avtalsgen users`) or "
                   "--host 127.0.0.1", err=True)
        sys.exit(2)
    if allowed_host and not shared:
        click.echo("error: --allowed-host is for a shared server (--shared)", err=True)
        sys.exit(2)
    # Without --proxy-headers, X-Forwarded-For and -Proto are ignored, from any address.
    options: dict[str, object] = {"proxy_headers": False}
    if proxy_headers:
        options = {"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips}
    accounts = None
    if shared:
        from .accounts import AccountError

        try:
            accounts = _open_accounts(db, root)
        except AccountError as e:
            _fail(e)
        click.echo(f"avtalsgen: shared server, accounts in {accounts.path}", err=True)
    click.echo(f"avtalsgen: http://{host}:{port}/ (Ctrl+C stops)", err=True)
    try:
        run(root, host=host, port=port, accounts=accounts, workers=workers,
            hosts=allowed_hosts(host, shared, allowed_host), contact=contact, **options)
    except OSError as e:  # the port is taken (one process reports it itself)
        _fail(OSError(f"cannot listen on {host}:{port}: {e.strerror}"))


@main.command()
@click.option("--model", type=click.Choice(["municipality", "document", "statistics"]),
              default=None, help="One file kind only; default: all three.")
def schema(model: str | None) -> None:
    """Print the JSON Schema of the config files (for editor autocompletion)."""
    import json

    from .schema import json_schema

    click.echo(json.dumps(json_schema(model), indent=2, ensure_ascii=False))


def _open_accounts(db: Path | None, root: Path) -> Accounts:
    from .accounts import Accounts, default_path

    return Accounts(default_path(root, db))


def _new_password() -> str:
    import os

    # From the environment for scripts and tests; asked twice, unseen, otherwise.
    return os.environ.get("AVTALSGEN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)


@main.group()
def users() -> None:
    """People who log in to the shared server, and their roles per municipality."""


@users.command("add")
@click.argument("name")
@click.option("--email", required=True, help="The user's e-mail address (also a login).")
@DB_OPTION
@ROOT_OPTION
def users_add(name: str, email: str, db: Path | None, root: Path) -> None:
    """Add a user NAME; the password is asked twice (or taken from $AVTALSGEN_PASSWORD)."""
    from .accounts import AccountError

    try:
        with _open_accounts(db, root) as accounts:
            accounts.add_user(name, email, _new_password())
    except AccountError as e:
        _fail(e)
    click.echo(f"added {name}")


@users.command("list")
@DB_OPTION
@ROOT_OPTION
def users_list(db: Path | None, root: Path) -> None:
    """Every user with e-mail and roles per municipality."""
    from .accounts import AccountError
    from .accounts.report import users_table

    try:
        with _open_accounts(db, root) as accounts:
            people = [(u, accounts.roles(u.name)) for u in accounts.users()]
    except AccountError as e:
        _fail(e)
    for line in users_table(people) if people else ["no users yet: `avtalsgen users add`"]:
        click.echo(line)


@users.command("grant")
@click.argument("name")
@click.argument("slug")
@click.argument("role", type=click.Choice(["reader", "editor", "approver"]))
@click.option("--party", type=click.Choice(["kommun", "polis"]), default=None,
              help="Whom an approver approves for (required for approver).")
@DB_OPTION
@ROOT_OPTION
def users_grant(name: str, slug: str, role: str, party: str | None, db: Path | None,
                root: Path) -> None:
    """Give NAME a ROLE in the municipality SLUG (editor and approver include reader)."""
    from .accounts import AccountError, check_municipality

    try:
        check_municipality(root, slug)
        with _open_accounts(db, root) as accounts:
            given = accounts.grant(name, slug, role, party)
    except AccountError as e:
        _fail(e)
    click.echo(f"{name} is now {given} in {slug}")


@users.command("revoke")
@click.argument("name")
@click.argument("slug")
@click.argument("role", type=click.Choice(["reader", "editor", "approver"]), required=False)
@DB_OPTION
@ROOT_OPTION
def users_revoke(name: str, slug: str, role: str | None, db: Path | None, root: Path) -> None:
    """Take ROLE in SLUG from NAME (every role there when ROLE is left out)."""
    from .accounts import AccountError

    try:
        with _open_accounts(db, root) as accounts:
            taken = accounts.revoke(name, slug, role)
    except AccountError as e:
        _fail(e)
    click.echo(f"{name} is no longer {', '.join(map(str, taken))} in {slug}")


@users.command("remove")
@click.argument("name")
@DB_OPTION
@ROOT_OPTION
def users_remove(name: str, db: Path | None, root: Path) -> None:
    """Remove NAME with their roles and sessions (the audit trail keeps the name)."""
    from .accounts import AccountError

    try:
        with _open_accounts(db, root) as accounts:
            accounts.remove_user(name)
    except AccountError as e:
        _fail(e)
    click.echo(f"removed {name}")


@users.command("password")
@click.argument("name")
@DB_OPTION
@ROOT_OPTION
def users_password(name: str, db: Path | None, root: Path) -> None:
    """Set a new password for NAME; ends their sessions and lifts a lockout."""
    from .accounts import AccountError

    try:
        with _open_accounts(db, root) as accounts:
            if accounts.user(name) is None:  # before asking for a password in vain
                raise AccountError(f"no user {name!r}")
            accounts.set_password(name, _new_password())
    except AccountError as e:
        _fail(e)
    click.echo(f"changed the password of {name}")


@main.command()
@click.argument("slug")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="How many events, newest first.")
@DB_OPTION
@ROOT_OPTION
def audit(slug: str, limit: int, db: Path | None, root: Path) -> None:
    """The audit trail of municipality SLUG: logins aside, who did what and when."""
    from .accounts import AccountError, check_slug
    from .accounts.report import audit_table

    try:
        with _open_accounts(db, root) as accounts:
            events = accounts.audit_log(check_slug(slug), limit)
    except AccountError as e:
        _fail(e)
    for line in audit_table(events) if events else [f"no events for {slug}"]:
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
