"""The JSON Schema read into shapes: what the form needs to know about each node."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


class _Missing:
    """No value: the field is absent (omitted from the data)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(eq=False)
class _Shape:
    """What the form needs to know about one schema node."""

    kind: str  # scalar | object | map | array | union | json
    schema: dict[str, Any]
    types: frozenset[str] = frozenset()  # scalar: string, integer, number, boolean
    nullable: bool = False
    enum: tuple[Any, ...] | None = None
    const: Any = MISSING
    fmt: str | None = None
    name: str | None = None  # the $defs name of an object
    description: str = ""
    props: dict[str, dict[str, Any]] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    item: _Shape | None = None  # array item, map value
    variants: tuple[tuple[str, _Shape], ...] = ()  # union: (key, shape)
    min_items: int = 0
    schemas: _Schemas | None = None

    def prop(self, name: str) -> _Shape:
        assert self.schemas is not None
        return self.schemas.shape(self.props[name])

    def variant(self, key: str) -> _Shape | None:
        return dict(self.variants).get(key)


class _Schemas:
    """Shapes of the nodes of one schema, resolved through its $defs (cached)."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.cache: dict[int, tuple[dict[str, Any], _Shape]] = {}
        self.named: dict[str, _Shape] = {}

    def shape(self, s: dict[str, Any]) -> _Shape:
        hit = self.cache.get(id(s))
        if hit is None:
            hit = (s, self._classify(s))
            self.cache[id(s)] = hit
        return hit[1]

    def _def(self, name: str) -> _Shape:
        if name not in self.named:
            target = self.defs[name]
            # A placeholder first: a model may contain itself (Section.sections).
            shape = _Shape("object", target, name=name, schemas=self)
            self.named[name] = shape
            filled = self._classify(target)
            shape.__dict__.update({**filled.__dict__, "name": name})
        return self.named[name]

    def _classify(self, s: dict[str, Any]) -> _Shape:
        desc = s.get("description", "")
        if "$ref" in s:
            return self._def(s["$ref"].rsplit("/", 1)[-1])
        alternatives = s.get("anyOf") or s.get("oneOf")
        if isinstance(s.get("type"), list):
            alternatives = [{**s, "type": t} for t in s["type"]]
        if alternatives:
            real = [a for a in alternatives if a.get("type") != "null"]
            nullable = len(real) < len(alternatives)
            shapes = [self.shape(a) for a in real]
            if len(shapes) == 1:
                return replace(shapes[0], nullable=True) if nullable else shapes[0]
            if shapes and all(x.kind == "scalar" and x.const is MISSING for x in shapes):
                types = frozenset().union(*(x.types for x in shapes))
                return _Shape("scalar", s, types=types, nullable=nullable, description=desc,
                              schemas=self)
            variants = tuple((_variant_key(x), x) for x in shapes)
            return _Shape("union", s, nullable=nullable, variants=variants,
                          description=desc, schemas=self)
        kind = s.get("type")
        if "const" in s:
            return _Shape("scalar", s, types=frozenset({kind or "string"}), const=s["const"],
                          description=desc, schemas=self)
        if kind in ("string", "integer", "number", "boolean"):
            enum = tuple(s["enum"]) if "enum" in s else None
            return _Shape("scalar", s, types=frozenset({kind}), enum=enum,
                          fmt=s.get("format"), description=desc, schemas=self)
        if kind == "object" or "properties" in s:
            extra = s.get("additionalProperties")
            patterns = s.get("patternProperties")
            if "properties" in s or extra is False:
                return _Shape("object", s, description=desc, props=s.get("properties", {}),
                              required=frozenset(s.get("required", ())), schemas=self)
            value = next(iter(patterns.values())) if patterns else extra
            if isinstance(value, dict):
                return _Shape("map", s, item=self.shape(value), description=desc,
                              schemas=self)
        if kind == "array" and isinstance(s.get("items"), dict):
            return _Shape("array", s, item=self.shape(s["items"]), description=desc,
                          min_items=s.get("minItems", 0), schemas=self)
        return _Shape("json", s, description=desc, schemas=self)


def _variant_key(shape: _Shape) -> str:
    """A union variant's name: "plain" for text, else the key that marks the block."""
    if shape.kind == "scalar":
        return "plain" if "string" in shape.types else sorted(shape.types)[0]
    if shape.kind == "object":
        if shape.required:
            return next(p for p in shape.props if p in shape.required)
        return (shape.name or "object").lower()
    return shape.kind


def _detect(union: _Shape, value: Any) -> str:
    """The variant a value is: for a mapping, the one whose keys it fits."""
    scalars = [(k, v) for k, v in union.variants if v.kind == "scalar"]
    objects = [(k, v) for k, v in union.variants if v.kind == "object"]
    if isinstance(value, dict):
        keys = set(value)
        fitting = [k for k, v in objects if v.required <= keys and keys <= set(v.props)]
        if fitting:
            return fitting[0]
        for k, v in objects:
            if k in keys and k in v.props:
                return k
        return objects[0][0] if objects else union.variants[0][0]
    if isinstance(value, list):
        arrays = [k for k, v in union.variants if v.kind == "array"]
        if arrays:
            return arrays[0]
    if scalars:
        return scalars[0][0]
    return union.variants[0][0]


def _table_pair(shape: _Shape) -> bool:
    """An object with `columns` (scalars) and `rows` (arrays of scalars): one grid."""
    if shape.kind != "object" or not {"columns", "rows"} <= set(shape.props):
        return False
    cols, rows = shape.prop("columns"), shape.prop("rows")
    return (cols.kind == "array" and cols.item is not None and cols.item.kind == "scalar"
            and rows.kind == "array" and rows.item is not None and rows.item.kind == "array"
            and rows.item.item is not None and rows.item.item.kind == "scalar")
