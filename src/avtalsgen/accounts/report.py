"""Plain-text listings for the command line: aligned columns, '-' for nothing."""

from __future__ import annotations

from collections.abc import Sequence

from .models import Event, Role, User


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines, each column as wide as its widest cell (the last one not padded)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
            for r in rows]


def users_table(people: Sequence[tuple[User, dict[str, list[Role]]]]) -> list[str]:
    """name, e-mail, then roles per municipality: 'lulea: editor, approver (kommun)'."""
    rows = [("NAME", "E-MAIL", "ROLES")]
    for user, roles in people:
        held = "; ".join(f"{slug}: {', '.join(str(r) for r in rs)}"
                         for slug, rs in roles.items())
        rows.append((user.name, user.email, held or "-"))
    return columns(rows)


def audit_table(events: Sequence[Event]) -> list[str]:
    """time (local), user, event, document, version, detail: newest first, as given."""
    rows = [("TIME", "USER", "EVENT", "DOCUMENT", "VERSION", "DETAIL")]
    for e in events:
        rows.append((e.time.astimezone().strftime("%Y-%m-%d %H:%M:%S"), e.name or "-",
                     e.event, e.doc or "-", e.version or "-",
                     " ".join(e.detail.split()) or "-"))
    return columns(rows)
