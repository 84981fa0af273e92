"""JSON Schema of the config files, with the Swedish field descriptions."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from . import model as m

MODELS: dict[str, type[m.Model]] = {
    "municipality": m.Municipality,
    "document": m.Document,
    "statistics": m.Statistics,
}


def json_schema(kind: str | None = None) -> dict[str, Any]:
    """One file kind's schema, or all three sharing one $defs (anyOf at the top)."""
    if kind is not None:
        schema = MODELS[kind].model_json_schema()
    else:
        refs, schema = models_json_schema(
            [(model, "validation") for model in MODELS.values()],
            title="avtalsgen",
            description="Konfigurationsfiler: municipality.yaml, statistics.yaml och ett "
                        "dokument per fil (t.ex. verksamhetsplan.yaml).")
        schema["anyOf"] = [refs[(model, "validation")] for model in MODELS.values()]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["version"] = m.SCHEMA_VERSION
    return schema
