"""A file's bytes to a round-trip tree, refusing what avtalsgen's loader refuses."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..config import MAX_CONFIG_BYTES, MAX_DEPTH, _forbidden_character
from ..errors import ConfigError, Problem
from .yamlfile import _parse, _Unreadable, plain

MAX_FILE_BYTES = MAX_CONFIG_BYTES


def _read_bytes(path: Path, shown: Path | None = None) -> bytes | None:
    """The bytes of a regular file (None if missing), refusing pipes and huge files."""
    shown = shown or path
    try:
        # O_NONBLOCK: opening a FIFO must not hang; fstat then tells what it is.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError([Problem(shown, None, "", f"cannot read file: {e.strerror}")]) \
            from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError([Problem(shown, None, "", "not a regular file (a folder, a "
                                       "pipe or a device); a config must be a file")])
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigError([Problem(shown, None, "", f"file is larger than "
                                       f"{MAX_FILE_BYTES // 1_000_000} MB")])
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_BYTES:  # grew while we read it
                raise ConfigError([Problem(shown, None, "", f"file is larger than "
                                           f"{MAX_FILE_BYTES // 1_000_000} MB")])
        return b"".join(chunks)
    except OSError as e:
        raise ConfigError([Problem(shown, None, "", f"cannot read file: {e.strerror}")]) \
            from None
    finally:
        os.close(fd)


def _decode(data: bytes, shown: Path) -> str:
    zeros = max(data[0::2].count(0), data[1::2].count(0))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or zeros * 4 > len(data):
        raise ConfigError([Problem(shown, None, "", "the file is UTF-16 text (every other "
                                   "byte is zero); save it as UTF-8")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError([Problem(shown, None, "", f"not UTF-8 text ({e.reason})")]) from None
    text = text.removeprefix("\ufeff")
    bad = _forbidden_character(text, shown)
    if bad:
        raise ConfigError([bad])
    return text


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
