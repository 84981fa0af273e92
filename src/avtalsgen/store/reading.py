"""A file's bytes to a round-trip tree, refusing what avtalsgen's loader refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..config import MAX_CONFIG_BYTES, MAX_DEPTH
from ..errors import ConfigError, Problem
from .yamlfile import _parse, _Unreadable, plain

MAX_FILE_BYTES = MAX_CONFIG_BYTES


def _load(text: str, shown: Path) -> Any:
    """Parse text in round-trip mode; ConfigError (with the line) when it is not YAML."""
    try:
        data = _parse(text)
        plain(data)  # refuses self-containing aliases, alias bombs and deep nesting
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(x) for x in (getattr(e, "context", None),
                                          getattr(e, "problem", None)) if x) or str(e)
        raise ConfigError([Problem(shown, line, "", f"YAML syntax error: {what}")]) from None
    except _Unreadable as e:
        raise ConfigError([Problem(shown, None, "", str(e))]) from None
    except RecursionError:
        raise ConfigError([Problem(shown, None, "", f"nested too deeply (more than "
                                   f"{MAX_DEPTH} levels)")]) from None
    except (ValueError, TypeError, OverflowError) as e:
        raise ConfigError([Problem(shown, None, "", f"invalid value: {e}")]) from None
    return data
