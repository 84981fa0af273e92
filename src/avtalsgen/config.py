"""Stage 1: find a municipality folder and load its YAML, remembering line numbers.

PyYAML silently keeps the last of two equal keys; we walk the composed node
tree ourselves so duplicates are reported and every value knows its line.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .errors import ConfigError, Problem
from .messages import N_, Msg, Quoted

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


MAX_DEPTH = 40  # nesting of lists and mappings; real configs stay under 20
MAX_ALIAS_VALUES = 10_000  # values that aliases may add beyond those written out
MERGE_TAG = "tag:yaml.org,2002:merge"
_CANNOT_READ = N_("cannot read file: {error}")
_TOO_LARGE = N_("file is larger than {mb} MB")


def _reason(error: Exception) -> str:
    """What PyYAML said about a value it could not read (English, from Python)."""
    return str(error)


class _PyLoader(Reader, Scanner, Parser, Composer, SafeConstructor, Resolver):
    """PyYAML's safe loader in Python, used where PyYAML lacks libyaml. Scalars are
    constructed one by one (no arbitrary objects), and the nesting is bounded while
    the document is composed (the composer recurses)."""

    depth = 0

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


try:  # libyaml scans, parses and composes about ten times faster than PyYAML's Python
    from yaml._yaml import CParser  # what yaml.cyaml imports too

    class _CLoader(CParser, SafeConstructor, Resolver):
        """libyaml, which refuses more than 1 000 levels itself while composing; the
        walk over its nodes holds our bound."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader: type[_PyLoader | _CLoader] = _CLoader
except ImportError:  # PyYAML built without libyaml
    _Loader = _PyLoader


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _Walk:
    """State of one walk over the node graph: the alias budget and merge bookkeeping."""

    def __init__(self, source: Source, loader: Any, problems: list[Problem]) -> None:
        self.source, self.loader, self.problems = source, loader, problems
        self.seen: set[int] = set()
        self.visits = 0
        self.merged: dict[int, int] = {}  # node id -> how many leading pairs came from <<

    def value(self, node: yaml.Node, path: Path_, line: int, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _TooDeep(line)
        self.visits += 1
        self.seen.add(id(node))
        if self.visits - len(self.seen) > MAX_ALIAS_VALUES:
            raise _AliasBomb(line)
        self.source.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, i), item.start_mark.line + 1, depth + 1)
                    for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError) as e:
            # e.g. a date like 2025-13-45, which PyYAML reads as a timestamp and rejects
            self.problems.append(Problem(self.source.path, node.start_mark.line + 1,
                                         dotted(path), Msg(N_("invalid value {value}: {error}"),
                                                           value=Quoted(node.value),
                                                           error=_reason(e))))
            return None

    def mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[Any, Any]:
        if id(node) not in self.merged:
            own = sum(1 for key, _ in node.value if key.tag != MERGE_TAG)
            self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
            self.merged[id(node)] = len(node.value) - own
        n_merged = self.merged[id(node)]
        result: dict[Any, Any] = {}
        own_keys: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            line = key_node.start_mark.line + 1
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                self.problems.append(Problem(self.source.path, line, dotted(path),
                                             Msg(N_("key {key!r} must be text"), key=key)))
                continue
            key = str(key)
            if index >= n_merged:  # written here: overrides what << brought in
                if key in own_keys:
                    first = self.source.lines.get((*path, key))
                    self.problems.append(Problem(
                        self.source.path, line, dotted((*path, key)),
                        Msg(N_("duplicate key (first given on line {first}); remove one of "
                               "them"), first=first)))
                    continue
                own_keys.add(key)
                self.source.lines[(*path, key)] = line
            else:
                self.source.lines.setdefault((*path, key), line)
            result[key] = self.value(value_node, (*path, key), line, depth + 1)
        return result


class _AliasBomb(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


# Characters YAML forbids in a file (C0 controls but tab/newline/CR, DEL, C1, U+FFFE/F).
_NOT_YAML = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                       "\U00010000-\U0010ffff]")


def _forbidden_character(text: str, shown: Path) -> Problem | None:
    match = _NOT_YAML.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    code = ord(match.group())
    return Problem(shown, line, "", Msg(N_("the character {code} (column {column}) is not "
                                           "allowed in a YAML file; remove it"),
                                        code=f"U+{code:04X}", column=column))


def read_bytes(path: Path, shown: Path | None = None) -> bytes | None:
    """The bytes of a regular file (None if missing), refusing pipes and huge files."""
    shown = shown or path
    try:
        # O_NONBLOCK: opening a FIFO must not hang; fstat then tells what it is.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError([Problem(shown, None, "", Msg(_CANNOT_READ, error=e.strerror))]) \
            from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError([Problem(shown, None, "", Msg(N_(
                "not a regular file (a folder, a pipe or a device); a config must be a "
                "file")))])
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError([Problem(shown, None, "", Msg(_TOO_LARGE,
                                                            mb=MAX_CONFIG_BYTES // 1_000_000))])
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_CONFIG_BYTES:  # grew while we read it
                raise ConfigError([Problem(shown, None, "", Msg(
                    _TOO_LARGE, mb=MAX_CONFIG_BYTES // 1_000_000))])
        return b"".join(chunks)
    except OSError as e:
        raise ConfigError([Problem(shown, None, "", Msg(_CANNOT_READ, error=e.strerror))]) \
            from None
    finally:
        os.close(fd)


def decode(data: bytes, shown: Path) -> str:
    """UTF-8 text without a BOM; UTF-16 and characters YAML forbids are named."""
    zeros = max(data[0::2].count(0), data[1::2].count(0))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or zeros * 4 > len(data):
        raise ConfigError([Problem(shown, None, "", Msg(N_(
            "the file is UTF-16 text (every other byte is zero); save it as UTF-8")))])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError([Problem(shown, None, "", Msg(N_("not UTF-8 text ({reason})"),
                                                        reason=e.reason))]) from None
    text = text.removeprefix("\ufeff")
    bad = _forbidden_character(text, shown)
    if bad:
        raise ConfigError([bad])
    return text


def load_yaml(path: Path, display: Path | None = None) -> Source:
    """Parse one YAML file. Raises ConfigError listing every problem in it."""
    shown = display or path
    data = read_bytes(path, shown)
    if data is None:
        raise ConfigError([Problem(shown, None, "", Msg(N_("file not found")))])
    text = decode(data, shown)
    source = Source(shown, None)
    problems: list[Problem] = []
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        walk = _Walk(source, loader, problems)
        source.data = {} if node is None else walk.value(node, (), 1, 0)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise ConfigError([Problem(shown, line, "", Msg(N_("YAML syntax error: {what}"),
                                                        what=what))]) from None
    except yaml.YAMLError as e:
        raise ConfigError([Problem(shown, None, "", Msg(N_("YAML error: {what}"),
                                                        what=str(e)))]) from None
    except (_TooDeep, RecursionError) as e:
        line = e.line if isinstance(e, _TooDeep) else None
        raise ConfigError([Problem(shown, line, "", Msg(N_(
            "nested too deeply (more than {depth} levels of lists and mappings, or an alias "
            "that contains itself)"), depth=MAX_DEPTH))]) from None
    except _AliasBomb as e:
        raise ConfigError([Problem(shown, e.line, "", Msg(N_(
            "aliases expand to more than {count} values; write the values out or use fewer "
            "nested aliases"), count=f"{MAX_ALIAS_VALUES:,}".replace(",", " ")))]) from None
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


