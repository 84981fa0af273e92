"""The form of a whole value: objects, dicts, lists and unions, around the controls of
their scalars (`controls`) and the grids of tables (`grid`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import escape

from .controls import TABLE_FIELDS, _attrs, _button, _Controls, _hidden
from .fields import _F, _id, _join, _text
from .grid import _Grids
from .labels import ITEM_LABELS, KEY_LABELS, LONG_ITEMS, _help, _label, _variant_label
from .shapes import MISSING, _detect, _Shape, _table_pair


class _Renderer(_Grids, _Controls):
    """The fields of a whole value, walking its shape from the root."""

    def __init__(self, root: tuple[dict[str, Any], _Shape], problems: Mapping[str, Sequence[str]],
                 prefix: str, exclude: Iterable[str],
                 tables: Mapping[str, str] | None = None) -> None:
        super().__init__(problems, prefix, exclude, tables)
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
            if self.tables is not None and (shape.name, prop) in TABLE_FIELDS:
                f = _F(_join(name, prop), required=prop in shape.required, ctx=prop)
                parts.append(self.table_select(value.get(prop, MISSING), f))
                continue
            label = _label(prop, shape.name, schema, child)
            f = _F(_join(name, prop), label, _help(prop, shape.name, description, label),
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
            # An entry is named by its title where it has one (a table), else its key.
            title = item.get("title") if isinstance(item, dict) else None
            shown = title.strip() if isinstance(title, str) and title.strip() else \
                key.replace("_", " ").replace("-", " ").capitalize()
            parts.append(self._fieldset("entry", _id("g", entry), entry,
                                        escape(f"{singular}: {shown}"), "", inner + remove))
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

