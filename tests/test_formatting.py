"""Swedish formats: dates, numbers, percent, genitive, periods."""

from __future__ import annotations

import datetime as dt

import pytest

from avtalsgen.formatting import datum, datum_kort, genitive, period, procent, tal

NBSP = "\u00a0"


def test_dates() -> None:
    assert datum(dt.date(2019, 12, 20)) == "20 december 2019"
    assert datum(dt.date(2020, 9, 1)) == "1 september 2020"  # no leading zero
    assert datum_kort(dt.date(2020, 9, 1)) == "2020-09-01"


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (72904, None, f"72{NBSP}904"),
    (1046, None, f"1{NBSP}046"),
    (975, None, "975"),
    (10.6, None, "10,6"),
    (1234567.5, None, f"1{NBSP}234{NBSP}567,5"),
    (21, 1, "21,0"),
    (-3, None, "-3"),
])
def test_numbers(value: float, decimals: int | None, expected: str) -> None:
    assert tal(value, decimals) == expected


def test_percent() -> None:
    assert procent(21) == f"21{NBSP}%"
    assert procent(10.6) == f"10,6{NBSP}%"
    assert procent(97.8, 1) == f"97,8{NBSP}%"


@pytest.mark.parametrize(("name", "expected"), [
    ("Luleå", "Luleås"),
    ("Luleå kommun", "Luleå kommuns"),
    ("Skellefteå", "Skellefteås"),
    ("Strängnäs", "Strängnäs"),
    ("Strängnäs kommun", "Strängnäs kommuns"),
    ("Bollnäs", "Bollnäs"),
    ("Lax", "Lax"),
    ("Lokalpolisområde Luleå-Boden", "Lokalpolisområde Luleå-Bodens"),
])
def test_genitive(name: str, expected: str) -> None:
    assert genitive(name) == expected


def test_period_uses_an_en_dash_and_no_grouping() -> None:
    assert period(2020, 2023) == "2020\u20132023"
    assert period(2025, 2025) == "2025"
