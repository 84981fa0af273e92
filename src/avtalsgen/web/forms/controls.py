"""The HTML controls of single values, and the problems shown next to them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import escape

from ..formfields import ACTION
from .fields import _F, _id, _is_date, _quote_text, _text, _under
from .labels import APOSTROPHE_HINT, CELL_HINT, LONG_ITEMS, LONG_TEXT, _enum_label, _option_value
from .shapes import MISSING, _Shape

TABLE_HINT = "Tabellerna och deras värden redigeras under Statistik."
# Fields that name a statistics table: (model, property).
TABLE_FIELDS = frozenset({("TableBlock", "table"), ("Chart", "table")})


def _attrs(**attrs: Any) -> str:
    out = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        key = key.rstrip("_").replace("_", "-")
        out.append(f" {key}" if value is True else f' {key}="{escape(value)}"')
    return "".join(out)


def _button(action: str, text: str, context: str = "", *, disabled: bool = False,
            cls: str = "") -> str:
    hidden = f'<span class="visually-hidden"> {escape(context)}</span>' if context else ""
    return (f'<button type="submit"{_attrs(name=ACTION, value=action, class_=cls or None)}'
            f'{" disabled" if disabled else ""}>{escape(text)}{hidden}</button>')


def _hidden(name: str, value: Any) -> str:
    return f'<input type="hidden"{_attrs(name=name, value=_text(value))}>'


class _Controls:
    """Controls of scalars, and fieldsets; each problem is shown once, by the first
    control or fieldset that claims its field path."""

    def __init__(self, problems: Mapping[str, Sequence[str]], prefix: str,
                 exclude: Iterable[str], tables: Mapping[str, str] | None = None) -> None:
        self.prefix = prefix
        self.exclude = frozenset(exclude)
        self.tables = tables
        self.unclaimed: dict[str, list[str]] = {}
        for path, messages in (problems or {}).items():
            if not _under(path, prefix):
                continue
            rest = path[len(prefix):].lstrip(".") if prefix else path
            top = re.split(r"[.\[]", rest, maxsplit=1)[0]
            if top in self.exclude:
                continue  # edited elsewhere
            if messages:
                self.unclaimed[path] = [str(x) for x in messages]
        self.count = 0

    # -- problems --------------------------------------------------------------------
    def _claim(self, names: Iterable[str], exact: bool) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for path in list(self.unclaimed):
            for name in names:
                if path == name or (not exact and _under(path, name)):
                    found += [(path, msg) for msg in self.unclaimed.pop(path)]
                    break
        return found

    def _problem_html(self, name: str, found: list[tuple[str, str]],
                      anchor: str) -> tuple[str, list[str]]:
        html, ids = [], []
        for path, message in found:
            self.count += 1
            pid = f"{_id('p', name)}-{self.count}"
            ids.append(pid)
            where = ""
            if path != anchor:
                rel = path[len(anchor):].lstrip(".") if anchor else path
                where = f'<span class="where">{escape(rel)}:</span> '
            html.append(f'<p class="problem" id="{escape(pid)}">{where}{escape(message)}</p>')
        return "".join(html), ids

    # -- scalars ---------------------------------------------------------------------
    def scalar(self, shape: _Shape, value: Any, f: _F, *, cell: bool = False,
               buttons: str = "", wrap: bool = False) -> str:
        name = f.name
        if shape.const is not MISSING:
            return _hidden(name, shape.const)
        cid = _id("f", name)
        problems, pids = self._problem_html(name, self._claim([name], exact=True), name)
        hint = ""
        types = shape.types
        numbers = bool(types & {"integer", "number"})
        mixed = "string" in types and numbers
        if mixed and not cell:
            hint = CELL_HINT
        elif (types == {"string"} and shape.nullable and shape.enum is None
              and not cell and not f.item and f.empty_text):
            hint = APOSTROPHE_HINT
        help_text = " ".join(x for x in (f.help, hint) if x) if not cell else ""
        hid = _id("h", name)
        described = ([hid] if help_text else []) + pids
        common = {"id": cid, "name": name,
                  "aria_describedby": " ".join(described) or None,
                  "aria_invalid": "true" if pids else None,
                  "aria_required": "true" if f.required and not f.item else None}
        label_cls = ' class="visually-hidden"' if cell else ""
        label = f'<label for="{escape(cid)}"{label_cls}>{escape(f.label)}</label>'
        help_html = (f'<p class="help" id="{escape(hid)}">{escape(help_text)}</p>'
                     if help_text else "")
        if types == {"boolean"} and not shape.nullable and shape.enum is None:
            # The marker says whether the file writes the value: then it stays written.
            control = (_hidden(f"{name}.__bool__", "0" if value is MISSING else "1")
                       + f'<input type="checkbox"{_attrs(**common, value="true")}'
                       + (" checked" if value is True or (value is MISSING and f.default is True)
                          else "") + ">")
            return (f'<div class="field field-checkbox">{control} {label}{help_html}'
                    f"{problems}{buttons}</div>")
        if shape.enum is not None or types == {"boolean"}:
            control = self._select(shape, value, f, common)
            cls = "field-select"
        elif shape.fmt == "date" and types == {"string"}:
            text = _text(value)
            valid = text == "" or _is_date(text)
            control = f'<input{_attrs(type="date" if valid else "text", **common, value=text)}>'
            cls = "field-date"
        elif numbers and not mixed:
            if value not in (None, MISSING, "") and (
                    isinstance(value, bool) or not isinstance(value, (int, float))):
                # Not a number: a number field would drop it, so it stays visible as text.
                control = f'<input{_attrs(type="text", **common, value=_text(value))}>'
            else:
                attrs = _attrs(type="number", step="any", inputmode="decimal", **common,
                               value=_text(value))
                control = f"<input{attrs}>"
            cls = "field-number"
        else:
            if mixed:
                text = (_quote_text(value, True) if isinstance(value, str) else _text(value))
            elif shape.nullable and isinstance(value, str):
                text = _quote_text(value, False)
            else:
                text = _text(value)
            long = ((not cell and f.ctx in (LONG_ITEMS if f.item else LONG_TEXT))
                    or len(text) > 80 or wrap)
            if "\n" in text or "\r" in text or long:
                lines = text.count("\n") + 1 + len(text) // 70
                rows = max(2, min(lines, 16)) if not cell else max(1, min(lines, 6))
                # A browser drops a newline right after the start tag: a text that starts
                # with a newline gets one more, so it keeps its own.
                lead = "\n" if text.startswith(("\n", "\r")) else ""
                control = (f"<textarea{_attrs(**common, rows=rows)}>{lead}{escape(text)}"
                           "</textarea>")
                cls = "field-textarea"
            else:
                control = f'<input{_attrs(type="text", **common, value=text)}>'
                cls = "field-text"
        return (f'<div class="field {cls}">{label}{control}{help_html}{problems}{buttons}'
                "</div>")

    def _select(self, shape: _Shape, value: Any, f: _F, common: dict[str, Any]) -> str:
        choices: list[Any] = list(shape.enum) if shape.enum is not None else [True, False]
        current = "" if value is None or value is MISSING else _option_value(value)
        options = []
        if shape.nullable or (not f.required and not f.item):
            if f.default is not MISSING and f.default is not None:
                empty = f"(standard: {_enum_label(f.default)})"
            else:
                empty = "(standard)" if not f.item else "(ingen)"
            options.append(("", empty))
        elif current == "" or current not in {_option_value(c) for c in choices}:
            options.append(("", "(välj)"))
        options += [(_option_value(c), _enum_label(c)) for c in choices]
        if current and current not in {v for v, _ in options}:
            options.append((current, f"{current} (ogiltigt värde)"))
        html = "".join(f'<option{_attrs(value=v, selected=v == current)}>{escape(t)}</option>'
                       for v, t in options)
        return f"<select{_attrs(**common)}>{html}</select>"

    def table_select(self, value: Any, f: _F) -> str:
        """A statistics table chosen from the municipality's tables (`self.tables`: id
        -> what the user knows it by), never typed as an id."""
        cid = _id("f", f.name)
        problems, pids = self._problem_html(f.name, self._claim([f.name], exact=True), f.name)
        current = value if isinstance(value, str) else _text(value)
        tables = self.tables or {}
        options: list[tuple[str, str]] = []
        if not tables:
            options.append(("", "(statistiken har inga tabeller än)"))
        elif current not in tables:
            options.append(("", "(välj)"))
        options += list(tables.items())
        if current and current not in tables:
            options.append((current, f"{current} (finns inte i statistiken)"))
        html = "".join(f'<option{_attrs(value=v, selected=v == current)}>{escape(t)}</option>'
                       for v, t in options)
        hid = _id("h", f.name)
        described = " ".join([hid, *pids])
        control = (f"<select{_attrs(id=cid, name=f.name, aria_describedby=described)}"
                   f'{_attrs(aria_invalid="true" if pids else None)}>{html}</select>')
        return (f'<div class="field field-select"><label for="{escape(cid)}">Tabell</label>'
                f'{control}<p class="help" id="{escape(hid)}">{TABLE_HINT}</p>{problems}</div>')

    # -- fieldsets -------------------------------------------------------------------
    def _fieldset(self, cls: str, gid: str, name: str | Iterable[str], legend: Any,
                  help_text: str, body: str, *, extra_attrs: str = "") -> str:
        names = [name] if isinstance(name, str) else list(name)
        problems, pids = self._problem_html(names[0], self._claim(names, exact=False),
                                            names[0])
        hid = _id("hg", names[0])
        help_html = (f'<p class="help" id="{escape(hid)}">{escape(help_text)}</p>'
                     if help_text else "")
        described = ([hid] if help_text else []) + pids
        return (f'<fieldset{_attrs(class_=cls, id=gid)}'
                f'{_attrs(aria_describedby=" ".join(described) or None)}{extra_attrs}>'
                f"<legend>{legend}</legend>{help_html}{problems}{body}</fieldset>")
