"""The form's buttons on plain data: add, remove, move up or down, change a kind."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from typing import Any

from .fields import _under
from .labels import LONG_TEXT
from .shapes import MISSING, _detect, _Shape, _table_pair


def _empty(shape: _Shape, depth: int = 0) -> Any:
    """A new, empty value of a shape: what "Lägg till" appends."""
    if depth > 20:
        return None
    if shape.kind == "union":
        plain = shape.variant("plain")
        return "" if plain is not None else _empty(shape.variants[0][1], depth + 1)
    if shape.kind == "object":
        return {p: _empty(shape.prop(p), depth + 1) for p in shape.props if p in shape.required}
    if shape.kind == "array":
        assert shape.item is not None
        return [_empty(shape.item, depth + 1) for _ in range(shape.min_items)]
    if shape.kind == "map":
        return {}
    if shape.kind == "scalar":
        if shape.const is not MISSING:
            return shape.const
        if shape.nullable:
            return None
        if shape.types == {"boolean"}:
            return False
        return ""
    return None


def _texts(union: _Shape, value: Any) -> list[Any]:
    """The text of a union item as list items (text, or {text, footnote})."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, dict):
        return []
    key = _detect(union, value)
    main = value.get(key)
    if key == "text" and isinstance(main, str):
        item = {k: value[k] for k in ("text", "footnote") if value.get(k) is not None}
        return [item if len(item) > 1 else main]
    if isinstance(main, str):
        return [main]
    if isinstance(main, list):
        return [x for x in main if isinstance(x, (str, dict))]
    if isinstance(value.get("text"), list):
        return [x for x in value["text"] if isinstance(x, str)]
    return []


def _plain(item: Any) -> str:
    return item if isinstance(item, str) else str(item.get("text", ""))


def _fits(shape: _Shape, value: Any) -> bool:
    if shape.kind != "scalar":
        return False
    if value is None:
        return shape.nullable
    if shape.enum is not None:
        return value in shape.enum
    kinds = {str: "string", bool: "boolean", int: "integer", float: "number"}
    kind = kinds.get(type(value))
    return kind in shape.types or (kind == "integer" and "number" in shape.types)


def _convert(union: _Shape, value: Any, to: str) -> Any:
    """A union item as another variant, keeping its text (a text as first bullet …)."""
    target = union.variant(to)
    if target is None:
        raise ValueError(f"unknown kind {to!r}")
    texts = _texts(union, value)
    if target.kind == "scalar":
        return "\n".join(_plain(t) for t in texts) if "string" in target.types else _empty(
            target)
    if target.kind != "object":
        return _empty(target)
    out = _empty(target)

    def put(prop: str) -> bool:
        shape = target.prop(prop)
        if shape.kind == "array" and shape.item is not None:
            item = shape.item
            keep_dicts = item.kind == "union" and any(
                v.kind == "object" and "text" in v.props for _k, v in item.variants)
            items = [t if keep_dicts else _plain(t) for t in texts]
            out[prop] = items or _empty(shape)
            return True
        if (shape.kind == "scalar" and shape.types == {"string"} and shape.enum is None
                and "pattern" not in shape.schema):
            joiner = "\n" if prop in LONG_TEXT else " "
            out[prop] = joiner.join(_plain(t) for t in texts)
            return True
        return False

    if not (to in target.props and put(to)) and texts and "text" in target.props:
        put("text")
    if isinstance(value, dict):
        source = _detect(union, value)
        for key, item in value.items():
            if key != source and key in target.props and key not in out and _fits(
                    target.prop(key), item):
                out[key] = item
    if "footnote" in target.props and "footnote" not in out:
        notes = [t["footnote"] for t in texts if isinstance(t, dict) and t.get("footnote")]
        if notes:
            out["footnote"] = notes[0]
    return out


@dataclass
class _Step:
    container: Any  # the dict or list holding the value
    key: str | int
    shape: _Shape  # the shape of the value
    owner: _Shape  # the shape of the container's value (object, map, array)


def _locate(root: _Shape, data: dict[str, Any], path: str) -> list[_Step]:
    """The steps from the root to a field path, creating missing containers on the way."""
    steps: list[_Step] = []
    value: Any = data  # then whatever the path goes through: a dict, a list, a value
    shape, rest = root, path
    while rest:
        if shape.kind == "union":
            shape = shape.variant(_detect(shape, value)) or shape
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0 or shape.kind != "array" or not isinstance(value, list):
                raise ValueError(f"no list at {path!r}")
            index = int(rest[1:end])
            if not 0 <= index < len(value):
                raise IndexError(f"no item {index} in {path!r}")
            assert shape.item is not None
            steps.append(_Step(value, index, shape.item, shape))
            rest = rest[end + 1:]
            shape, value = shape.item, value[index]
            continue
        if steps:
            if not rest.startswith("."):
                raise ValueError(f"bad path {path!r}")
            rest = rest[1:]
        if not isinstance(value, dict):
            raise ValueError(f"no mapping at {path!r}")
        if shape.kind == "object":
            candidates = list(shape.props)
        elif shape.kind == "map":
            candidates = [str(k) for k in value]
        else:
            raise ValueError(f"no field at {path!r}")
        matches = [k for k in candidates if rest.startswith(k)
                   and rest[len(k):len(k) + 1] in ("", ".", "[")]
        if matches:
            key = max(matches, key=len)
        elif shape.kind == "map":
            key = re.split(r"[.\[]", rest, maxsplit=1)[0]
        else:
            raise KeyError(rest)
        child = shape.prop(key) if shape.kind == "object" else shape.item
        assert child is not None
        rest = rest[len(key):]
        if rest and value.get(key) is None:  # go on inside: make the container
            if child.kind in ("object", "map"):
                value[key] = {}
            elif child.kind == "array":
                value[key] = []
        steps.append(_Step(value, key, child, shape))
        shape, value = child, value.get(key)
    if not steps:
        raise ValueError("an action needs a field path")
    return steps


def _sibling_rows(steps: list[_Step]) -> list[list[Any]] | None:
    """For a statistics table's `columns` (or one of its items), the table's rows."""
    for i in range(len(steps) - 1, -1, -1):
        if steps[i].key == "columns" and _table_pair(steps[i].owner):
            rows = steps[i].container.get("rows")
            return [r for r in rows if isinstance(r, list)] if isinstance(rows, list) else []
    return None


def _apply(root: _Shape, data: Any, action: str, prefix: str) -> Any:
    """apply_action() with the shape of the file kind (see there)."""
    verb, sep, rest = action.partition(":")
    if not sep:
        raise ValueError(f"unknown action {action!r}")
    if prefix and _under(rest, prefix):
        rest = rest[len(prefix):].lstrip(".")
    arg = None
    if verb == "kind":
        rest, eq, arg = rest.rpartition("=") if "=" in rest else (rest, "", None)
        if not eq:
            return copy.deepcopy(data)
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    steps = _locate(root, data, rest)
    step = steps[-1]
    container, key, shape = step.container, step.key, step.shape
    if verb == "add":
        present = isinstance(key, int) if isinstance(container, list) else key in container
        current = container[key] if present else None
        if shape.kind == "array":
            if not isinstance(current, list):
                current = container[key] = []
            assert shape.item is not None
            if key == "rows" and _table_pair(step.owner):
                width = len(container.get("columns") or [])
                current.append([None] * width)
            elif shape.item.kind == "array":
                width = max([len(r) for r in current if isinstance(r, list)] + [0])
                current.append([None] * width)
            else:
                current.append(_empty(shape.item))
            rows = _sibling_rows(steps)
            if rows is not None:
                for row in rows:
                    row.append(None)
        elif shape.kind == "map":
            if not isinstance(current, dict):
                current = container[key] = {}
            new, n = "ny", 1
            while new in current:
                n += 1
                new = f"ny-{n}"
            assert shape.item is not None
            current[new] = _empty(shape.item)
        elif shape.kind in ("object", "union") and current is None:
            container[key] = _empty(replace(shape, nullable=False))
        else:
            raise ValueError(f"cannot add to {rest!r}")
    elif verb == "remove":
        if isinstance(container, list):
            assert isinstance(key, int)
            del container[key]
            for row in _sibling_rows(steps) or []:
                if key < len(row):
                    del row[key]
        elif key in container:
            del container[key]
    elif verb in ("up", "down"):
        if not isinstance(container, list) or not isinstance(key, int):
            raise ValueError(f"only a list item moves: {rest!r}")
        other = key - 1 if verb == "up" else key + 1
        if 0 <= other < len(container):
            container[key], container[other] = container[other], container[key]
            for row in _sibling_rows(steps) or []:
                if key < len(row) and other < len(row):
                    row[key], row[other] = row[other], row[key]
    elif verb == "kind":
        if shape.kind != "union" or arg is None:
            raise ValueError(f"{rest!r} has no kinds")
        container[key] = _convert(shape, container[key], arg)
    else:
        raise ValueError(f"unknown action {action!r}")
    return data
