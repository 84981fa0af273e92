"""Stage 1: find a municipality folder and load its YAML, remembering line numbers.

PyYAML silently keeps the last of two equal keys; we walk the composed node
tree ourselves so duplicates are reported and every value knows its line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Problem

# The shared templates and clause library (a checkout's templates/ by default).
TEMPLATES_DIR = Path(os.environ.get("AVTALSGEN_TEMPLATES",
                                    Path(__file__).resolve().parents[2] / "templates"))
MUNICIPALITY_FILE = "municipality.yaml"
STATISTICS_FILE = "statistics.yaml"
MAX_CONFIG_BYTES = 5_000_000  # a config larger than this is a mistake, not a document

Path_ = tuple[str | int, ...]


@dataclass
class Source:
    """One loaded YAML file: its data and the line of every field path."""

    path: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """Line of the deepest known prefix of a field path (pydantic loc)."""
        best: int | None = self.lines.get(())
        current: Path_ = ()
        for part in loc:
            candidate = (*current, part)
            if candidate in self.lines:
                current = candidate
                best = self.lines[candidate]
        return best


class _Loader(yaml.SafeLoader):
    """SafeLoader whose scalars we construct one by one (no arbitrary objects)."""


def _to_python(node: yaml.Node, loader: _Loader, path: Path_, source: Source,
               problems: list[Problem]) -> Any:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                problems.append(Problem(source.path, key_node.start_mark.line + 1,
                                        dotted(path), f"key {key!r} must be text"))
                continue
            key = str(key)
            if key in result:
                first = source.lines.get((*path, key))
                problems.append(Problem(
                    source.path, key_node.start_mark.line + 1, dotted((*path, key)),
                    f"duplicate key (first given on line {first}); remove one of them"))
                continue
            source.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, loader, (*path, key), source, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, loader, (*path, i), source, problems)
                for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError) as e:
        # e.g. a date like 2025-13-45, which PyYAML reads as a timestamp and rejects
        problems.append(Problem(source.path, node.start_mark.line + 1, dotted(path),
                                f"invalid value {node.value!r}: {e}"))
        return None


def load_yaml(path: Path, display: Path | None = None) -> Source:
    """Parse one YAML file. Raises ConfigError listing every problem in it."""
    shown = display or path
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError([Problem(shown, None, "", f"file is larger than "
                                       f"{MAX_CONFIG_BYTES // 1_000_000} MB")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(shown, None, "", "file not found")]) from None
    except UnicodeDecodeError as e:
        raise ConfigError([Problem(shown, None, "", f"not UTF-8 text ({e.reason})")]) from None
    except OSError as e:
        raise ConfigError([Problem(shown, None, "", f"cannot read file: {e.strerror}")]) from None
    source = Source(shown, None)
    problems: list[Problem] = []
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        source.data = {} if node is None else _to_python(node, loader, (), source, problems)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise ConfigError([Problem(shown, line, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as e:
        raise ConfigError([Problem(shown, None, "", f"YAML error: {e}")]) from None
    finally:
        loader.dispose()
    if problems:
        raise ConfigError(problems)
    return source


def dotted(path: tuple[Any, ...]) -> str:
    """('sections', 0, 'heading') -> 'sections[0].heading'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


