"""The form of a whole value: objects, dicts, lists, grids and unions, around the
controls of their scalars (`controls`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import escape

from ... import model as m
from .controls import _attrs, _button, _Controls, _hidden
from .fields import _F, _id, _join, _text
from .labels import CELL_HINT, ITEM_LABELS, KEY_LABELS, LONG_ITEMS, _label, _variant_label
from .shapes import MISSING, _detect, _Shape, _table_pair


class _Renderer(_Controls):
    """The fields of a whole value, walking its shape from the root."""

    def __init__(self, root: tuple[dict[str, Any], _Shape], problems: Mapping[str, list[str]],
                 prefix: str, exclude: Iterable[str]) -> None:
        super().__init__(problems, prefix, exclude)
        self.root_schema, self.root = root

    # -- dispatch --------------------------------------------------------------------
    def value(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        if shape.kind == "scalar":
            return self.scalar(shape, value, f, buttons=buttons)
        if shape.kind == "object":
            return self.object(shape, value, f, buttons=buttons)
        if shape.kind == "map":
            return self.map(shape, value, f, buttons=buttons)
        if shape.kind == "array":
            return self.array(shape, value, f, buttons=buttons)
        if shape.kind == "union":
            return self.union(shape, value, f, buttons=buttons)
        return self.json(shape, value, f, buttons=buttons)

    def render(self, value: Any) -> str:
        body = self.fields(self.root, value if isinstance(value, dict) else {}, self.prefix,
                           root=True)
        rest = self._claim([self.prefix], exact=False)
        # Problems of fields the schema does not have (an unknown key) land here too.
        problems, _ids = self._problem_html(self.prefix or "root", rest, self.prefix)
        return f'<div class="form-fields">{problems}{body}</div>'

    # -- objects ---------------------------------------------------------------------
    def fields(self, shape: _Shape, value: dict[str, Any], name: str, *,
               root: bool = False) -> str:
        parts: list[str] = []
        grid = _table_pair(shape)
        for prop, schema in shape.props.items():
            if root and prop in self.exclude:
                continue
            child = shape.prop(prop)
            if grid and prop in ("columns", "rows"):
                if prop == next(p for p in shape.props if p in ("columns", "rows")):
                    parts.append(self.table_grid(shape, value, name))
                continue
            description = schema.get("description") or child.description
            f = _F(_join(name, prop), _label(prop, shape.name, schema, child), description,
                   prop in shape.required, schema.get("default", MISSING), prop,
                   empty_text='""' in description + shape.description)
            parts.append(self.value(child, value.get(prop, MISSING), f))
        unknown = [k for k in value if k not in shape.props
                   and not (root and k in self.exclude)]
        for key in unknown:
            parts.append(f'<p class="problem">Okänd nyckel {escape(repr(key))}: visas inte här '
                         "och försvinner när formuläret sparas.</p>")
        return "".join(parts)

    def object(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        gid = _id("g", f.name)
        optional = shape.nullable and not f.item
        absent = value is MISSING or value is None
        legend = escape(f.label)
        if optional and absent:
            body = _button(f"add:{f.name}", "Lägg till", f.label)
        else:
            value = value if isinstance(value, dict) else {}
            body = self.fields(shape, value, f.name)
            if optional:
                body = (_hidden(f"{f.name}.__present__", "1") + body
                        + _button(f"remove:{f.name}", "Ta bort", f.label))
        return self._fieldset("object", gid, f.name, legend, f.help, body + buttons)

    # -- dicts -----------------------------------------------------------------------
    def map(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        entries = value if isinstance(value, dict) else {}
        assert shape.item is not None
        singular = ITEM_LABELS.get(f.ctx, "Post")
        key_label = KEY_LABELS.get(f.ctx, "Nyckel")
        parts = [_hidden(f"{f.name}.__map__", "1")]
        for key, item in entries.items():
            key = str(key)
            entry = _join(f.name, key)
            kid = _id("f", f"{entry}.__key__")
            key_input = (_hidden(f"{f.name}.__keys__", key)
                         + f'<div class="field field-key"><label for="{escape(kid)}">'
                         f"{escape(key_label)}</label><input"
                         + _attrs(type="text", id=kid, name=f"{f.name}.__key__", value=key)
                         + "></div>")
            remove = _button(f"remove:{entry}", "Ta bort", f"{singular} {key}")
            child = _F(entry, "Värde" if shape.item.kind == "scalar" else f"{singular} {key}",
                       "", True, MISSING, f.ctx, item=True)
            if shape.item.kind == "object":
                inner = key_input + self.fields(shape.item, item if isinstance(item, dict)
                                                else {}, entry)
            else:
                inner = key_input + self.value(shape.item, item, child)
            parts.append(self._fieldset("entry", _id("g", entry), entry,
                                        escape(f"{singular}: {key}"), "", inner + remove))
        parts.append(_button(f"add:{f.name}", "Lägg till", singular.lower()))
        return self._fieldset("map", _id("g", f.name), f.name, escape(f.label), f.help,
                              "".join(parts) + buttons)

    # -- arrays ----------------------------------------------------------------------
    def array(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        items = value if isinstance(value, list) else []
        item = shape.item
        assert item is not None
        if item.kind == "array" and item.item is not None and item.item.kind == "scalar":
            return self.table_grid(None, None, f.name, rows=(shape, items, f)) + buttons
        if item.kind == "object" and item.props and all(
                item.prop(p).kind == "scalar" for p in item.props):
            return self.object_grid(shape, items, f) + buttons
        singular = ITEM_LABELS.get(f.ctx, "Nr")
        lis = []
        for i, it in enumerate(items):
            iname = f"{f.name}[{i}]"
            label = f"{singular} {i + 1}"
            if isinstance(it, dict):
                title = next((it[k] for k in ("heading", "title", "name", "cause")
                              if isinstance(it.get(k), str) and it[k].strip()), None)
                if title:
                    label += f": {title[:60]}"
            move = self._item_buttons(f.name, i, len(items), f"{singular} {i + 1}")
            child = _F(iname, label, "", True, MISSING, f.ctx, item=True)
            lis.append(f'<li class="item">{self.value(item, it, child, buttons=move)}</li>')
        body = _hidden(f"{f.name}.__len__", len(items))
        if lis:
            body += f'<ol class="items">{"".join(lis)}</ol>'
        body += _button(f"add:{f.name}", "Lägg till", singular.lower(), cls="add")
        return self._fieldset("list", _id("g", f.name), f.name, escape(f.label), f.help,
                              body + buttons)

    def _item_buttons(self, array: str, i: int, n: int, context: str) -> str:
        path = f"{array}[{i}]"
        return ('<div class="item-actions">'
                + _button(f"up:{path}", "Upp", context, disabled=i == 0)
                + _button(f"down:{path}", "Ned", context, disabled=i == n - 1)
                + _button(f"remove:{path}", "Ta bort", context)
                + "</div>")

    # -- grids -----------------------------------------------------------------------
    def table_grid(self, owner: _Shape | None, value: dict[str, Any] | None, name: str, *,
                   rows: tuple[_Shape, list[Any], _F] | None = None) -> str:
        """A table of inputs: a statistics table's columns and rows (owner given), or
        any array of arrays of scalars (rows given)."""
        columns: list[Any] | None = None
        if owner is not None:
            value = value or {}
            rows_shape = owner.prop("rows")
            cols_shape = owner.prop("columns")
            rows_v = value.get("rows") if isinstance(value.get("rows"), list) else []
            columns = value.get("columns") if isinstance(value.get("columns"), list) else []
            rows_name, cols_name = _join(name, "rows"), _join(name, "columns")
            legend = "Tabellens kolumner och rader"
            help_text = " ".join(x for x in (
                owner.props["columns"].get("description", ""),
                owner.props["rows"].get("description", ""), CELL_HINT) if x)
        else:
            assert rows is not None
            rows_shape, rows_v, f = rows
            cols_shape = None
            rows_name, cols_name = f.name, ""
            legend, help_text = f.label, " ".join(x for x in (f.help, CELL_HINT) if x)
        assert rows_shape.item is not None and rows_shape.item.item is not None
        cell = rows_shape.item.item
        rows_v = [r if isinstance(r, list) else [] for r in rows_v]
        width = max([len(columns or [])] + [len(r) for r in rows_v] + [0])
        hidden = [_hidden(f"{rows_name}.__len__", len(rows_v))]
        hidden += [_hidden(f"{rows_name}[{i}].__len__", len(r)) for i, r in enumerate(rows_v)]
        head = []
        names = []
        for j in range(width):
            if columns is not None and j < len(columns):
                assert cols_shape is not None and cols_shape.item is not None
                cname = f"{cols_name}[{j}]"
                control = self.scalar(cols_shape.item, columns[j],
                                      _F(cname, f"Kolumnrubrik {j + 1}", item=True), cell=True)
                context = f"kolumn {j + 1}"
                control += ('<div class="column-actions">'
                            + _button(f"up:{cname}", "Vänster", context, disabled=j == 0)
                            + _button(f"down:{cname}", "Höger", context,
                                      disabled=j == len(columns) - 1)
                            + _button(f"remove:{cname}", "Ta bort kolumn", context)
                            + "</div>")
                names.append(_text(columns[j]) or f"kolumn {j + 1}")
            else:
                control = f"Kolumn {j + 1}"
                names.append(f"kolumn {j + 1}")
            head.append(f'<th scope="col">{control}</th>')
        head.append('<th scope="col">Rad</th>')
        body = []
        for i, row in enumerate(rows_v):
            cells = []
            for j in range(width):
                if j >= len(row):
                    cells.append("<td></td>")
                    continue
                cname = f"{rows_name}[{i}][{j}]"
                control = self.scalar(cell, row[j], _F(cname, f"Rad {i + 1}, {names[j]}",
                                                       item=True), cell=True)
                cells.append(f"<td>{control}</td>")
            cells.append(_row_actions(f"{rows_name}[{i}]", f"rad {i + 1}", i, len(rows_v)))
            body.append(f"<tr>{''.join(cells)}</tr>")
        foot = ""
        total = _total_preview(owner, value) if owner is not None else None
        if total:
            tds = "".join(f"<td>{escape(t)}</td>" for t in total[1:])
            foot = (f'<tfoot><tr class="computed"><th scope="row">{escape(total[0])}</th>'
                    f"{tds}<td>(räknas fram)</td></tr></tfoot>")
        table = (f'<table class="grid"><caption class="visually-hidden">{escape(legend)}'
                 f"</caption><thead><tr>{''.join(head)}</tr></thead>"
                 f"<tbody>{''.join(body)}</tbody>{foot}</table>")
        actions = _button(f"add:{rows_name}", "Lägg till rad", cls="add")
        if columns is not None:
            hidden.insert(0, _hidden(f"{cols_name}.__len__", len(columns)))
            actions += _button(f"add:{cols_name}", "Lägg till kolumn", cls="add")
        anchors = [rows_name] + ([cols_name] if columns is not None else [])
        return self._fieldset("grid", _id("g", rows_name), anchors, escape(legend), help_text,
                              "".join(hidden) + table + actions)

    def object_grid(self, shape: _Shape, items: list[Any], f: _F) -> str:
        """An array of objects whose properties are all scalars, as a table."""
        item = shape.item
        assert item is not None
        singular = ITEM_LABELS.get(f.ctx, "Rad")
        props = list(item.props)
        head = "".join(
            f'<th scope="col"{_attrs(title=item.props[p].get("description"))}>'
            f"{escape(_label(p, item.name, item.props[p], item.prop(p)))}</th>" for p in props)
        rows = []
        for i, it in enumerate(items):
            it = it if isinstance(it, dict) else {}
            iname = f"{f.name}[{i}]"
            cells = []
            for p in props:
                label = f"{singular} {i + 1}: {_label(p, item.name, item.props[p])}"
                child = _F(_join(iname, p), label, "", p in item.required,
                           item.props[p].get("default", MISSING), p)
                control = self.scalar(item.prop(p), it.get(p, MISSING), child, cell=True)
                cells.append(f"<td>{control}</td>")
            cells.append(_row_actions(iname, f"{singular.lower()} {i + 1}", i, len(items)))
            rows.append(f"<tr>{''.join(cells)}</tr>")
        table = (f'<table class="grid"><caption class="visually-hidden">{escape(f.label)}'
                 f'</caption><thead><tr>{head}<th scope="col">Rad</th></tr></thead>'
                 f"<tbody>{''.join(rows)}</tbody></table>")
        body = (_hidden(f"{f.name}.__len__", len(items)) + table
                + _button(f"add:{f.name}", "Lägg till", singular.lower(), cls="add"))
        return self._fieldset("grid", _id("g", f.name), f.name, escape(f.label), f.help, body)

    # -- unions ----------------------------------------------------------------------
    def union(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        absent = value is MISSING or value is None
        if absent and shape.nullable and not f.item:
            body = _button(f"add:{f.name}", "Lägg till", f.label)
            return self._fieldset("union", _id("g", f.name), f.name, escape(f.label), f.help,
                                  body + buttons)
        key = _detect(shape, "" if absent else value)
        variant = shape.variant(key)
        assert variant is not None
        kname = f"{f.name}.__kind__"
        kid = _id("f", kname)
        options = "".join(
            f'<option{_attrs(value=k, selected=k == key)}>{escape(_variant_label(shape, k))}'
            "</option>" for k, _ in shape.variants)
        chooser = (f'<div class="field field-kind"><label for="{escape(kid)}">Typ</label>'
                   f'<select{_attrs(id=kid, name=kname)}>{options}</select> '
                   + _button(f"kind:{f.name}", "Byt", f"typ för {f.label}")
                   + _hidden(f"{f.name}.__variant__", key) + "</div>")
        if variant.kind == "object":
            inner = self.fields(variant, value if isinstance(value, dict) else {}, f.name)
        else:
            child = _F(f.name, _variant_label(shape, key), "", True, MISSING,
                       "plain" if f.ctx in LONG_ITEMS else f.ctx, item=True)
            inner = self.value(variant, "" if absent else value, child)
        legend = escape(f"{f.label} – {_variant_label(shape, key)}")
        return self._fieldset("union", _id("g", f.name), f.name, legend, f.help,
                              chooser + inner + buttons)

    # -- anything else ---------------------------------------------------------------
    def json(self, shape: _Shape, value: Any, f: _F, buttons: str = "") -> str:
        text = "" if value is MISSING else json.dumps(value, ensure_ascii=False, indent=1,
                                                       default=_text)
        child = _F(f.name, f"{f.label} (JSON)", f.help, f.required, MISSING, "text", f.item)
        control = self.scalar(_Shape("scalar", {}, types=frozenset({"string"})), text, child)
        return _hidden(f"{f.name}.__json__", "1") + control + buttons


def _total_preview(owner: _Shape, value: Any) -> list[str] | None:
    """The total row of a statistics table as it will print, when the table validates."""
    if owner.name != "Table" or not isinstance(value, dict) or not value.get("total"):
        return None
    from ...context import table_item

    try:
        table = m.Table.model_validate(value)
        return table_item("", table)["total"]
    except Exception:  # a table that does not validate shows no total
        return None


def _row_actions(name: str, context: str, index: int, count: int) -> str:
    """The move and remove buttons of one grid row."""
    return ('<td class="row-actions">'
            + _button(f"up:{name}", "Upp", context, disabled=index == 0)
            + _button(f"down:{name}", "Ned", context, disabled=index == count - 1)
            + _button(f"remove:{name}", "Ta bort", context) + "</td>")
