#!/usr/bin/env python3
"""Benchmarks for avtalsgen (not tests: the figures go into docs/benchmarks.md).

    .venv/bin/python bench/run.py                 # all four, prints a Markdown report
    .venv/bin/python bench/run.py document startup
    .venv/bin/python bench/run.py batch --sizes 10,100,290 --repeat 3
    .venv/bin/python bench/run.py pdf

1. document: avtalsgen's render of one document against plain docxtpl doing the
   naive thing (load the template, render, save) with the same template and
   context, as a ratio measured in one run.
2. batch: N synthetic municipalities made from the seed configs and the `init`
   example (all five document types) with varied names and figures; documents per
   second, wall time and peak memory with --jobs 1 and --jobs 2.
3. startup: `avtalsgen --version` against `python3 -c pass`.
4. pdf: per-document time of one LibreOffice run for a batch against one
   LibreOffice start per document.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
AVTALSGEN = [sys.executable, "-m", "avtalsgen"]
SEEDS = ["lulea", "skelleftea", "strangnas"]


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- 1. one document -------------------------------------------------------------------

def _document_case(slug: str, name: str, repeat: int) -> tuple[float, float]:
    """Median seconds per render: (plain docxtpl, avtalsgen)."""
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

    def context():
        return ctx.build_context(bundle.municipality, bundle.statistics, bundle.documents,
                                 name)

    env = jinja2.Environment(autoescape=True)
    env.filters.update(FILTERS)
    env.filters["footnote_ref"] = wordxml.footnote_ref

    def naive():
        c = context()
        tpl = DocxTemplate(str(template))
        _materialise(c, tpl)
        tpl.render(c, jinja_env=env)
        tpl.save(io.BytesIO())

    def ours():
        render_docx(template, context(), props)

    naive(), ours()  # warm caches and imports for both
    t_naive = median_time(lambda: [naive() for _ in range(10)], repeat) / 10
    t_ours = median_time(lambda: [ours() for _ in range(10)], repeat) / 10
    return t_naive, t_ours


def bench_document(repeat: int) -> list[str]:
    rows = []
    for slug, name in (("lulea", "verksamhetsplan"), ("strangnas", "samverkansoverenskommelse")):
        t_naive, t_ours = _document_case(slug, name, repeat)
        rows.append(f"| {slug}/{name} | {t_naive * 1000:.1f} ms | {t_ours * 1000:.1f} ms | "
                    f"{t_naive / t_ours:.2f}× |")
    return ["### 1. One document: avtalsgen against plain docxtpl", "",
            f"Median of {repeat} runs of 10 renders each (context built in both loops).", "",
            "| document | docxtpl load-render-save | avtalsgen | speed-up |",
            "|---|---|---|---|", *rows, ""]


# --- 2. batch ------------------------------------------------------------------------

def make_synthetic(root: Path, n: int, seed: int = 2026) -> None:
    """n municipalities cycling through the seeds and the init example, varied."""
    from avtalsgen.build import init_municipality

    rng = random.Random(seed)
    sources = [REPO / "municipalities" / s for s in SEEDS]
    example = init_municipality("example", root / "_example", name="Exempelby")
    sources.append(example)
    for i in range(n):
        source = sources[i % len(sources)]
        target = root / f"ort{i:03d}"
        shutil.copytree(source, target)
        muni_path = target / "municipality.yaml"
        muni = yaml.safe_load(muni_path.read_text(encoding="utf-8"))
        name = f"Ort{i:03d}"
        muni["kommun"]["name"] = f"{name} kommun"
        muni["kommun"]["short_name"] = name
        muni["polis"]["name"] = f"Lokalpolisområde {name}"
        muni_path.write_text(yaml.safe_dump(muni, allow_unicode=True, sort_keys=False),
                             encoding="utf-8")
        stats_path = target / "statistics.yaml"
        if stats_path.exists():
            stats = yaml.safe_load(stats_path.read_text(encoding="utf-8"))
            for table in stats["tables"].values():
                factor = rng.uniform(0.7, 1.3)
                table["rows"] = [[row[0]] + [round(v * factor) if isinstance(v, int) else
                                             round(v * factor, 1) if isinstance(v, float)
                                             else v for v in row[1:]] for row in table["rows"]]
                if table.get("total"):
                    table["total"].pop("values", None)
            stats_path.write_text(yaml.safe_dump(stats, allow_unicode=True, sort_keys=False),
                                  encoding="utf-8")
    shutil.rmtree(root / "_example")


def run_measured(args: list[str]) -> tuple[float, int]:
    """Wall time and peak memory (max RSS of the process and its workers, MB)."""
    code = ("import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
            "t = time.perf_counter() - t\n"
            "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", code, *args], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]) // 1024


def bench_batch(sizes: list[int], repeat: int) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            root = Path(tmp) / f"m{n}"
            make_synthetic(root, n)
            for jobs in (1, 2):
                results = []
                for _ in range(repeat):
                    out = Path(tmp) / f"out{n}-{jobs}"
                    shutil.rmtree(out, ignore_errors=True)
                    results.append(run_measured([*AVTALSGEN, "render", "--all", "-q",
                                                 "--root", str(root), "--out", str(out),
                                                 "--jobs", str(jobs)]))
                docs = len(list(out.rglob("*.docx")))
                wall = statistics.median(r[0] for r in results)
                peak = max(r[1] for r in results)
                rows.append(f"| {n} | {jobs} | {docs} | {wall:.1f} s | {docs / wall:.1f} | "
                            f"{peak} MB |")
    return ["### 2. Batch: synthetic municipalities, all document types", "",
            f"Median wall time of {repeat} runs (`avtalsgen render --all -q --jobs J`, from "
            "an empty output folder); peak memory is the largest resident set of the "
            "command or any of its workers.", "",
            "| municipalities | jobs | documents | wall time | documents/s | peak memory |",
            "|---|---|---|---|---|---|", *rows, ""]


# --- 3. start-up -------------------------------------------------------------------

def bench_startup(repeat: int) -> list[str]:
    def run(cmd: list[str]) -> float:
        return median_time(lambda: subprocess.run(cmd, check=True, capture_output=True),
                           repeat)

    cli = shutil.which("avtalsgen") or str(Path(sys.executable).with_name("avtalsgen"))
    ours = run([cli, "--version"])
    base = run([sys.executable, "-c", "pass"])
    return ["### 3. Start-up", "", f"Median of {repeat} runs.", "",
            "| command | time |", "|---|---|",
            f"| `python3 -c pass` | {base * 1000:.0f} ms |",
            f"| `avtalsgen --version` | {ours * 1000:.0f} ms |", ""]


# --- 4. PDF ---------------------------------------------------------------------------

def bench_pdf(repeat: int) -> list[str]:
    from avtalsgen.build import Options, render_many
    from avtalsgen.pdf import convert, soffice

    binary = soffice()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        render_many(SEEDS, Options(out_dir=out), root=REPO / "municipalities")
        docs = sorted(out.rglob("*.docx"))
        convert([(docs[0], Path(tmp) / "warm.pdf")])  # the cached profile, made once

        def batch():
            convert([(d, Path(tmp) / "batch" / f"{i}.pdf") for i, d in enumerate(docs)])

        def one_by_one(fresh: bool):
            for i, d in enumerate(docs):
                profile = Path(tmp) / (f"profile{i}" if fresh else "profile-shared")
                subprocess.run([binary, f"-env:UserInstallation={profile.as_uri()}",
                                "--headless", "--convert-to", "pdf", "--outdir",
                                str(Path(tmp) / "single"), str(d)], check=True,
                               capture_output=True)
                if fresh:
                    shutil.rmtree(profile, ignore_errors=True)

        t_batch = median_time(batch, repeat) / len(docs)
        t_fresh = median_time(lambda: one_by_one(True), repeat) / len(docs)
        one_by_one(False)  # make the shared profile once
        t_shared = median_time(lambda: one_by_one(False), repeat) / len(docs)
    return ["### 4. PDF: one LibreOffice run against one per document", "",
            f"{len(docs)} documents of the seed municipalities; median of {repeat} runs, "
            "per document. One-at-a-time starts `soffice --convert-to pdf` for each "
            "document, with a fresh profile each time (as a clean CI job or a sandboxed "
            "service does) or with one profile reused.", "",
            "| method | per document | avtalsgen's batch is |", "|---|---|---|",
            f"| one start per document, fresh profile | {t_fresh:.2f} s | "
            f"{t_fresh / t_batch:.1f}× faster |",
            f"| one start per document, reused profile | {t_shared:.2f} s | "
            f"{t_shared / t_batch:.1f}× faster |",
            f"| avtalsgen: one run for the batch | {t_batch:.2f} s | 1× |", ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", default=["document", "batch", "startup", "pdf"])
    parser.add_argument("--sizes", default="10,100,290")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.chdir(REPO)
    lines = [f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; {time.strftime('%Y-%m-%d')}", ""]
    for which in args.which:
        if which == "document":
            lines += bench_document(max(args.repeat, 5))
        elif which == "batch":
            lines += bench_batch([int(s) for s in args.sizes.split(",")], args.repeat)
        elif which == "startup":
            lines += bench_startup(max(args.repeat, 20))
        elif which == "pdf":
            lines += bench_pdf(args.repeat)
        print("\n".join(lines), flush=True)
        lines = []
    return 0


if __name__ == "__main__":
    sys.exit(main())
