#!/usr/bin/env python3
"""Benchmarks for avtalsgen (not tests: the figures go into docs/benchmarks.md).

    .venv/bin/python bench/run.py                 # all five, prints a Markdown report
    .venv/bin/python bench/run.py document startup
    .venv/bin/python bench/run.py batch --sizes 290 --jobs 2 --repeat 3 --against HEAD
    .venv/bin/python bench/run.py rerun --sizes 290 --jobs 2
    .venv/bin/python bench/run.py pdf

Comparisons are measured in one run, alternating the two sides (A B A B …), and
reported as the median of the per-pair ratios with their spread, so that a busy
machine slows both sides of a pair alike.

1. document: avtalsgen's render of one document against two docxtpl baselines with
   the same template and context: the naive loop (load the template, render, save)
   and the same loop with Jinja compiles cached (`functools.lru_cache` on the
   environment's `from_string`, which docxtpl calls for every part of every render).
2. batch: N distinct synthetic municipalities made from the seed configs and the
   `init` example (all five document types; bench/synthetic.py varies names, texts,
   figures, sections and table rows), rendered with `python -m avtalsgen render --all
   --jobs J` by the working tree and by a git revision (--against; default the newest
   release tag, or HEAD without one: the committed code) exported to a temporary
   folder; wall time, documents per second and peak memory. N plain copies of the
   sources are measured alongside as a separate line, since copies flatter caches.
3. rerun: after one full render, `render --all` again with nothing changed, after
   only touching one municipality's file, and after changing one.
4. startup: `avtalsgen --version` against `python3 -c pass`.
5. pdf: one plain `soffice --convert-to pdf a.docx b.docx …` call against
   avtalsgen's batch conversion (which also updates the table of contents and
   fields) of the same documents; and the kept-running LibreOffice
   (pdf.WarmConverter) per single document after the first.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

REPO = Path(__file__).resolve().parents[1]
SEEDS = ["lulea", "skelleftea", "strangnas"]


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def spread(ratios: list[float]) -> tuple[str, str, str]:
    """Median, interquartile range and min–max of per-pair ratios, formatted."""
    if len(ratios) >= 4:
        q1, _, q3 = statistics.quantiles(ratios, n=4)
    else:
        q1, q3 = min(ratios), max(ratios)
    return (f"{statistics.median(ratios):.2f}×", f"{q1:.2f}–{q3:.2f}",
            f"{min(ratios):.2f}–{max(ratios):.2f}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- 1. one document -------------------------------------------------------------------

def _document_case(slug: str, name: str, rounds: int) -> list[str]:
    """Table rows for one document: avtalsgen against each baseline, A/B pairs."""
    import jinja2
    from docxtpl import DocxTemplate

    from avtalsgen import context as ctx
    from avtalsgen import wordxml
    from avtalsgen.build import load, template_for
    from avtalsgen.formatting import FILTERS
    from avtalsgen.render import _materialise, render_docx

    bundle = load(slug, REPO / "municipalities")
    doc = bundle.documents[name]
    template = template_for(bundle, doc.type)
    props = ctx.properties(bundle.municipality, doc, "x")

    def context() -> dict:
        return ctx.build_context(bundle.municipality, bundle.statistics, bundle.documents,
                                 name)

    # Read once, outside the timings, and given to both sides as build.py gives them.
    muni = bundle.municipality
    logo = (bundle.folder / muni.logo).read_bytes() if muni.logo else None
    pictures = {it["file"]: (bundle.folder / it["file"]).read_bytes()
                for it in context()["body"] if it["kind"] == "picture"}

    def environment() -> jinja2.Environment:
        env = jinja2.Environment(autoescape=True)
        env.filters.update(FILTERS)
        env.filters["footnote_ref"] = wordxml.footnote_ref
        return env

    naive_env = environment()
    cached_env = environment()
    # The strongest simple competitor, in one line: each template part compiled once.
    cached_env.from_string = functools.lru_cache(maxsize=None)(cached_env.from_string)

    def docxtpl_loop(env: jinja2.Environment) -> Callable[[], None]:
        def run() -> None:
            c = context()
            tpl = DocxTemplate(str(template))
            tpl.init_docx()  # what render() does first; the markup needs the styles
            _materialise(c, tpl, logo, pictures)  # the same tables, TOC, numbering
            tpl.render(c, jinja_env=env)
            tpl.save(io.BytesIO())
        return run

    def ours() -> None:
        render_docx(template, context(), props, logo, pictures)

    batch = 10  # renders per timing, so each timing is well above the clock's noise
    rows = []
    for label, baseline in (("naive loop", docxtpl_loop(naive_env)),
                            ("cached compiles", docxtpl_loop(cached_env))):
        baseline(), ours()  # warm imports and both sides' caches
        times_b, times_o, ratios = [], [], []
        for _ in range(rounds):  # A B A B …
            b = timed(lambda: [baseline() for _ in range(batch)]) / batch  # noqa: B023
            o = timed(lambda: [ours() for _ in range(batch)]) / batch
            times_b.append(b)
            times_o.append(o)
            ratios.append(b / o)
        median, iqr, extremes = spread(ratios)
        rows.append(f"| {slug}/{name} | {label} | {ms(statistics.median(times_b))} | "
                    f"{ms(statistics.median(times_o))} | {median} | {iqr} | {extremes} |")
    info = cached_env.from_string.cache_info()  # type: ignore[attr-defined]
    assert info.hits > info.misses, "the cached baseline did not cache"
    return rows


def bench_document(rounds: int) -> list[str]:
    rows = []
    for slug, name in (("lulea", "verksamhetsplan"), ("strangnas", "samverkansoverenskommelse")):
        rows += _document_case(slug, name, rounds)
    return ["### 1. One document: avtalsgen against docxtpl", "",
            f"{rounds} pairs per baseline, each side 10 renders (context built in every "
            "render), baseline and avtalsgen alternating; the speed-up is the median of "
            "the pairs' ratios. \"cached compiles\" is the naive loop with "
            "`env.from_string = functools.lru_cache(maxsize=None)(env.from_string)`.", "",
            "| document | docxtpl baseline | baseline per render | avtalsgen per render "
            "| speed-up (median) | IQR | min–max |",
            "|---|---|---|---|---|---|---|", *rows, ""]


# --- 2. batch ------------------------------------------------------------------------

def _sources(code: Path, into: Path) -> list[Path]:
    """The seeds and the `init` example of `code` (a checkout or an exported revision),
    made with that code's `init`, so that every side of a comparison can read them."""
    subprocess.run([sys.executable, "-m", "avtalsgen", "init", "exempelby", "--root",
                    str(into), "--name", "Exempelby"], check=True, capture_output=True,
                   env=_env(code / "src"))
    return [code / "municipalities" / s for s in SEEDS] + [into / "exempelby"]


def make_synthetic(root: Path, n: int, seed: int = 2026, code: Path = REPO,
                   copies: bool = False) -> None:
    """n distinct municipalities made from the seeds and the init example
    (bench/synthetic.py); with copies, n copies of them differing in folder name only."""
    examples = Path(tempfile.mkdtemp(prefix="example-", dir=root.parent))
    sources = _sources(code, examples)
    if copies:
        synthetic.make_copies(root, sources, n)
    else:
        synthetic.make_distinct(root, sources, n, seed)
    shutil.rmtree(examples)


def _env(src: Path, cache: Path | None = None) -> dict[str, str]:
    """The environment for running the avtalsgen in `src` (its own templates, caches)."""
    env = {k: v for k, v in os.environ.items() if k != "AVTALSGEN_TEMPLATES"}
    env["PYTHONPATH"] = str(src)
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)  # a first run finds no cache from before
    return env


def _check_imports(src: Path) -> None:
    """PYTHONPATH must win over the virtualenv's editable install of the working tree."""
    found = subprocess.run([sys.executable, "-c", "import avtalsgen; print(avtalsgen.__file__)"],
                           check=True, capture_output=True, text=True, env=_env(src)).stdout
    if not Path(found.strip()).resolve().is_relative_to(src.resolve()):
        sys.exit(f"bench: PYTHONPATH={src} imports avtalsgen from {found.strip()}")


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, int, float]:
    """Wall time, peak memory (max RSS of the process and its workers, MB) and CPU time
    (user + system of the process and its workers: what other work on the machine
    changes least)."""
    code = ("import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
            "t = time.perf_counter() - t\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print(t, u.ru_maxrss, u.ru_utime + u.ru_stime)\n")
    out = subprocess.run([sys.executable, "-c", code, *args], check=True,
                         capture_output=True, text=True, env=env).stdout.split()
    return float(out[0]), int(out[1]) // 1024, float(out[2])


def render_all(root: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "avtalsgen", "render", "--all", "-q", "--root", str(root),
            "--out", str(out), "--jobs", str(jobs)]


def default_against() -> str:
    """The newest release tag, or HEAD (the committed code) when there is none."""
    tags = subprocess.run(["git", "tag", "--sort=-creatordate"], cwd=REPO, check=True,
                          capture_output=True, text=True).stdout.split()
    return tags[0] if tags else "HEAD"


def export_revision(rev: str, into: Path) -> str:
    """The tree of `rev` under `into` (git archive: no worktree, nothing to clean up in
    the repository); returns a label with the commit."""
    commit = subprocess.run(["git", "rev-parse", "--verify", "--end-of-options",
                             f"{rev}^{{commit}}"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO,
                             check=True, capture_output=True).stdout
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return f"{rev} ({commit[:7]})"


def bench_batch(sizes: list[int], jobs_list: list[int], repeat: int,
                against: str | None) -> list[str]:
    """Distinct municipalities with the working tree and `against`, and (a separate
    line, never a claim) copies of the sources with the working tree, alternating."""
    rows, comparisons = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tree = REPO / "src"
        sides = [("working tree", tree, "distinct"), ("working tree", tree, "copies")]
        code = REPO
        if against:
            label = export_revision(against, Path(tmp) / "rev")
            code = Path(tmp) / "rev"
            sides.insert(0, (label, code / "src", "distinct"))
        for _, src, _ in sides:
            _check_imports(src)
        for n in sizes:
            roots = {kind: Path(tmp) / f"m{n}-{kind}" for kind in ("distinct", "copies")}
            for kind, root in roots.items():
                make_synthetic(root, n, code=code, copies=kind == "copies")
            for jobs in jobs_list:
                results: dict[int, list[tuple[float, int, int, float]]] = {
                    i: [] for i in range(len(sides))}
                for r in range(repeat):  # A B A B …, each into a fresh output folder
                    for i, (_, src, kind) in enumerate(sides):
                        out = Path(tmp) / f"out-{n}-{jobs}-{r}-{i}"
                        cache = Path(tempfile.mkdtemp(dir=tmp, prefix="cache-"))
                        wall, peak, cpu = run_measured(render_all(roots[kind], out, jobs),
                                                       _env(src, cache))
                        results[i].append((wall, peak, len(list(out.rglob("*.docx"))), cpu))
                        shutil.rmtree(out)
                for i, (side, _, kind) in enumerate(sides):
                    wall = statistics.median(r[0] for r in results[i])
                    cpu = statistics.median(r[3] for r in results[i])
                    peak = max(r[1] for r in results[i])
                    docs = results[i][0][2]
                    what = "distinct" if kind == "distinct" else \
                        f"copies of {len(SEEDS) + 1} (not a claim)"
                    rows.append(f"| {n} {what} | {jobs} | {side} | {docs} | {wall:.1f} s | "
                                f"{docs / wall:.1f} | {cpu:.1f} s | {peak} MB |")
                new, copies = results[len(sides) - 2], results[len(sides) - 1]
                for what, k in (("wall", 0), ("CPU", 3)):
                    median, iqr, extremes = spread([c[k] / d[k] for d, c in
                                                     zip(new, copies, strict=True)])
                    comparisons.append(f"- {n} municipalities, `--jobs {jobs}`: copies take "
                                       f"{median} the {what} time of distinct ones (pairs' "
                                       f"IQR {iqr}, min–max {extremes}).")
                if against:
                    old = results[0]
                    median, iqr, extremes = spread([o[0] / w[0] for o, w in
                                                     zip(old, new, strict=True)])
                    docs_note = "" if old[0][2] == new[0][2] else \
                        f" (**different document counts: {old[0][2]} and {new[0][2]}**)"
                    comparisons.append(f"- {n} distinct municipalities, `--jobs {jobs}`: the "
                                       f"working tree is {median} as fast as {sides[0][0]} "
                                       f"(pairs' IQR {iqr}, min–max {extremes}){docs_note}.")
    return ["### 2. Batch: distinct synthetic municipalities, all document types", "",
            f"Median wall time of {repeat} runs per side (`python -m avtalsgen render --all "
            "-q --jobs J`, each into a fresh output folder and with an empty cache folder); "
            "the sides alternate in each round (" + ", then ".join(
                f"{s} on {k}" for s, _, k in sides) + "); peak memory is the largest "
            "resident set of the command or any of its workers. \"distinct\": each "
            "municipality with its own name, texts, figures, sections and table rows "
            "(bench/synthetic.py); \"copies\": the same sources copied, which parts "
            "cached per content flatter.", "",
            "| municipalities | jobs | code | documents | wall time | documents/s | "
            "CPU time | peak memory |", "|---|---|---|---|---|---|---|---|", *rows, "",
            *comparisons,
            *([""] if comparisons else [])]


# --- 3. re-run -------------------------------------------------------------------------

def bench_rerun(n: int, jobs: int, repeat: int) -> list[str]:
    src = REPO / "src"
    _check_imports(src)
    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "m", Path(tmp) / "out"
        make_synthetic(root, n)
        env = _env(src, Path(tmp) / "cache")
        command = render_all(root, out, jobs)
        first = run_measured(command, env)[0]
        unchanged = [run_measured(command, env)[0] for _ in range(repeat)]
        one = root / "ort001" / "municipality.yaml"
        touched = []
        for _ in range(repeat):
            os.utime(one)  # a newer time, the same bytes
            touched.append(run_measured(command, env)[0])
        changed = []
        for r in range(repeat):
            muni = yaml.safe_load(one.read_text(encoding="utf-8"))
            muni["polis"]["name"] = f"Lokalpolisområde Ort001 {r}"
            one.write_text(yaml.safe_dump(muni, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
            changed.append(run_measured(command, env)[0])
    rows = [("first full run (empty output folder)", [first]),
            ("again, nothing changed", unchanged),
            ("again, one municipality.yaml touched (same bytes)", touched),
            ("again, one municipality.yaml changed", changed)]
    return ["### 3. Re-run: the same output folder again", "",
            f"{n} synthetic municipalities, `python -m avtalsgen render --all -q --jobs "
            f"{jobs}` into one output folder; medians of {repeat} runs (the first run once).",
            "", "| run | wall time (median) | min–max |", "|---|---|---|",
            *[f"| {label} | {statistics.median(t):.2f} s | {min(t):.2f}–{max(t):.2f} s |"
              for label, t in rows], ""]


# --- 4. start-up -------------------------------------------------------------------

def bench_startup(repeat: int) -> list[str]:
    def run(cmd: list[str]) -> float:
        return median_time(lambda: subprocess.run(cmd, check=True, capture_output=True),
                           repeat)

    cli = shutil.which("avtalsgen") or str(Path(sys.executable).with_name("avtalsgen"))
    ours = run([cli, "--version"])
    base = run([sys.executable, "-c", "pass"])
    return ["### 4. Start-up", "", f"Median of {repeat} runs.", "",
            "| command | time |", "|---|---|",
            f"| `python3 -c pass` | {base * 1000:.0f} ms |",
            f"| `avtalsgen --version` | {ours * 1000:.0f} ms |", ""]


# --- 5. PDF ---------------------------------------------------------------------------

def bench_pdf(rounds: int) -> list[str]:
    from avtalsgen import pdf

    binary = pdf.soffice()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        rendered = tmp_path / "docx"
        subprocess.run([sys.executable, "-m", "avtalsgen", "render", *SEEDS, "-q", "--root",
                        str(REPO / "municipalities"), "--out", str(rendered)], check=True,
                       stdout=subprocess.DEVNULL, env=_env(REPO / "src"))
        seeds = sorted(rendered.rglob("*.docx"))
        many = tmp_path / "many"
        many.mkdir()
        for k in range(5):
            for d in seeds:
                shutil.copyfile(d, many / f"{k}-{d.parent.name}-{d.name}")
        sets = [("the 5 seed documents", seeds), ("25 documents (the 5, five times)",
                                                  sorted(many.glob("*.docx")))]
        cached = pdf._cached_profile(binary)
        as_made = tmp_path / "plain-as-made"  # what a first headless start leaves
        prepared = tmp_path / "plain-prepared"  # avtalsgen's prepared profile, plain call
        shutil.copytree(cached, prepared)

        def plain(profile: Path, docs: list[Path]) -> Callable[[], None]:
            def run() -> None:
                subprocess.run([binary, f"-env:UserInstallation={profile.as_uri()}",
                                "--headless", "--convert-to", "pdf", "--outdir",
                                str(tmp_path / "plain-out"), *map(str, docs)],
                               check=True, capture_output=True, env={**os.environ,
                                                                     "HOME": str(tmp)})
            return run

        def ours(docs: list[Path], processes: int | None) -> Callable[[], None]:
            return lambda: pdf.convert([(d, tmp_path / "ours" / f"{i}.pdf")
                                        for i, d in enumerate(docs)], processes=processes)

        rows, notes = [], []
        for title, docs in sets:
            default = pdf.default_processes(len(docs))
            methods = {
                "plain `soffice --convert-to pdf`, profile as LibreOffice makes it":
                    plain(as_made, docs),
                "plain `soffice --convert-to pdf`, avtalsgen's prepared profile":
                    plain(prepared, docs),
                "avtalsgen, 1 process": ours(docs, 1),
                f"avtalsgen, default ({default} processes)": ours(docs, None),
            }
            for fn in methods.values():
                fn()  # profiles made, files cached
            times: dict[str, list[float]] = {label: [] for label in methods}
            labels = list(methods)
            for r in range(rounds):  # every method once per round, the order rotating
                for label in labels[r % len(labels):] + labels[:r % len(labels)]:
                    times[label].append(timed(methods[label]))
            for label in labels:
                t = statistics.median(times[label])
                ratios = []
                for plain_label in labels[:2] if label.startswith("avtalsgen") else []:
                    median, iqr, _ = spread([p / o for p, o in zip(
                        times[plain_label], times[label], strict=True)])
                    ratios.append(f"{median} (IQR {iqr})")
                rows.append(f"| {title} | {label} | {t:.2f} s | {t / len(docs):.2f} s | "
                            f"{' | '.join(ratios or ['', ''])} |")
        notes.append("Speed-ups are medians of the per-round ratios (plain time / "
                     "avtalsgen time), against each plain call.")

        # The kept-running LibreOffice: one document at a time, as the web editor asks.
        warm_rows = []
        with pdf.WarmConverter() as converter:
            if converter.unavailable:
                warm_rows.append(f"| (not measured: {converter.unavailable}) | | | |")
            else:
                first = timed(lambda: converter.convert([(seeds[0], tmp_path / "w.pdf")]))
                pid = converter.pid
                per_doc: dict[str, list[float]] = {d.parent.name + "/" + d.stem: []
                                                   for d in seeds}
                for _ in range(rounds):
                    for d in seeds:
                        per_doc[d.parent.name + "/" + d.stem].append(timed(
                            lambda d=d: converter.convert([(d, tmp_path / "w.pdf")])))
                assert converter.pid == pid, "the warm LibreOffice was restarted"
                warm_rows.append(f"| first document (starts LibreOffice) | {first:.2f} s | | |")
                for name, t in per_doc.items():
                    warm_rows.append(f"| {name} | {statistics.median(t):.2f} s | "
                                     f"{max(t):.2f} s | |")
                every = [x for t in per_doc.values() for x in t]
                warm_rows.append(f"| every document after the first | "
                                 f"{statistics.median(every):.2f} s | {max(every):.2f} s | "
                                 f"{sum(x < 1 for x in every)} of {len(every)} under 1 s |")
    return ["### 5. PDF: avtalsgen against one plain LibreOffice call", "",
            f"Median of {rounds} rounds; in each round every method converts the same "
            "documents once, the order rotating. avtalsgen also updates the table of "
            "contents and the fields of every document; the plain call does not. Plain "
            "calls use a private profile made by an earlier call (\"as LibreOffice makes "
            "it\"), or a copy of the profile avtalsgen prepares.", "",
            "| documents | method | wall time | per document | speed-up against plain, "
            "profile as made | against plain, prepared profile |",
            "|---|---|---|---|---|---|", *rows, "", *notes, "",
            "Kept-running LibreOffice (`pdf.WarmConverter`, the web editor's PDFs): one "
            f"document per call, {rounds} rounds over the 5 seed documents.", "",
            "| document | median | max | |", "|---|---|---|---|", *warm_rows, ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*",
                        default=["document", "batch", "rerun", "startup", "pdf"])
    parser.add_argument("--sizes", default="290", help="municipalities, comma-separated")
    parser.add_argument("--jobs", default="2", help="batch: --jobs values, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=15,
                        help="A/B pairs for document; rounds for pdf (at most 7)")
    parser.add_argument("--against", default=None,
                        help="batch: the git revision to compare with (default: the "
                             "newest release tag, or HEAD); 'none' to skip")
    args = parser.parse_args()
    os.chdir(REPO)
    against = args.against or default_against()
    against = None if against.lower() == "none" else against
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [int(j) for j in args.jobs.split(",")]
    lines = [f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}", ""]
    for which in args.which:
        if which == "document":
            lines += bench_document(args.rounds)
        elif which == "batch":
            lines += bench_batch(sizes, jobs, args.repeat, against)
        elif which == "rerun":
            lines += bench_rerun(sizes[-1], jobs[-1], args.repeat)
        elif which == "startup":
            lines += bench_startup(max(args.repeat, 20))
        elif which == "pdf":
            lines += bench_pdf(min(args.rounds, 7))
        else:
            parser.error(f"unknown benchmark {which!r}")
        print("\n".join(lines), flush=True)
        lines = []
    return 0


if __name__ == "__main__":
    sys.exit(main())
