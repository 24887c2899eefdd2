"""Reading an experiment file into plain data while remembering where each key was.

ruamel.yaml (YAML 1.2) reads YAML and JSON alike and keeps the position of every
key and list item, so a message can point at ``digits.yaml:9``. The data handed on
is plain ``dict``/``list``/scalars; the positions live in a :class:`LineMap` keyed
by the path of each node, e.g. ``("hyperparams", "lr", "range")``.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.scalarstring import ScalarString

from hpotui.errors import ExperimentFileError

Path_ = tuple[Hashable, ...]

# Words YAML 1.1 readers (PyYAML, WML-A's own tools) take as booleans while YAML
# 1.2 reads them as text; unquoted in a list of values they are a trap.
AMBIGUOUS_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


@dataclass
class LineMap:
    """1-based line of each node of a document, by path."""

    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one.

        A missing top-level key has no line; the document itself is on line 1.
        """
        path = tuple(path)
        if not path:
            return self.lines.get(())
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def read_document(text: str, source_name: str) -> tuple[Any, LineMap, set[Path_]]:
    """Parse YAML or JSON text.

    Args:
        text: The file's content.
        source_name: How messages name the file.

    Returns:
        The plain data, the line of each node, and the paths of unquoted strings
        (to catch ``yes``/``no`` written where text was meant).

    Raises:
        ExperimentFileError: The text is not YAML/JSON; the message gives the line.
    """
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        document = yaml.load(text)
    except MarkedYAMLError as err:
        plain = _plain_json(text)
        if plain is not None:
            # Valid JSON that YAML rejects (e.g. tab indentation): no line numbers.
            return plain, LineMap({(): 1}), set()
        mark = err.problem_mark or err.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = err.problem or err.context or "unreadable"
        fix = (
            "keep one of them"
            if "duplicate key" in problem
            else "check the indentation and quoting on that line"
        )
        raise ExperimentFileError(
            f"{source_name}{line}: not valid YAML or JSON: {problem}; {fix}"
        ) from err
    except Exception as err:  # ruamel raises several unrelated types on bad input
        raise ExperimentFileError(
            f"{source_name}: not valid YAML or JSON: {err}"
        ) from err
    lines = LineMap()
    bare: set[Path_] = set()
    data = _plain(document, (), lines, bare)
    lines.lines.setdefault((), 1)
    return data, lines, bare


def _plain_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _plain(node: Any, path: Path_, lines: LineMap, bare: set[Path_]) -> Any:
    if isinstance(node, CommentedMap):
        result = {}
        for key, value in node.items():
            key_path = (*path, _scalar(key))
            line, _column = node.lc.key(key)
            lines.lines[key_path] = line + 1
            result[_scalar(key)] = _plain(value, key_path, lines, bare)
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            item_path = (*path, index)
            line, _column = node.lc.item(index)
            lines.lines[item_path] = line + 1
            items.append(_plain(value, item_path, lines, bare))
        return items
    if isinstance(node, str) and not isinstance(node, ScalarString):
        bare.add(path)
    return _scalar(node)


def _scalar(value: Any) -> Any:
    """ruamel's scalar subclasses as the plain Python value."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value).__name__ == "ScalarBoolean":
        return bool(value)
    for plain in (bool, int, float, str):
        if isinstance(value, plain):
            return plain(value)
    return value
