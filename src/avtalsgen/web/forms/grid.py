"""Grids: a statistics table (its columns and rows) and a list of flat objects (the
measures of Brå's action plan) as spreadsheet-like tables of inputs.

The markup works without script: every input is an ordinary form field, and the row
and column buttons are the form's usual `add:` / `up:` / `down:` / `remove:` actions.
static/grid.js adds what a spreadsheet user expects on top of it (arrow keys and Enter
between cells, pasting a block from Excel, copying a range out, adding a row or a
column without a page load); it reads these attributes:

- `table.grid[data-rows]` the field path of the rows (`P`), `[data-columns]` that of
  the column headings of a statistics table (only there can a paste add columns);
- `td.cell[data-cell]` / `th.cell[data-cell]`: what a cell holds, so a pasted value
  comes out as the form reads it: `label` (a row's label: text, a number-like text
  gets the apostrophe), `header` (a column heading, likewise), `value` (a figure:
  "1 046" loses its spaces), `text` (any text), `choice` (a select);
- `template.grid-row`: one empty row at index `data-index`, cloned for a new row (its
  labels say "{n}" where the row's number goes);
- each row's `P[i].__len__` (a statistics row's width) sits in its actions cell, so a
  cloned row brings its own.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from ... import model as m
from ..formfields import ACTION
from .controls import _attrs, _hidden
from .fields import _F, _id, _join, _text
from .labels import CELL_HINT, ITEM_LABELS, _label
from .shapes import MISSING, _Shape

# In the template row, where grid.js writes the new row's number into its labels.
NUMBER = "{n}"
# Said once under every grid: what the keys and the clipboard do (static/grid.js).
KEYS_HINT = ("Piltangenterna och Enter flyttar mellan cellerna (Alt+Enter ger en ny rad i "
             "en cell). Ett block som kopieras i Excel kan klistras in från en cell.")


class _Grids:
    """The grid methods of the renderer (mixed into `render._Renderer`)."""

    scalar: Any
    _fieldset: Any

    def table_grid(self, owner: _Shape | None, value: dict[str, Any] | None, name: str, *,
                   rows: tuple[_Shape, list[Any], _F] | None = None) -> str:
        """A table of inputs: a statistics table's columns and rows (owner given), or
        any array of arrays of scalars (rows given)."""
        columns: list[Any] | None = None
        if owner is not None:
            value = value or {}
            rows_shape = owner.prop("rows")
            cols_shape = owner.prop("columns")
            rows_v: list[Any] = value["rows"] if isinstance(value.get("rows"), list) else []
            columns = value.get("columns") if isinstance(value.get("columns"), list) else []
            rows_name, cols_name = _join(name, "rows"), _join(name, "columns")
            legend = "Tabellens kolumner och rader"
            help_text = " ".join(x for x in (
                owner.props["columns"].get("description", ""),
                owner.props["rows"].get("description", ""), CELL_HINT, KEYS_HINT) if x)
        else:
            assert rows is not None
            rows_shape, rows_v, f = rows
            cols_shape = None
            rows_name, cols_name = f.name, ""
            legend = f.label
            help_text = " ".join(x for x in (f.help, CELL_HINT, KEYS_HINT) if x)
        assert rows_shape.item is not None and rows_shape.item.item is not None
        cell = rows_shape.item.item
        rows_v = [r if isinstance(r, list) else [] for r in rows_v]
        width = max([len(columns or [])] + [len(r) for r in rows_v] + [0])
        head, names, moves = [], [], []
        for j in range(width):
            if columns is not None and j < len(columns):
                assert cols_shape is not None and cols_shape.item is not None
                cname = f"{cols_name}[{j}]"
                names.append(_text(columns[j]) or f"kolumn {j + 1}")
                control = self.scalar(cols_shape.item, columns[j],
                                      _F(cname, f"Kolumnrubrik {j + 1}", item=True), cell=True)
                head.append(f'<th scope="col" class="cell" data-cell="header">{control}</th>')
                context = f"kolumn {j + 1} ({names[j]})"
                moves.append('<td class="column-actions">'
                             + _icon(f"up:{cname}", "←", f"Flytta {context} åt vänster",
                                     disabled=j == 0)
                             + _icon(f"down:{cname}", "→", f"Flytta {context} åt höger",
                                     disabled=j == len(columns) - 1)
                             + _icon(f"remove:{cname}", "✕", f"Ta bort {context}")
                             + "</td>")
            else:
                names.append(f"kolumn {j + 1}")
                head.append(f'<th scope="col" class="cell">Kolumn {j + 1}</th>')
                moves.append("<td></td>")
        head.append('<th scope="col" class="row-actions">Rad</th>')

        def row_html(i: int, row: list[Any], count: int, n: str) -> str:
            label = _text(row[0]) if row and row[0] not in (None, "") else ""
            cells = []
            for j in range(width):
                if j >= len(row):
                    cells.append('<td class="cell"></td>')
                    continue
                cname = f"{rows_name}[{i}][{j}]"
                if j == 0:
                    text = f"{names[0]}, rad {n}"
                else:
                    text = f"{names[j]}, {label or f'rad {n}'}"
                kind = "label" if j == 0 and owner is not None else "value"
                control = self.scalar(cell, row[j], _F(cname, text, item=True), cell=True)
                cells.append(f'<td class="cell" data-cell="{kind}">{control}</td>')
            context = f"rad {n}" + (f" ({label})" if label else "")
            cells.append(_row_actions(f"{rows_name}[{i}]", context, i, count,
                                      _hidden(f"{rows_name}[{i}].__len__", len(row))))
            return f"<tr>{''.join(cells)}</tr>"

        body = [row_html(i, row, len(rows_v), str(i + 1)) for i, row in enumerate(rows_v)]
        template = _template(row_html(len(rows_v), [None] * width, len(rows_v) + 1, NUMBER),
                             len(rows_v))
        foot = []
        total = _total_preview(owner, value) if owner is not None else None
        if total:
            tds = "".join(f'<td class="cell">{escape(t)}</td>' for t in total[1:])
            foot.append(f'<tr class="computed"><th scope="row" class="cell">'
                        f'{escape(total[0])}</th>{tds}<td class="row-actions">'
                        "(räknas fram)</td></tr>")
        if columns:
            foot.append(f'<tr class="column-moves">{"".join(moves)}'
                        '<td class="row-actions"></td></tr>')
        attrs = _attrs(class_="grid", data_rows=rows_name,
                       data_columns=cols_name if columns is not None else None)
        table = (f"<table{attrs}><caption class=\"visually-hidden\">{escape(legend)}"
                 f"</caption><thead><tr>{''.join(head)}</tr></thead>"
                 f"<tbody>{''.join(body)}</tbody>"
                 + (f"<tfoot>{''.join(foot)}</tfoot>" if foot else "") + "</table>")
        hidden = [_hidden(f"{rows_name}.__len__", len(rows_v))]
        actions = _add(f"add:{rows_name}", "Lägg till rad")
        if columns is not None:
            hidden.insert(0, _hidden(f"{cols_name}.__len__", len(columns)))
            actions += _add(f"add:{cols_name}", "Lägg till kolumn")
        anchors = [rows_name] + ([cols_name] if columns is not None else [])
        return self._fieldset("grid", _id("g", rows_name), anchors, escape(legend), help_text,
                              "".join(hidden) + _box(table + template, actions))

    def object_grid(self, shape: _Shape, items: list[Any], f: _F) -> str:
        """An array of objects whose properties are all scalars, as a table."""
        item = shape.item
        assert item is not None
        singular = ITEM_LABELS.get(f.ctx, "Rad")
        props = list(item.props)
        labels = {p: _label(p, item.name, item.props[p], item.prop(p)) for p in props}
        head = "".join(
            f'<th scope="col" class="cell"{_attrs(data_prop=p)}>{escape(labels[p])}</th>'
            for p in props)

        def row_html(i: int, it: dict[str, Any], count: int, n: str) -> str:
            iname = f"{f.name}[{i}]"
            first = it.get(props[0]) if props else None
            title = first.strip()[:40] if isinstance(first, str) else ""
            row_label = f"{singular.lower()} {n}" + (f" ({title})" if title else "")
            cells = []
            for k, p in enumerate(props):
                text = (f"{singular} {n}" if k == 0 else f"{labels[p]}, {row_label}")
                child = _F(_join(iname, p), text, "", p in item.required,
                           item.props[p].get("default", MISSING), p)
                pshape = item.prop(p)
                kind = "choice" if pshape.enum is not None or pshape.types == {
                    "boolean"} else "text"
                # Text wraps in a textarea that grows with it (grid.css).
                control = self.scalar(pshape, it.get(p, MISSING), child, cell=True,
                                      wrap=kind == "text")
                cells.append(f'<td class="cell" data-cell="{kind}">{control}</td>')
            cells.append(_row_actions(iname, row_label, i, count))
            return f"<tr>{''.join(cells)}</tr>"

        rows = [row_html(i, it if isinstance(it, dict) else {}, len(items), str(i + 1))
                for i, it in enumerate(items)]
        template = _template(row_html(len(items), {}, len(items) + 1, NUMBER), len(items))
        table = (f'<table{_attrs(class_="grid grid-objects", data_rows=f.name)}>'
                 f'<caption class="visually-hidden">{escape(f.label)}</caption>'
                 f'<thead><tr>{head}<th scope="col" class="row-actions">Rad</th></tr></thead>'
                 f"<tbody>{''.join(rows)}</tbody></table>")
        body = (_hidden(f"{f.name}.__len__", len(items))
                + _box(table + template, _add(f"add:{f.name}", f"Lägg till {singular.lower()}")))
        help_text = " ".join(x for x in (f.help, KEYS_HINT) if x)
        return self._fieldset("grid", _id("g", f.name), f.name, escape(f.label), help_text,
                              body)


def _box(table: str, actions: str) -> str:
    """The table in its own scrolling box; the buttons below it, never over a cell."""
    return (f'<div class="grid-box">{table}</div>'
            f'<div class="grid-actions">{actions}</div>')


def _template(row: str, index: int) -> str:
    """An empty row for static/grid.js to clone (inert: never posted)."""
    return f'<template class="grid-row" data-index="{index}"><table><tbody>{row}</tbody>' \
           "</table></template>"


def _add(action: str, text: str) -> str:
    return (f'<button type="submit"{_attrs(name=ACTION, value=action, class_="add")}>'
            f"{escape(text)}</button>")


def _icon(action: str, icon: str, text: str, *, disabled: bool = False) -> str:
    """A small button showing a sign; its name (for screen readers) is the text."""
    return (f'<button type="submit"{_attrs(name=ACTION, value=action, title=text)}'
            f'{" disabled" if disabled else ""}><span aria-hidden="true">{escape(icon)}'
            f'</span><span class="visually-hidden">{escape(text)}</span></button>')


def _row_actions(name: str, context: str, index: int, count: int, hidden: str = "") -> str:
    """The move and remove buttons of one grid row, in the row's last cell."""
    return ('<td class="row-actions">' + hidden
            + _icon(f"up:{name}", "↑", f"Flytta {context} uppåt", disabled=index == 0)
            + _icon(f"down:{name}", "↓", f"Flytta {context} nedåt", disabled=index == count - 1)
            + _icon(f"remove:{name}", "✕", f"Ta bort {context}") + "</td>")


def _total_preview(owner: _Shape | None, value: Any) -> list[str] | None:
    """The total row of a statistics table as it will print, when the table validates."""
    if owner is None or owner.name != "Table" or not isinstance(value, dict) \
            or not value.get("total"):
        return None
    from ...context import table_item

    try:
        table = m.Table.model_validate(value)
        return table_item("", table)["total"]
    except Exception:  # a table that does not validate shows no total
        return None


def table_choices(statistics: Any, documents: list[Any]) -> dict[str, str]:
    """The statistics tables a block can name, id -> what a user knows each by: its
    title, else the caption of a chart or table the documents make from it, else its
    first column headings. Two tables never read the same."""
    tables = statistics.get("tables") if isinstance(statistics, dict) else None
    if not isinstance(tables, dict):
        return {}
    captions: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            table, caption = node.get("table"), node.get("caption")
            if isinstance(table, str) and isinstance(caption, str) and caption.strip():
                captions.setdefault(table, caption.strip())
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(documents)
    out: dict[str, str] = {}
    for key, table in tables.items():
        table = table if isinstance(table, dict) else {}
        title = table.get("title") if isinstance(table.get("title"), str) else None
        shown = (title or "").strip() or captions.get(str(key), "")
        if not shown:
            heads = [_text(c) for c in table.get("columns") or [] if c not in (None, "")]
            shown = ("Tabell med kolumnerna " + ", ".join(heads[:4])
                     + (" …" if len(heads) > 4 else "")) if heads else "Tabell utan rubrik"
        n, unique = 1, shown
        while unique in out.values():
            n += 1
            unique = f"{shown} ({n})"
        out[str(key)] = unique
    return out
