"""The yearly cycle: `next-year` starts next year's draft in one git commit.

- The year that ends is tagged `<slug>-<year>` on its approved commit (when both parties
  approved it, or it was marked final), so "compare with last year" has a ref.
- Its action plans' measures are kept, as they stood, in a follow-up document
  (`uppfoljning-<year>.yaml`, type follow_up) added to the municipality's documents.
- Each action plan moves on a year (its `year`, the year in its titles); measures that
  were done or cancelled leave it (they are in the follow-up), the others go on with
  their status, their follow-up text cleared for the new year; the plan is no longer
  adopted.
- Every table whose columns are years gets an empty column for the next year.
- municipality.yaml: version 0.1, status draft, no version date; the agreement's period
  moves on when the new year falls after it. Approvals are cleared (an empty record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import approvals, output, store
from . import model as m
from .config import MUNICIPALITY_FILE, STATISTICS_FILE
from .errors import ConfigError, Problem
from .messages import N_, Msg
from .store.git import _commit_paths, _git, _relative, _repo
from .validate import Bundle, document_blocks, load_municipality

FOLLOW_UP_TITLE = "Uppföljning av åtgärdsplanen {year}"
FOLLOW_UP_NAME = "uppfoljning-{year}"
YEAR = re.compile(r"^(19|20|21)\d\d$")


@dataclass
class NextYear:
    """What next_year did."""

    year: int  # the year that ended
    commit: str | None = None
    tag: str | None = None
    follow_up: str = ""  # the follow-up document's name
    carried: int = 0  # measures that go on
    closed: int = 0  # measures done or cancelled, kept in the follow-up
    files: list[Path] = field(default_factory=list)


def plan_year(bundle: Bundle) -> int:
    """The year the action plans are for: their `year`, else the year in a title."""
    for doc in bundle.documents.values():
        if doc.type == "action_plan":
            if doc.year is not None:
                return doc.year
            found = re.search(r"\b(19|20|21)\d\d\b", doc.title)
            if found:
                return int(found.group())
    raise ConfigError([Problem(bundle.folder / MUNICIPALITY_FILE, None, "documents", Msg(N_(
        "no action plan with a year: give the action plan its year before starting the "
        "next one")))])


def next_year(folder: Path, *, author: str = "avtalsgen",
              seen: int | None = None) -> NextYear:
    """Start next year's draft of the municipality in folder (see the module). seen:
    the year the caller was shown (the editor's button), refused once that year has
    been followed up, so a second press never moves the plan on two years."""
    folder = Path(folder)
    bundle = load_municipality(folder)
    year = plan_year(bundle)
    result = NextYear(year, follow_up=FOLLOW_UP_NAME.format(year=year))
    for asked in dict.fromkeys(y for y in (seen, year) if y is not None):
        done = FOLLOW_UP_NAME.format(year=asked)
        if (folder / f"{done}.yaml").exists() or done in bundle.municipality.documents:
            raise ConfigError([Problem(folder / f"{done}.yaml", None, "", Msg(N_(
                "the year {year} has already been followed up; next year has been "
                "started"), year=asked))])
    if seen is not None and seen != year:
        raise ConfigError([Problem(folder / MUNICIPALITY_FILE, None, "documents", Msg(N_(
            "the action plan is now for {year}, not {seen}: look at it again before "
            "starting the next year"), year=year, seen=seen))])
    result.tag = _tag(folder, bundle, year)
    with store.transaction(folder):
        writes: dict[Path, bytes] = {}
        sections = []
        for name, doc in bundle.documents.items():
            if doc.type != "action_plan" or not any(
                    isinstance(b, m.MeasuresBlock) for b, _p in document_blocks(doc)):
                continue
            loaded = store.read(folder / f"{name}.yaml")
            sections.append({"heading": doc.title, "content": [
                {"measures": store.plain(b)} for b in _measure_blocks(loaded.data)]})
            _move_plan(loaded.data, year, result)
            writes[loaded.path] = _text(loaded)
        follow_up = {"type": "follow_up", "title": FOLLOW_UP_TITLE.format(year=year),
                     "year": year, "sections": sections}
        writes[folder / f"{result.follow_up}.yaml"] = store.dump(follow_up).encode("utf-8")
        muni = store.read(folder / MUNICIPALITY_FILE)
        _move_municipality(muni.data, bundle.municipality, year, result.follow_up)
        writes[muni.path] = _text(muni)
        if (folder / STATISTICS_FILE).exists():
            stats = store.read(folder / STATISTICS_FILE)
            _add_year_columns(stats.data, year + 1)
            writes[stats.path] = _text(stats)
        if approvals.read_record(folder)[1]:
            writes[folder / approvals.RECORD] = (approvals.HEAD + "approvals: []\n").encode()
        result.files = sorted(writes)
        result.commit = _write_and_commit(folder, writes, author, Msg(N_(
            "{slug}: next year's draft started ({year}); {year_before} followed up in "
            "{document}"), slug=bundle.slug, year=year + 1, year_before=year,
            document=result.follow_up).render("sv"))
    return result


def _text(loaded: store.Loaded) -> bytes:
    return store.dump(loaded.data, like=loaded.text).encode("utf-8")


def _measure_blocks(data: Any) -> list[Any]:
    """The `measures` mappings of a document's tree, wherever they stand."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("measures"), dict) and "causes" in node["measures"]:
                found.append(node["measures"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def _move_plan(data: Any, year: int, result: NextYear) -> None:
    """The action plan's tree, one year on (mutated in place)."""
    for key in ("title", "subtitle"):
        if isinstance(data.get(key), str):
            data[key] = data[key].replace(str(year), str(year + 1))
    data["year"] = year + 1
    data.pop("adopted", None)
    for measures in _measure_blocks(data):
        if isinstance(measures.get("title"), str):
            measures["title"] = measures["title"].replace(str(year), str(year + 1))
        kept_causes = []
        for cause in measures["causes"]:
            kept = []
            for measure in cause.get("measures") or []:
                if measure.get("progress") in ("done", "cancelled"):
                    result.closed += 1
                    continue
                result.carried += 1
                measure.pop("outcome", None)
                kept.append(measure)
            cause["measures"][:] = kept
            if kept:
                kept_causes.append(cause)
        measures["causes"][:] = kept_causes
    _drop_empty_measures(data)


def _drop_empty_measures(node: Any) -> None:
    """A measure table with nothing left goes (Brå's table needs a row)."""
    if isinstance(node, list):
        node[:] = [x for x in node if not (isinstance(x, dict) and isinstance(
            x.get("measures"), dict) and not x["measures"].get("causes"))]
        for value in node:
            _drop_empty_measures(value)
    elif isinstance(node, dict):
        for value in node.values():
            _drop_empty_measures(value)


def _move_municipality(data: Any, muni: m.Municipality, year: int, follow_up: str) -> None:
    data["version"] = "0.1"
    if "status" in data:
        data["status"] = "draft"
    data.pop("version_date", None)
    data["documents"].append(follow_up)
    period = muni.period
    if year + 1 > period.end:
        length = period.end - period.start + 1
        data["period"]["start"] = period.start + length
        data["period"]["end"] = period.end + length


def _add_year_columns(data: Any, up_to: int) -> None:
    """An empty column for the next year in every table whose columns are years."""
    for table in (data.get("tables") or {}).values():
        columns = table.get("columns")
        if not isinstance(columns, list) or len(columns) < 2 or "from" in table:
            continue
        years = [str(c).strip() for c in columns[1:]]
        if not all(YEAR.match(y) for y in years):
            continue
        following = max(int(y) for y in years) + 1
        if following > up_to:
            continue
        columns.append(str(following))
        for row in table.get("rows") or []:
            row.append(None)
        total = table.get("total")
        if isinstance(total, dict) and isinstance(total.get("values"), list):
            total["values"].append(None)


def _tag(folder: Path, bundle: Bundle, year: int) -> str | None:
    """Tag the year's approved commit `<slug>-<year>`; None when it was never approved
    (or outside git). An existing tag is kept."""
    repo = _repo(folder)
    if repo is None:
        return None
    now = approvals.state(folder, bundle.municipality.status == "final")
    rev = store.last_commit(folder) if now.final else _approved_commit(folder)
    if not rev:
        return None
    name = f"{bundle.slug}-{year}"
    exists = _git(repo[0], "rev-parse", "--verify", "--quiet", f"refs/tags/{name}",
                  check=False).returncode == 0
    if not exists:
        _git(repo[0], "tag", name, rev)
    return name


def _approved_commit(folder: Path) -> str | None:
    """The commit of the latest content both parties approved (approvals since withdrawn
    by a change are kept in the record until it is cleared)."""
    entries, _recorded, _problem = approvals.read_record(folder)
    by_content: dict[str, list[approvals.Approval]] = {}
    for entry in entries:
        by_content.setdefault(entry.content, []).append(entry)
    approved = [group for group in by_content.values()
                if set(approvals.PARTIES) <= {a.party for a in group}
                or any(a.party is None for a in group)]
    if not approved:
        return None
    latest = max((a for group in approved for a in group), key=lambda a: a.time)
    return latest.commit or None


def _write_and_commit(folder: Path, writes: dict[Path, bytes], author: str,
                      message: str) -> str | None:
    """Write every file and commit them as one (the caller holds the transaction); put
    every file back as it was when the commit fails."""
    before = {path: (path.read_bytes() if path.exists() else None) for path in writes}
    try:
        for path, data in writes.items():
            output.write_atomic(path, data)
        repo = _repo(folder)
        if repo is None:
            return None
        rels = [rel for rel in (_relative(repo[0], p) for p in writes) if rel]
        if not _commit_paths(repo[0], rels, author, message, message):
            return None
        return _git(repo[0], "rev-parse", "HEAD").stdout.decode().strip()
    except BaseException:
        for path, old in before.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                output.write_atomic(path, old)
        raise
