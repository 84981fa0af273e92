"""What a document says about its parties, period, signing and validity, and the
guesses that name and type it. Whatever it does not say gets a placeholder (allowed
in a draft) and a note."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from typing import Any

from ..messages import Msg
from .word_signatures import _MONTHS, PLACE_DATE

_KOMMUN = re.compile(r"\b((?:[A-ZÅÄÖ][\wåäöéü-]+ )?[A-ZÅÄÖ][\wåäöéü-]+) kommuns?\b")
_STAD = re.compile(r"\b([A-ZÅÄÖ][\wåäöéü-]+) stads?\b")  # "Göteborgs stad", "Malmö stad"
_REGION = re.compile(r"\bRegion ([A-ZÅÄÖ][\wåäöéü-]+)\b")  # "Region Gotland"
_POLIS = re.compile(r"\b(?:[Ll]okalpolisområde(?:t)?|LPO) ((?:[A-ZÅÄÖ][\wåäöéü]+)(?:(?:-| "
                    r"och |/)[A-ZÅÄÖ][\wåäöéü]+)*)")
_MONTH = (r"(?:\d{1,2}\s+(?:januari|februari|mars|april|maj|juni|juli|augusti|september|"
          r"oktober|november|december)\s+)?")
# "2020–2023", "2018/2019", "1 januari 2024 – 31 december 2025", "2024 till 2027"
_PERIOD = re.compile(r"\b" + _MONTH + r"((?:19|20)\d\d)\s*(?:[–—/-]|till)\s*" + _MONTH +
                     r"((?:19|20)\d\d)\b")
_ONE_YEAR = re.compile(r"\b(?:verksamhetsåret|året|år|budgetåret|kalenderåret)\s+"
                       r"((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_VALIDITY = re.compile(r"gäller (?:från )?(\d{4}-\d\d-\d\d)\s*(?:–|-|—|till)\s*(\d{4}-\d\d-\d\d)")
PLACEHOLDER_NAME = "Förnamn Efternamn"
_DRAFT = re.compile(r"UTKAST version (\S+?)(?:, (\d{4}-\d\d-\d\d))?$")
NOT_NAMES = {"Varje", "Denna", "Vår", "Er", "Hela", "Samma", "Annan", "Med", "Och", "I", "En",
             "Den", "Det", "Från", "För", "Till", "Av", "Om", "Båda"}
# Words that start a sentence about a city, not its name ("Trygg stad").
NOT_CITIES = {"Trygg", "Tryggare", "Säker", "Säkrare", "Levande", "Hållbar", "Ny", "Hela",
              "Vår", "Min", "Inre", "Gamla", "Egen"}
TYPES = [
    (re.compile(r"samverkans(överenskommelse|avtal)|överenskommelse|avtal", re.I), "agreement"),
    (re.compile(r"verksamhetsplan|handlingsplan|åtgärdsplan", re.I), "action_plan"),
    (re.compile(r"lägesbild|underlag", re.I), "situation_report"),
    (re.compile(r"medborgarlöfte", re.I), "citizen_promises"),
    (re.compile(r"bilag", re.I), "appendices"),
]


def guess_type(title: str) -> str:
    """The document type its title suggests (the first kind named wins)."""
    found = [(m.start(), kind) for pattern, kind in TYPES if (m := pattern.search(title))]
    if not found:
        return "agreement"
    # "Samverkansöverenskommelse" in a plan's subtitle must not beat "Verksamhetsplan".
    return min(found)[1]


def slug(text: str, limit: int = 40, default: str = "dokument") -> str:
    """a-z, digits, - and _: 'Samverkansöverenskommelse 2020–2023' -> 'samverkansoverenskommelse-
    2020-2023'."""
    text = text.lower().translate(str.maketrans("åäöæø", "aaoao"))
    text = re.sub(r"[\W_]+", "-", text)  # before accents go: "2024–2027" keeps its dash
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(text) > limit:  # cut between words
        text = text[:limit + 1].rsplit("-", 1)[0] if "-" in text[:limit + 1] else text[:limit]
    return text.strip("-_") or default


def kommun(texts: list[str], given: str | None) -> tuple[dict[str, Any], bool]:
    """The municipality as a party, and whether the document named it."""
    if given:
        name = given.strip()
        full = name if name.lower().endswith("kommun") else f"{name} kommun"
        return _party(full, full[: -len(" kommun")].strip() or full), True
    counts: Counter[str] = Counter()
    for position, text in enumerate(texts):
        for match in _STAD.finditer(text):  # a city: its own name ("Göteborgs stad")
            if match.group(1) not in NOT_NAMES | NOT_CITIES:
                counts[f"@{match.group(1)}"] += 6 if position < 3 else 1
        for match in _KOMMUN.finditer(text):
            words = match.group(1).split()
            for n in (1, 2):
                if len(words) >= n and words[-n] not in NOT_NAMES:
                    # The title block says it best.
                    counts[" ".join(words[-n:])] += 6 if position < 3 else 1
    cities = {k: n for k, n in counts.items() if k.startswith("@")}
    if cities and max(cities.values()) >= max((n for k, n in counts.items()
                                               if not k.startswith("@")), default=0):
        city = max(cities, key=lambda k: cities[k])[1:]
        return _party(f"{city} stad", _base_name(city)), True
    counts = Counter({k: n for k, n in counts.items() if not k.startswith("@")})
    if not counts:
        regions = Counter(m.group(1) for text in texts for m in _REGION.finditer(text))
        if regions:  # Gotland's municipality is a region
            region = regions.most_common(1)[0][0]
            return _party(f"Region {region}", region), True
        return _party("TODO kommun", "TODO"), False
    one = max((k for k in counts if " " not in k), key=lambda k: counts[k], default=None)
    two = max((k for k in counts if " " in k), key=lambda k: counts[k], default=None)
    chosen = two if two and one and two.endswith(one) and counts[two] * 2 >= counts[one] and \
        two.split()[0] not in NOT_NAMES else (one or two)
    assert chosen is not None
    return _party(f"{chosen} kommun", chosen), True


def _base_name(genitive: str) -> str:
    """'Göteborgs' -> 'Göteborg'; 'Borås', 'Västerås' stay (the s is the name's)."""
    if genitive.endswith("s") and len(genitive) > 3 and genitive[-2] not in "aeiouyåäö":
        return genitive[:-1]
    return genitive


def polis(texts: list[str]) -> tuple[dict[str, Any], bool]:
    counts: Counter[str] = Counter()
    for text in texts:
        for match in _POLIS.finditer(text):
            counts[match.group(1)] += 1
    if counts:
        name = counts.most_common(1)[0][0]
        return _party(f"Lokalpolisområde {name}", name), True
    if any(re.search(r"\bpolis", t, re.IGNORECASE) for t in texts):
        return _party("Polisen", "Polisen"), True
    return _party("Polisen", "Polisen"), False


def _party(name: str, short: str) -> dict[str, Any]:
    return {"name": name, "short_name": short}


def parties_from_cover(lines: list[str]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A cover's two party lines (kommun first), as avtalsgen prints them."""
    if len(lines) != 2:
        return None
    k, p = lines
    k_short = re.sub(r"\s+kommun$", "", k).strip() or k
    p_short = re.sub(r"^[Ll]okalpolisområde\s+", "", p).strip() or p
    return _party(k, k_short), _party(p, p_short)


def period(front_period: tuple[int, int] | None, texts: list[str]) -> tuple[dict[str, int], bool]:
    if front_period:
        return {"start": front_period[0], "end": front_period[1]}, True
    for text in texts:
        match = _PERIOD.search(text)
        if match and int(match.group(1)) <= int(match.group(2)):
            return {"start": int(match.group(1)), "end": int(match.group(2))}, True
    for text in texts:
        match = _ONE_YEAR.search(text)
        if match:
            return {"start": int(match.group(1)), "end": int(match.group(1))}, True
    for text in texts[:2]:
        match = _YEAR.search(text)
        if match:
            return {"start": int(match.group(1)), "end": int(match.group(1))}, True
    year = dt.date.today().year
    return {"start": year, "end": year + 3}, False


def validity(texts: list[str]) -> dict[str, dt.date] | None:
    for text in texts:
        match = _VALIDITY.search(text)
        if match:
            try:
                start, end = (dt.date.fromisoformat(g) for g in match.groups())
            except ValueError:
                continue
            if start <= end:
                return {"start": start, "end": end}
    return None


def header(lines: list[str], notes: list[Msg] | None = None
           ) -> tuple[list[str] | None, tuple[str, dt.date | None] | None]:
    """(the two party names of the page header, the draft mark's version and date);
    other header lines are listed in notes."""
    names = None
    draft = None
    for line in lines:
        mark = _DRAFT.search(line.strip())
        if mark:
            day = None
            if mark.group(2):
                try:
                    day = dt.date.fromisoformat(mark.group(2))
                except ValueError:
                    day = None
            draft = (mark.group(1), day)
        elif "\t" in line and names is None and _party_names(line):
            parts = [p.strip() for p in re.split(r"\t+", line)]
            names = [parts[0], parts[-1]]
        elif notes is not None and line.strip():
            notes.append(Msg("the page header {line!r} is not the parties' names: not "
                             "imported (the template prints its own page header)",
                             line=line.strip()))
    return names, draft


def _party_names(line: str) -> bool:
    """A header line that names the two parties: the municipality left, the police
    right ("LULEÅ KOMMUN<tab>Polisen")."""
    parts = [p.strip() for p in re.split(r"\t+", line) if p.strip()]
    return len(parts) >= 2 and bool(re.search(r"kommun|stad\b|region", parts[0], re.I)) and \
        bool(re.search(r"polis|\bLPO\b", parts[-1], re.I))


def footer(lines: list[str], notes: list[Msg]) -> None:
    """Page footers are the template's; what a document's footer said is listed."""
    for line in lines:
        if line.strip() and not re.fullmatch(r"[\s\d/–-]*|(?i:sida)[\s\d/av]*", line):
            notes.append(Msg("the page footer {line!r} is not imported (the template "
                             "prints its own page footer)", line=line.strip()))


def place_date(text: str, notes: list[Msg]) -> dict[str, Any]:
    """A signing line ("Luleå 2020-09-01", "Strängnäs kommun 20 december 2019") as
    signing fields; what cannot be read stays as written (place_text)."""
    match = PLACE_DATE.match(text.strip())
    if not match:
        notes.append(Msg("the place and date of signing {text!r} could not be read: kept "
                         "as written (signing.place_text)", text=text))
        return {"place_text": text.strip()}
    place, when = match.group("place").strip(" ,"), match.group("date")
    if re.fullmatch(r"\d{4}-\d\d-\d\d", when):
        try:
            return {"place": place, "date": dt.date.fromisoformat(when)}
        except ValueError:
            return {"place_text": text.strip()}
    if re.fullmatch(r"\d{4}", when):
        notes.append(Msg("the signing line {text!r} gives only the year: the date is set "
                         "to 1 January (year_only: true prints only the year)", text=text))
        return {"place": place, "date": dt.date(int(when), 1, 1), "year_only": True}
    day, month, year = when.split()
    return {"place": place, "date": dt.date(int(year), _MONTHS.index(month) + 1, int(day))}


def signing(data: dict[str, Any], notes: list[Msg]) -> dict[str, Any]:
    """The place, date, title position and signatories of a signature block read by
    word_signatures; what could not be read is a placeholder with a note."""
    signing: dict[str, Any] = {}
    if data["place_date"]:
        signing.update(place_date(data["place_date"], notes))
    if data["title_first"]:
        signing["title_position"] = "above"
    people = []
    for person in data["people"]:
        name = person["name"] or PLACEHOLDER_NAME
        title = person["title"] or "TODO"
        if not person["name"] or not person["title"]:
            notes.append(Msg("a signatory's name was not found: {name!r} / {title!r} are "
                             "placeholders", name=name, title=title) if not person["name"]
                         else Msg("a signatory's title was not found: {name!r} / "
                                  "{title!r} are placeholders", name=name, title=title))
        entry: dict[str, Any] = {"name": name, "title": title,
                                 "party": "polis" if _is_police(title) else "kommun"}
        if person["place_date"]:
            own = place_date(person["place_date"], notes)
            entry["place"] = own.get("place") or own.get("place_text")
            if own.get("date"):
                entry["date"] = own["date"]
        people.append(entry)
    signing["signatories"] = people
    return signing


# A police title: "polis…", or a police area's abbreviation (LPO lokalpolisområde, PO
# polisområde, IPO as Skellefteå's source writes it).
_POLICE_TITLE = re.compile(r"polis|\b(?:LPO|IPO|PO)\b", re.IGNORECASE)


def _is_police(title: str) -> bool:
    return bool(_POLICE_TITLE.search(title))
