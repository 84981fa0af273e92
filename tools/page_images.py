#!/usr/bin/env python3
"""Regenerate the page images in docs/pages/ that the README shows.

Renders the seed municipalities and the `init` example, and the follow-up document
`avtalsgen next-year` makes from the example (in a temporary git repository), converts
them to PDF with LibreOffice and rasterises chosen pages with pdftoppm (poppler-utils).
Nothing in docs/pages is drawn by hand.

    .venv/bin/python tools/page_images.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "pages"
DPI = 50
NEXT_YEAR = "exempelby-nasta-ar"  # the `init` example after `avtalsgen next-year`
GIT = {"GIT_AUTHOR_NAME": "avtalsgen", "GIT_AUTHOR_EMAIL": "avtalsgen@example.invalid",
       "GIT_COMMITTER_NAME": "avtalsgen", "GIT_COMMITTER_EMAIL": "avtalsgen@example.invalid"}
# (municipality, document, page, what it shows)
PAGES = [
    ("lulea", "verksamhetsplan", 1, "försättssida"),
    ("lulea", "verksamhetsplan", 3, "numrerade avsnitt"),
    ("skelleftea", "underlag", 5, "diagram"),
    ("strangnas", "samverkansoverenskommelse", -1, "handlingsplan i tabell"),
    ("exempelby", "handlingsplan", 2, "handlingsplan"),
    (NEXT_YEAR, "uppfoljning-2025", 2, "uppföljning"),
    (NEXT_YEAR, "uppfoljning-2025", 3, "indikatorer år för år"),
]


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from avtalsgen.build import Options, init_municipality, render_many, start_next_year
    from avtalsgen.pdf import convert

    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        print("needs LibreOffice (soffice) and poppler-utils (pdftoppm)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "municipalities", Path(tmp) / "output"
        shutil.copytree(ROOT / "municipalities", root)
        init_municipality("exempelby", root, "Exempelby")
        init_municipality(NEXT_YEAR, root, "Exempelby")
        os.environ.update(GIT)
        for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "Exempel"]):
            subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
        start_next_year(NEXT_YEAR, root)
        outcomes = render_many(sorted({slug for slug, *_ in PAGES}), Options(out_dir=out),
                               root=root)
        for outcome in outcomes:
            if outcome.error is not None:
                print(f"{outcome.slug}: {outcome.error}", file=sys.stderr)
                return 1
        docs = [out / slug / f"{doc}.docx" for slug, doc, *_ in PAGES]
        convert([(d, d.with_suffix(".pdf")) for d in dict.fromkeys(docs)])
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.png"):
            old.unlink()
        for (slug, doc, page, _what), docx in zip(PAGES, docs, strict=True):
            pdf = docx.with_suffix(".pdf")
            if page < 0:
                info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                      check=True).stdout
                pages = int(next(ln.split()[-1] for ln in info.splitlines()
                                 if ln.startswith("Pages:")))
                page = pages + 1 + page
            target = OUT / f"{slug}-{doc}-{page}"
            subprocess.run([pdftoppm, "-png", "-r", str(DPI), "-f", str(page), "-l", str(page),
                            "-singlefile", str(pdf), str(target)], check=True)
            print(target.with_suffix(".png").relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
