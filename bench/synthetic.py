"""Municipalities for the batch benchmark that differ as real ones do.

Each is made from one of the seed municipalities or the `init` example, then changed
with a seeded random generator: its own name (in every text, not only the header),
its police area, signatories and period; about a third of its paragraphs rewritten
(sentences reordered, a sentence of its own added, words swapped); sections
dropped or repeated at every level; statistics scaled per row, with rows dropped or added. Every
municipality therefore has its own texts, figures and number of sections and table
rows, and every document part its own bytes: no cache can serve one municipality's
document from another's, as it could when the set was copies with new names.

`make_copies` makes the old kind of set, for the separate "copies" line only.
"""

from __future__ import annotations

import copy
import random
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

SOURCES = {"lulea": "Luleå", "skelleftea": "Skellefteå", "strangnas": "Strängnäs",
           "exempelby": "Exempelby"}
_PREFIXES = ["Norr", "Söder", "Väster", "Öster", "Björk", "Sjö", "Ek", "Lind", "Berg", "Ås",
             "Mark", "Stor", "Lill", "Hag", "Ljus", "Alm", "Gran", "Tall", "Myr", "Strand"]
_SUFFIXES = ["by", "å", "köping", "sund", "vik", "torp", "dal", "holm", "stad", "fors",
             "berga", "näs", "mo", "ryd", "hamn", "lunda"]
_FIRST = ["Anna", "Erik", "Maria", "Johan", "Sara", "Karl", "Lena", "Per", "Eva", "Ali",
          "Fatima", "Oskar", "Ingrid", "Mikael", "Amina", "Nils"]
_LAST = ["Andersson", "Berg", "Nyström", "Lindqvist", "Hassan", "Holm", "Sandberg", "Ek",
         "Öberg", "Karlsson", "Nilsson", "Åberg", "Lund", "Jovanović"]
_SENTENCES = [
    "Arbetet följs upp vid styrgruppens möten två gånger per år.",
    "Särskilt fokus läggs på barn och unga i {name}s ytterområden.",
    "Medborgardialoger genomförs i samtliga kommundelar under perioden.",
    "Lägesbilden uppdateras när ny statistik från Brå och polisen finns.",
    "Insatserna samordnas med civilsamhället och det lokala näringslivet.",
    "Kommunen och polisen redovisar resultatet för kommunstyrelsen årligen.",
    "Trygghetsvandringar genomförs i {name} centrum varje höst.",
    "Samverkan ska bygga på en gemensam problembild och tydliga åtaganden.",
]
_SWAPS = [("arbete", "uppdrag"), ("trygghet", "säkerhet"), ("samverkan", "samarbete"),
          ("brott", "lagöverträdelser"), ("insatser", "åtgärder"), ("mål", "målsättningar")]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])")


def _names(n: int, rng: random.Random) -> list[str]:
    pairs = [p + s for p in _PREFIXES for s in _SUFFIXES]
    rng.shuffle(pairs)
    return [pairs[i % len(pairs)] + ("" if i < len(pairs) else f" {i // len(pairs) + 1}")
            for i in range(n)]


def _paragraph(text: str, name: str, rng: random.Random) -> str:
    """A paragraph as another municipality would write it."""
    sentences = _SENTENCE_END.split(text.strip())
    if len(sentences) > 2 and rng.random() < 0.5:
        middle = sentences[1:-1]
        rng.shuffle(middle)
        sentences = [sentences[0], *middle, sentences[-1]]
    if rng.random() < 0.6:
        sentences.insert(rng.randrange(len(sentences) + 1),
                         rng.choice(_SENTENCES).format(name=name))
    out = " ".join(sentences)
    for old, new in rng.sample(_SWAPS, 2):
        out = out.replace(f" {old} ", f" {new} ", 1)
    return out


def _rewrite(node: Any, name: str, rng: random.Random, key: str = "") -> Any:
    """Paragraphs (the strings of a `content` list, and long texts) rewritten in part."""
    if isinstance(node, dict):
        return {k: _rewrite(v, name, rng, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(v, name, rng, key) for v in node]
    if isinstance(node, str) and (key == "content" or len(node) > 120) and \
            len(node) > 60 and "{" not in node and rng.random() < 0.35:
        return _paragraph(node, name, rng)
    return node


def _sections(node: Any, rng: random.Random, depth: int = 0) -> None:
    """At every level of sections, sometimes drop one or repeat one (never the first:
    it often opens the document), as municipalities add and leave out parts."""
    sections = node.get("sections") if isinstance(node, dict) else None
    if not isinstance(sections, list):
        return
    for section in sections:
        _sections(section, rng, depth + 1)
    plain = [i for i, s in enumerate(sections[1:], 1) if isinstance(s, dict)
             and "id" not in s]
    if len(sections) < 3 or not plain:
        return
    roll = rng.random()
    i = rng.choice(plain)
    if roll < 0.3:
        del sections[i]
    elif roll < 0.6:
        again = copy.deepcopy(sections[i])
        again["heading"] = f"{again.get('heading', 'Avsnitt')} – fördjupning"
        sections.insert(i + 1, again)


def _table(table: dict[str, Any], rng: random.Random) -> None:
    """Figures scaled per row; a row dropped or a row added (a copy, relabelled)."""
    rows = table.get("rows")
    if not isinstance(rows, list) or not rows or table.get("from"):
        return

    def scaled(row: list[Any]) -> list[Any]:
        factor = rng.uniform(0.6, 1.4)
        return [row[0]] + [round(v * factor) if isinstance(v, int) and not isinstance(v, bool)
                           else round(v * factor, 1) if isinstance(v, float) else v
                           for v in row[1:]]

    rows[:] = [scaled(r) if isinstance(r, list) else r for r in rows]
    roll = rng.random()
    if roll < 0.3 and len(rows) > 2:
        del rows[rng.randrange(1, len(rows))]
    elif roll < 0.6 and isinstance(rows[-1], list) and isinstance(rows[-1][0], str):
        extra = scaled(list(rows[-1]))
        extra[0] = f"{extra[0]} (övrigt)"
        rows.append(extra)
    if isinstance(table.get("total"), dict):
        table["total"].pop("values", None)


def _municipality(muni: dict[str, Any], name: str, rng: random.Random) -> None:
    muni["kommun"]["name"] = f"{name} kommun"
    muni["kommun"]["short_name"] = name
    if "demonym" in muni["kommun"]:
        base = name.lower().split()[0]
        muni["kommun"]["demonym"] = {"indefinite": f"{base}bor", "definite": f"{base}borna"}
    muni["polis"]["name"] = f"Lokalpolisområde {name}"
    muni["polis"]["short_name"] = name
    start = rng.randint(2022, 2027)
    muni["period"] = {**muni.get("period", {}), "start": start,
                      "end": start + rng.randint(2, 4)}
    signing = muni.get("signing") or {}
    if "place" in signing:
        signing["place"] = name
    for person in signing.get("signatories") or []:
        person["name"] = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def vary(target: Path, source_name: str, name: str, rng: random.Random) -> None:
    """Make the copied municipality in `target` one of its own, called `name`."""
    for path in sorted(target.glob("*.yaml")):
        text = path.read_text(encoding="utf-8").replace(source_name, name).replace(
            source_name.upper(), name.upper())
        data = yaml.safe_load(text)
        if path.name == "municipality.yaml":
            _municipality(data, name, rng)
        elif path.name == "statistics.yaml":
            for table in (data.get("tables") or {}).values():
                _table(table, rng)
        elif isinstance(data, dict):
            data = _rewrite(data, name, rng)
            _sections(data, rng)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")


def make_distinct(root: Path, sources: list[Path], n: int, seed: int = 2026) -> None:
    """n municipalities, each from sources[i % len] and varied (see the module)."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(_names(n, rng)):
        source = sources[i % len(sources)]
        target = root / f"ort{i:03d}"
        shutil.copytree(source, target)
        vary(target, SOURCES[source.name], name, rng)


def make_copies(root: Path, sources: list[Path], n: int) -> None:
    """n copies of the sources, differing only in their folder names."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        shutil.copytree(sources[i % len(sources)], root / f"ort{i:03d}")
