"""Every generated document conforms to Office Open XML: no validator errors or warnings,
and document properties written once each, in their own namespace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from conftest import MUNICIPALITIES, REPO
from lxml import etree

from avtalsgen.build import Options, init_municipality, render_many, render_municipality

SEEDS = ["lulea", "skelleftea", "strangnas"]
BASE = REPO / "tests" / "bad_configs" / "base"
CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"
APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
# Property (python-docx name): (element, namespace) in docProps/core.xml.
CORE_ELEMENTS = {"title": ("title", DC), "content_status": ("contentStatus", CP),
                 "version": ("version", CP), "keywords": ("keywords", CP),
                 "language": ("language", DC)}
# What avtalsgen writes in every document, whatever the config (context.properties).
KEYWORDS = "samverkansöverenskommelse; brottsförebyggande; trygghet"
LANGUAGE = "sv-SE"


def openxml_audit() -> str:
    """Path of the validator; on CI its absence is a failure, locally a skip."""
    found = (shutil.which("openxml-audit")
             or shutil.which("openxml-audit", path=str(Path(sys.executable).parent)))
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("openxml-audit is required on CI; install it with "
                    "`pip install openxml-audit`")
    pytest.skip("openxml-audit is not installed (pip install openxml-audit)")
    raise AssertionError  # unreachable


class Generated:
    """A rendered document and the config it came from."""

    def __init__(self, path: Path, folder: Path, final: bool) -> None:
        self.path, self.folder, self.final = path, folder, final

    def __repr__(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    def expected_properties(self) -> dict[str, str]:
        muni = yaml.safe_load((self.folder / "municipality.yaml").read_text(encoding="utf-8"))
        doc = yaml.safe_load((self.folder / f"{self.path.stem}.yaml").read_text(
            encoding="utf-8"))
        final = self.final or muni.get("status") == "final"
        return {"title": doc["title"] if final else f"UTKAST: {doc['title']}",
                "content_status": "Slutlig" if final else "Utkast",
                "version": str(muni.get("version", "0.1")),
                "keywords": KEYWORDS, "language": LANGUAGE}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Generated]:
    """The documents the tests generate: the seeds as configured, the `avtalsgen init`
    example and tests/bad_configs/base."""
    tmp = tmp_path_factory.mktemp("ooxml")
    out = tmp / "out"
    docs: list[Generated] = []
    for outcome in render_many(SEEDS, Options(out_dir=out), root=MUNICIPALITIES):
        assert outcome.error is None, f"{outcome.slug}: {outcome.error}"
        docs += [Generated(p, MUNICIPALITIES / outcome.slug, False) for p in outcome.written]
    example = init_municipality("exempel", tmp / "municipalities", name="Exempelby")
    docs += [Generated(p, example, False)
             for p in render_municipality(example, Options(out_dir=out)).written]
    docs += [Generated(p, BASE, False)
             for p in render_municipality(BASE, Options(out_dir=out)).written]
    assert len(docs) >= 12
    return docs


def _audit(exe: str, path: Path) -> list[dict]:
    # One file a call: with --recursive, openxml-audit 0.8 caches cross-part lookups by
    # id(package), so a later file can be checked against an earlier file's footnotes.
    result = subprocess.run([exe, "-o", "json", "--policy", "strict", "-m", "0", str(path)],
                            capture_output=True, text=True, timeout=120, check=False)
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"{path}: openxml-audit exit {result.returncode}, no JSON report:\n"
                    f"{result.stdout}\n{result.stderr}")
    return reports if isinstance(reports, list) else [reports]


def test_every_document_passes_openxml_audit(generated: list[Generated]) -> None:
    exe = openxml_audit()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        reports = list(pool.map(lambda d: (d, _audit(exe, d.path)), generated))
    failures = []
    for doc, file_reports in reports:
        assert file_reports, f"{doc}: openxml-audit reported nothing"
        for report in file_reports:
            if report["error_count"] or report["warning_count"] or report["errors"]:
                lines = [f"{doc}: {report['error_count']} errors, "
                         f"{report['warning_count']} warnings"]
                lines += [f"  {e['severity']} {e['type']} {e['part_uri']} {e['path']}: "
                          f"{e['description']}" for e in report["errors"]]
                failures.append("\n".join(lines))
    assert not failures, "openxml-audit --policy strict:\n" + "\n".join(failures)


_READ_PROPERTIES = """
import json, sys
from docx import Document
out = {}
for path in sys.argv[1:]:
    p = Document(path).core_properties
    out[path] = {"title": p.title, "content_status": p.content_status,
                 "version": p.version, "keywords": p.keywords, "language": p.language}
print(json.dumps(out))
"""


def test_core_properties_read_back(generated: list[Generated]) -> None:
    # A fresh process: what any other program opening the file would read.
    result = subprocess.run([sys.executable, "-c", _READ_PROPERTIES,
                             *(str(d.path) for d in generated)],
                            capture_output=True, text=True, timeout=120, check=True)
    read = json.loads(result.stdout)
    problems = []
    for doc in generated:
        got, expected = read[str(doc.path)], doc.expected_properties()
        problems += [f"{doc}: {key} is {got[key]!r}, the config says {value!r}"
                     for key, value in expected.items() if got[key] != value]
    assert not problems, "\n".join(problems)


def _part(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def test_core_and_app_xml(generated: list[Generated]) -> None:
    problems = []
    for doc in generated:
        core = _part(doc.path, "docProps/core.xml")
        if core.tag != f"{{{CP}}}coreProperties":
            problems.append(f"{doc}: core.xml root is {core.tag}")
        for key, (local, ns) in CORE_ELEMENTS.items():
            found = [el.tag for el in core if etree.QName(el).localname == local]
            if found != [f"{{{ns}}}{local}"]:
                problems.append(f"{doc}: {key}: expected one {{{ns}}}{local}, found {found}")
        for el in core.iter(f"{{{DC}}}description"):
            if "python-docx" in (el.text or ""):
                problems.append(f"{doc}: dc:description says {el.text!r}")
        app = _part(doc.path, "docProps/app.xml")
        application = app.findtext(f"{{{APP}}}Application") or ""
        if "avtalsgen" not in application:
            problems.append(f"{doc}: app.xml Application is {application!r}")
    assert not problems, "\n".join(problems)
