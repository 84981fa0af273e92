"""What a .docx's styles and list numbering mean for import: the effective bold,
italic and size of a run (direct formatting over character style over paragraph
style over the defaults), and the number Word shows in front of a numbered
paragraph."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALSE = ("0", "false", "off", "none")


def _on(el: etree._Element | None) -> bool | None:
    if el is None:
        return None
    return el.get(f"{W}val") not in _FALSE


def _props(rpr: etree._Element | None) -> dict[str, Any]:
    """The bold, italic and size a w:rPr sets (only those it sets)."""
    if rpr is None:
        return {}
    out: dict[str, Any] = {}
    for key, tag in (("b", "b"), ("i", "i")):
        value = _on(rpr.find(f"{W}{tag}"))
        if value is not None:
            out[key] = value
    sz = rpr.find(f"{W}sz")
    if sz is not None:
        try:
            out["sz"] = int(sz.get(f"{W}val", "")) / 2
        except ValueError:
            pass
    return out


class Styles:
    """Style names and inherited run properties, from word/styles.xml."""

    def __init__(self, root: etree._Element | None) -> None:
        # Runs repeat a few property sets: each is resolved once.
        self._cached = lru_cache(maxsize=4096)(self._resolve)
        self.styles: dict[str, dict[str, Any]] = {}
        self.default_paragraph = "Normal"
        self.defaults: dict[str, Any] = {"b": False, "i": False, "sz": 10.0}
        if root is None:
            self.defaults["sz"] = 11.0
            return
        rpr = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
        self.defaults.update(_props(rpr))
        for style in root.iter(f"{W}style"):
            sid = style.get(f"{W}styleId", "")
            name = style.find(f"{W}name")
            based = style.find(f"{W}basedOn")
            ppr = style.find(f"{W}pPr")
            num = ppr.find(f"{W}numPr") if ppr is not None else None
            outline = ppr.find(f"{W}outlineLvl") if ppr is not None else None
            self.styles[sid] = {
                "type": style.get(f"{W}type"),
                "name": (name.get(f"{W}val") if name is not None else sid) or sid,
                "based": based.get(f"{W}val") if based is not None else None,
                "rpr": _props(style.find(f"{W}rPr")),
                "num": _num(num),
                "outline": outline.get(f"{W}val") if outline is not None else None,
            }
            if style.get(f"{W}type") == "paragraph" and style.get(f"{W}default") in \
                    ("1", "true"):
                self.default_paragraph = sid

    def name(self, style_id: str | None) -> str:
        """The style's name in lower case ("heading 1", "list bullet", "normal")."""
        style = self.styles.get(style_id or "")
        return (style["name"] if style else style_id or "normal").lower()

    def _chain(self, style_id: str | None) -> list[dict[str, Any]]:
        """The style and those it is based on, base first."""
        chain: list[dict[str, Any]] = []
        seen: set[str] = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            chain.append(self.styles[style_id])
            style_id = self.styles[style_id]["based"]
        return chain[::-1]

    def _inherited(self, style_id: str, key: str) -> Any:
        for style in reversed(self._chain(style_id)):
            if style[key] is not None:
                return style[key]
        return None

    def numbering(self, style_id: str) -> tuple[str, int] | None:
        return self._inherited(style_id, "num")

    def outline(self, style_id: str) -> int | None:
        value = self._inherited(style_id, "outline")
        return int(value) if value is not None and str(value).isdigit() else None

    def run(self, para_style: str, rpr: etree._Element | None) -> dict[str, Any]:
        """Bold, italic and size (pt) of a run in a paragraph of para_style."""
        key = etree.tostring(rpr) if rpr is not None else b""
        return self._cached(para_style, key)

    def _resolve(self, para_style: str, rpr_xml: bytes) -> dict[str, Any]:
        props = dict(self.defaults)
        for style in self._chain(para_style):
            props.update(style["rpr"])
        rpr = etree.fromstring(rpr_xml) if rpr_xml else None
        if rpr is not None:
            char = rpr.find(f"{W}rStyle")
            if char is not None:
                for style in self._chain(char.get(f"{W}val")):
                    props.update(style["rpr"])
            props.update(_props(rpr))
        return props


def _num(num: etree._Element | None) -> tuple[str, int] | None:
    if num is None:
        return None
    num_id = num.find(f"{W}numId")
    level = num.find(f"{W}ilvl")
    value = num_id.get(f"{W}val") if num_id is not None else None
    if value in (None, "0"):
        return None
    try:
        return (str(value), int(level.get(f"{W}val", "0")) if level is not None else 0)
    except ValueError:
        return (str(value), 0)


class Numbering:
    """Word's list numbering (numbering.xml): the kind of a list and the numbers it
    shows, counted as Word counts them."""

    def __init__(self, root: etree._Element | None) -> None:
        self.abstract: dict[str, dict[int, dict[str, Any]]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, list[int]] = {}
        if root is None:
            return
        for ab in root.iter(f"{W}abstractNum"):
            self.abstract[ab.get(f"{W}abstractNumId", "")] = {
                int(lvl.get(f"{W}ilvl", "0")): _level(lvl) for lvl in ab.iter(f"{W}lvl")}
        for num in root.iter(f"{W}num"):
            ab_id = num.find(f"{W}abstractNumId")
            starts: dict[int, int] = {}
            for override in num.iter(f"{W}lvlOverride"):
                start = override.find(f"{W}startOverride")
                if start is not None:
                    starts[int(override.get(f"{W}ilvl", "0"))] = int(start.get(f"{W}val",
                                                                              "1"))
            self.nums[num.get(f"{W}numId", "")] = (
                ab_id.get(f"{W}val", "") if ab_id is not None else "", starts)

    def level(self, num_id: str, ilvl: int) -> dict[str, Any]:
        ab_id, _starts = self.nums.get(num_id, ("", {}))
        return self.abstract.get(ab_id, {}).get(ilvl, {"fmt": "decimal", "text": "%1.",
                                                       "start": 1})

    def is_bullet(self, num_id: str, ilvl: int) -> bool:
        return self.level(num_id, ilvl)["fmt"] in ("bullet", "none")

    def format(self, num_id: str, ilvl: int) -> str:
        return str(self.level(num_id, ilvl)["text"])

    def start(self, num_id: str, ilvl: int) -> int:
        _abstract, starts = self.nums.get(num_id, ("", {}))
        return starts.get(ilvl, self.level(num_id, ilvl)["start"])

    def list_id(self, num_id: str) -> str:
        """Which list a paragraph belongs to: list ids of one definition without a start
        of their own continue one list (LibreOffice writes a list broken by other
        paragraphs so), as Word counts them."""
        ab_id, starts = self.nums.get(num_id, ("", {}))
        return num_id if starts or not ab_id else f"abstract:{ab_id}"

    def count(self, num_id: str, ilvl: int) -> tuple[str, list[int]]:
        """Advance the list and return the number Word shows ("6.1") and the counters.
        Instances of one definition without their own start share the count, as in Word."""
        counters = self.counters.setdefault(self.list_id(num_id), [])
        while len(counters) <= ilvl:
            counters.append(self.start(num_id, len(counters)) - 1)
        counters[ilvl] += 1
        del counters[ilvl + 1:]  # a deeper level starts again
        text = self.format(num_id, ilvl)
        for i, value in enumerate(counters):
            shown = _number(value, self.level(num_id, i)["fmt"])
            text = text.replace(f"%{i + 1}", shown)
        return text, list(counters)


def _level(lvl: etree._Element) -> dict[str, Any]:
    fmt = lvl.find(f"{W}numFmt")
    text = lvl.find(f"{W}lvlText")
    start = lvl.find(f"{W}start")
    try:
        first = int(start.get(f"{W}val", "1")) if start is not None else 1
    except ValueError:
        first = 1
    return {"fmt": fmt.get(f"{W}val", "decimal") if fmt is not None else "decimal",
            "text": text.get(f"{W}val", "") if text is not None else "",
            "start": first}


def _number(value: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = ""
        n = value
        while n > 0:
            n, rest = divmod(n - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(value)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):
        while n >= value:
            out += numeral
            n -= value
    return out
