"""Swedish formatting of dates, numbers, percent and genitive (Babel, sv_SE).

These functions are also the Jinja filters available in templates and clauses.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "sv_SE"
NBSP = "\u00a0"
EN_DASH = "\u2013"


def datum(value: dt.date) -> str:
    """Date in running text: '20 december 2019'."""
    return format_date(value, "d MMMM y", locale=LOCALE)


def datum_kort(value: dt.date) -> str:
    """Date in tables or where space is short: '2019-12-20'."""
    return value.isoformat()


def tal(value: int | float, decimals: int | None = None) -> str:
    """Number with grouped thousands and decimal comma: '72 904', '10,6'."""
    if decimals is None:
        return format_decimal(value, locale=LOCALE)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def procent(value: int | float, decimals: int | None = None) -> str:
    """A value already in percent: 21 -> '21 %', 10.6 -> '10,6 %'."""
    return f"{tal(value, decimals)}{NBSP}%"


def genitive(name: str) -> str:
    """Swedish genitive: 'Luleå' -> 'Luleås', 'Strängnäs' -> 'Strängnäs'.

    The -s goes on the last word of a fixed name ('Luleå kommun' -> 'Luleå kommuns');
    names ending in s, x or z take none.
    """
    stripped = name.rstrip()
    if not stripped or stripped[-1].lower() in "sxz":
        return name
    return stripped + "s"


def period(start: int, end: int) -> str:
    """Years with an en dash, not grouped: '2020–2023'."""
    return f"{start}{EN_DASH}{end}" if end != start else str(start)


FILTERS = {
    "datum": datum,
    "datum_kort": datum_kort,
    "tal": tal,
    "procent": procent,
    "genitive": genitive,
}
