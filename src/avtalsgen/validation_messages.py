"""Pydantic's validation errors in the user's words: one catalogued message per error
type ("missing", "int_parsing", "literal_error" …), never Pydantic's own English.

A model's validator that raises `messages.MessageError` keeps its own message; one
that raises a plain ValueError is shown with its text (English) as a last resort."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from .fieldlabels import names_at
from .messages import N_, Choices, FieldRef, MessageError, Msg, Quoted

# Error type -> message; every message may use {value} (the input, quoted) and the
# error's context (ge, le, min_length, max_length …).
TYPES: dict[str, str] = {
    "missing": N_("required field is missing"),
    "string_type": N_("must be text (got {value})"),
    "int_type": N_("must be a whole number (got {value})"),
    "int_parsing": N_("must be a whole number (got {value})"),
    "int_from_float": N_("must be a whole number (got {value})"),
    "float_type": N_("must be a number (got {value})"),
    "float_parsing": N_("must be a number (got {value})"),
    "finite_number": N_("must be a finite number (got {value})"),
    "bool_type": N_("must be true or false (got {value})"),
    "bool_parsing": N_("must be true or false (got {value})"),
    "date_type": N_("must be a date such as 2025-01-31 (got {value})"),
    "date_parsing": N_("must be a date such as 2025-01-31 (got {value})"),
    "date_from_datetime_parsing": N_("must be a date such as 2025-01-31 (got {value})"),
    "date_from_datetime_inexact": N_("must be a date without a time (got {value})"),
    "list_type": N_("must be a list (got {value})"),
    "dict_type": N_("must be a mapping of named fields (got {value})"),
    "model_type": N_("must be a mapping of named fields (got {value})"),
    "model_attributes_type": N_("must be a mapping of named fields (got {value})"),
    "string_too_short": N_("must not be empty"),
    "string_too_long": N_("is too long: at most {max_length} characters"),
    "too_short": N_("must have at least {min_length} item(s)"),
    "too_long": N_("can have at most {max_length} item(s)"),
    "greater_than": N_("must be greater than {gt} (got {value})"),
    "greater_than_equal": N_("must be at least {ge} (got {value})"),
    "less_than": N_("must be less than {lt} (got {value})"),
    "less_than_equal": N_("must be at most {le} (got {value})"),
    "string_pattern_mismatch": N_("{value} is not a valid key: use lower-case letters "
                                  "a-z, digits, - and _"),
    "block_kind": N_("a block is text, or a mapping with one of the keys: text, heading, "
                     "bullets, numbered, label, clause, table, chart, image, group, "
                     "signatures, measures, page_break"),
    "from_and_columns": N_("give either from (a spreadsheet) or {typed}, not both"),
    "stacked_not_bar": N_("only a bar chart can be stacked (kind is {kind})"),
    "no_table": N_("no table {name!r} in statistics.yaml"),
}
OTHER = N_("invalid value (got {value}): {detail}")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def message(err: Mapping[str, Any], path: tuple[Any, ...], kind: str,
            field_names: set[str]) -> Msg:
    """The catalogued message of one Pydantic error at path in a file of kind."""
    etype = str(err["type"])
    ctx = dict(err.get("ctx") or {})
    value = Quoted(err.get("input"))
    if etype == "extra_forbidden":
        return unknown_key(path, kind, field_names)
    if etype == "value_error":
        error = ctx.get("error")
        if isinstance(error, MessageError):
            return error.message
        detail = str(err["msg"]).removeprefix("Value error, ")
        return Msg(OTHER, value=value, detail=detail)
    if etype in ("literal_error", "enum"):
        expected = _QUOTED.findall(str(ctx.get("expected", "")))
        return Msg(N_("must be {choices} (got {value})"), choices=Choices(expected),
                   value=value)
    if etype in TYPES:
        params = {k: v for k, v in ctx.items() if isinstance(v, (str, int, float))}
        if etype == "string_pattern_mismatch":
            value = Quoted(err.get("input"))
        return Msg(TYPES[etype], value=value, **params)
    return Msg(OTHER, value=value, detail=str(err["msg"]))


def unknown_key(path: tuple[Any, ...], kind: str, field_names: set[str]) -> Msg:
    """An unknown key, with the field it was probably meant to be."""
    key = path[-1] if path else "?"
    parent = FieldRef(kind, path[:-1])
    here = names_at(kind, path[:-1])  # the fields this place allows, if known
    close = difflib.get_close_matches(str(key), here if here is not None else field_names,
                                      n=1)
    if close:
        return Msg(N_("unknown key {key!r} (did you mean {close!r}?)"), key=str(key),
                   close=close[0], parent=parent,
                   close_label=FieldRef(kind, (*path[:-1], close[0]), leaf=True))
    return Msg(N_("unknown key {key!r}"), key=str(key), parent=parent)


def reason(err: Mapping[str, Any]) -> Msg | str:
    """Why a value was refused, for a sentence that goes on ("…: {reason}"): the
    catalogued message of a model's own check, else Pydantic's words."""
    error = (err.get("ctx") or {}).get("error")
    if isinstance(error, MessageError):
        return error.message
    return str(err["msg"]).removeprefix("Value error, ")
