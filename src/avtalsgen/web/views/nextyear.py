"""Påbörja nästa år: the same step as `avtalsgen next-year`, from the municipality's
page (cycle.py): the year followed up in a document of its own, next year's draft
started, last year's approved version tagged, in one commit."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ...build import start_next_year
from ...cycle import FOLLOW_UP_NAME, plan_year
from ...errors import ConfigError
from ...messages import SWEDISH
from ...validate import Bundle
from .common import (
    accounts,
    address,
    author,
    folder_of,
    folder_version,
    posted_form,
    redirect,
    require,
    url,
)


def offer(bundle: Bundle | None) -> dict[str, Any] | None:
    """What the page offers: the year that would be followed up and the tag its
    approved version would get; None without an action plan with a year, or when that
    year has already been followed up."""
    if bundle is None:
        return None
    try:
        year = plan_year(bundle)
    except ConfigError:
        return None
    follow_up = FOLLOW_UP_NAME.format(year=year)
    if follow_up in bundle.documents or (bundle.folder / f"{follow_up}.yaml").exists():
        return None
    return {"year": year, "next": year + 1, "tag": f"{bundle.slug}-{year}"}


def start(request: Request) -> Response:
    """Start next year's draft; refused (409) when the year the page showed was already
    followed up (pressed twice, or by someone else meanwhile), or the municipality has
    no action plan with a year."""
    folder = folder_of(request)
    require(request, folder.name, "edit")
    form = posted_form(request)
    seen = str(form.get("year") or "")
    name = author(request)
    found = accounts(request)
    try:
        with found.transaction() if found else contextlib.nullcontext():
            if found is not None:  # the approvals go with the year that ended
                found.withdraw(folder.name, reason="nästa år påbörjat", name=name,
                               address=address(request))
            done = start_next_year(folder.name, request.app.state.root, author=name,
                                   seen=int(seen) if seen.isdigit() else None)
            if found is not None:
                found.audit("save", name=name, slug=folder.name,
                            version=folder_version(folder),
                            detail=f"nästa år påbörjat; {done.year} uppföljt i "
                                   f"{done.follow_up}", address=address(request))
    except ConfigError as e:
        raise HTTPException(409, " ".join(p.text(SWEDISH) for p in e.problems)) from None
    return redirect(url("k", folder.name) + "?sparat=1")
