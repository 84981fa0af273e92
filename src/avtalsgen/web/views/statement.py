"""The accessibility statement (tillgänglighetsredogörelse), as the law on accessible
digital public services (lag 2018:1937, DOS-lagen) asks of a public-sector web service,
in the order of DIGG's model statement.

Its figures (pages tested, violations, axe-core's version, the date) are not typed:
they come from accessibility.json, which tests/test_accessibility_pages.py writes from
axe-core's results in Chromium (AVTALSGEN_ACCESSIBILITY=write) and otherwise checks
against what it measures, so the statement cannot claim more than the tests found.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .common import page

PATH = "/tillganglighet"  # open without login, linked from every page's footer
RESULTS = Path(__file__).resolve().parents[1] / "accessibility.json"
CONTACT_ENV = "AVTALSGEN_CONTACT"  # how to report problems (also `serve --contact`)
NO_CONTACT = ("Kontaktuppgifter saknas. Den som driver servern anger dem med "
              "avtalsgen serve --contact \"…\" eller miljövariabeln AVTALSGEN_CONTACT.")
DIGG_REPORT = "https://www.digg.se/tdosanmalan"

# What is known not to be fully accessible whatever axe-core finds: each a (what, why)
# pair. With none and no violation measured, the service is "helt förenlig".
KNOWN = [
    ("Tjänsten har inte granskats manuellt eller med skärmläsare.",
     "Automatiska tester hittar bara en del av de brister WCAG beskriver; till exempel om "
     "texter är begripliga och om ordningen är logisk kräver en människas bedömning."),
    ("Sidbilderna visar dokumentets sidor som bilder.",
     "Bilderna har bara sidnumret som textalternativ. Samma innehåll finns som text i "
     "förhandsvisningen som webbsida och i Word-filen."),
]


def results(path: Path = RESULTS) -> dict[str, Any] | None:
    """The recorded axe-core results, or None when there are none (or they are damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pages"), list) else None


def summary(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the statement says of the recorded results: pages, violations (each rule
    that fails on a page counts once), and each rule with the pages it fails on."""
    if data is None:
        return None
    rules: dict[str, dict[str, Any]] = {}
    for tested in data["pages"]:
        for v in tested.get("violations") or []:
            rule = rules.setdefault(v["id"], {"help": v.get("help", v["id"]), "pages": []})
            rule["pages"].append(tested.get("name") or tested.get("path"))
    return {"axe_core": data.get("axe_core", "?"), "browser": data.get("browser", "Chromium"),
            "date": data.get("date", "?"), "pages": data["pages"],
            "violations": sum(len(p.get("violations") or []) for p in data["pages"]),
            "rules": rules}


def contact(request: Request) -> str:
    """How to report problems: `serve --contact`, else the environment variable."""
    return (getattr(request.app.state, "contact", None) or os.environ.get(CONTACT_ENV, "")
            ).strip()


def statement(request: Request) -> Response:
    tested = summary(results())
    full = tested is not None and not tested["violations"] and not KNOWN
    return page(request, "statement.html", tested=tested, known=KNOWN,
                compliance="helt förenlig" if full else "delvis förenlig",
                contact=contact(request) or NO_CONTACT, has_contact=bool(contact(request)),
                digg_report=DIGG_REPORT)
