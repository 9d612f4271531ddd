"""YAML config files read once, keeping where every key and value is written.

``load_yaml_document(path)`` parses a bot config or backtest spec with PyYAML's safe loader and
keeps the node tree's marks: the line and column of each key and each value, by key path
(``("risk", "max_position")``, ``("data", "symbols", 0)``). Validation errors use them to point
at ``configs/x.yaml:12:17``.

Aliases (``*name``) are expanded at most ``MAX_NODES`` nodes deep in total and ``MAX_DEPTH``
levels: a "billion laughs" document, or an anchor that contains itself, is refused at once with a
ConfigError instead of eating memory and time; so is text nested thousands of levels deep, which
PyYAML itself would fail on with a RecursionError, and an integer of thousands of digits, which
Python refuses to convert with a ValueError. Two equal keys in one mapping are an error too
(PyYAML would silently keep the last); keys merged with ``<<: *anchor`` may be overridden, as YAML
intends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from botkit.core.errors import ConfigError

KeyPath = tuple[Any, ...]
"""Keys and list indexes from the document's root to a value, as pydantic's error ``loc``."""

MAX_NODES = 100_000
"""Most nodes a document may have once its aliases are expanded (real configs have hundreds)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists a document may have."""
MAX_BYTES = 4 * 2**20
"""Largest config file read (real ones are a few kilobytes)."""
MAX_INT_DIGITS = 100
"""Longest integer literal read (Python refuses to convert ones over 4,300 digits with a ValueError)."""
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a text file, both 1-based as editors show them."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A parsed YAML file: its plain values, and where each key and value starts in ``source``."""

    source: str
    data: Any
    value_positions: Mapping[KeyPath, Position]
    key_positions: Mapping[KeyPath, Position]

    def has(self, path: KeyPath) -> bool:
        """Whether the document writes a value at ``path``."""
        return path in self.value_positions

    def value_at(self, path: KeyPath) -> Any:
        """The value written at ``path`` (KeyError/IndexError if there is none)."""
        value = self.data
        for part in path:
            value = value[part]
        return value

    def position(self, path: KeyPath, *, of_key: bool = False) -> Position | None:
        """Where the value at ``path`` starts, or its key with ``of_key`` (None if not written)."""
        return (self.key_positions if of_key else self.value_positions).get(path)

    def where(self, position: Position | None) -> str:
        """``source:line:column``, or just ``source`` without a position."""
        return self.source if position is None else f"{self.source}:{position.line}:{position.column}"


def load_config_file(path: str | Path, what: str) -> YamlDocument:
    """Parse the config file at ``path``, a ``what`` (``backtest spec``); ConfigError if it is no such file."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{what} {str(path)!r} does not exist")
    if not path.is_file():
        raise ConfigError(f"{what} {str(path)!r} is not a file (a folder or a device)")
    return load_yaml_document(path)


def load_yaml_document(path: str | Path, source: str | None = None) -> YamlDocument:
    """Parse the YAML file at ``path``; ConfigError names ``source`` (default: the path) and the line."""
    path = Path(path)
    source = str(path) if source is None else source
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ConfigError(f"{source}: larger than {MAX_BYTES // 2**20} MiB; a config never is (the wrong file?)")
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ConfigError(f"{source}: cannot be read ({error.strerror})") from None
    return parse_yaml_document(text, source)


def parse_yaml_document(text: str, source: str) -> YamlDocument:
    """Parse YAML ``text`` (one document) named ``source`` in errors; empty text gives ``data`` None."""
    try:
        loader = yaml.SafeLoader(text)  # refuses control characters (a ReaderError) at once
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise ConfigError(f"{source}:{line}:{column}: not valid YAML: control character "
                          f"#x{error.character:04x} (YAML allows printable text only)") from None
    try:
        root = loader.get_single_node()
        if root is None:
            return YamlDocument(source, None, {}, {})
        _check_size_and_keys(root, source)
        data = loader.construct_document(root)
        values: dict[KeyPath, Position] = {}
        keys: dict[KeyPath, Position] = {}
        _record_positions(loader, root, (), values, keys)
    except yaml.MarkedYAMLError as error:
        raise ConfigError(_yaml_error_message(error, source)) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {error}") from None
    except RecursionError:  # PyYAML composes nested nodes recursively, before any depth can be checked
        raise ConfigError(f"{source}: the YAML nests deeper than {MAX_DEPTH} levels; a config never does") from None
    finally:
        loader.dispose()
    return YamlDocument(source, data, values, keys)


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _yaml_error_message(error: yaml.MarkedYAMLError, source: str) -> str:
    mark = error.problem_mark or error.context_mark
    where = source if mark is None else f"{source}:{mark.line + 1}:{mark.column + 1}"
    problem = ", ".join(part for part in (error.context, error.problem) if part) or str(error)
    return f"{where}: not valid YAML: {problem}"


def _check_size_and_keys(root: Node, source: str) -> None:
    """Walk the node tree as construction will, aliases expanded, within MAX_NODES and MAX_DEPTH."""
    stack: list[tuple[Node, int]] = [(root, 0)]
    seen = 0
    checked: set[int] = set()
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ConfigError(
                f"{source}: the YAML expands to more than {MAX_NODES:,} values once its aliases (*name) are "
                "followed; a config is never that large (an alias bomb?)"
            )
        if depth > MAX_DEPTH:
            where = _position(node)
            raise ConfigError(
                f"{source}:{where.line}:{where.column}: the YAML nests deeper than {MAX_DEPTH} levels "
                "(an anchor that contains itself?)"
            )
        if isinstance(node, MappingNode):
            if id(node) not in checked:
                checked.add(id(node))
                _refuse_duplicate_keys(node, source)
            for key_node, value_node in node.value:
                stack.append((key_node, depth + 1))
                stack.append((value_node, depth + 1))
        elif isinstance(node, SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
        elif isinstance(node, ScalarNode) and node.tag == _INT_TAG and len(node.value) > MAX_INT_DIGITS:
            where = _position(node)
            raise ConfigError(
                f"{source}:{where.line}:{where.column}: an integer of {len(node.value):,} characters; numbers in "
                "a config fit in 64 bits (at most 19 digits)"
            )


def _refuse_duplicate_keys(node: MappingNode, source: str) -> None:
    first: dict[tuple[str, str], Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
            continue
        identity = (key_node.tag, key_node.value)
        if identity in first:
            earlier, here = _position(first[identity]), _position(key_node)
            raise ConfigError(
                f"{source}:{here.line}:{here.column}: duplicate key {key_node.value!r} "
                f"(first given on line {earlier.line}); keep one"
            )
        first[identity] = key_node


def _record_positions(
    loader: yaml.SafeLoader, node: Node, path: KeyPath,
    values: dict[KeyPath, Position], keys: dict[KeyPath, Position],
) -> None:
    """Positions of every value by key path; runs after construction, so ``<<`` merges are flattened."""
    values[path] = _position(node)  # a key given again after a ``<<`` merge wins, as in the values
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                continue
            key = loader.construct_object(key_node)
            keys[(*path, key)] = _position(key_node)
            _record_positions(loader, value_node, (*path, key), values, keys)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(loader, item, (*path, index), values, keys)
