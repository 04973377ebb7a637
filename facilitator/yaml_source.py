"""Read one YAML script file safely, keeping the line of every key and item for error messages.

A script may come from anyone: the reader refuses what would hang or exhaust the process (huge files,
alias bombs, deep nesting, binary data) with a message that names the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from facilitator.problems import InputError, Problem, display_path, field_path

MAX_FILE_BYTES = 1024 * 1024
# A real script has a few thousand values; aliases that expand beyond this are an attack or a mistake.
MAX_VALUES = 100_000
MAX_DEPTH = 50

Loc = tuple[int | str, ...]


class _ScriptLoader(yaml.SafeLoader):
    """YAML 1.1 as people write it, minus its traps: ``9:30`` stays text (not 570), ``no`` stays text."""


_ScriptLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag
        not in (
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
        )
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9_]*)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$",
        "-+0123456789.",
    ),
):
    _ScriptLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


@dataclass
class SourceDoc:
    """A parsed file: its data, and the 1-based line of each path into it."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return display_path(self.path)

    def line_of(self, loc: Loc) -> int:
        """The line of ``loc``, or of its nearest ancestor that has one (a missing key has no line)."""
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)

    def problem(
        self,
        loc: Loc,
        message: str,
        *,
        field_name: str | None = None,
        warning: bool = False,
    ) -> Problem:
        return Problem(
            file=self.name,
            line=self.line_of(loc),
            field=field_name if field_name is not None else field_path(loc),
            message=message,
            warning=warning,
        )


class _Builder:
    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.count = 0
        self.constructor = _ScriptLoader("")

    def build(self, node: Node, loc: Loc | None, depth: int) -> Any:
        """Turn ``node`` into Python values; ``loc`` is None for mapping keys, which need no line."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooBig(
                node, f"more than {MAX_VALUES} values (do aliases expand too far?)"
            )
        if depth > MAX_DEPTH:
            raise _TooBig(node, f"nested more than {MAX_DEPTH} levels deep")
        if loc is not None:
            self.doc.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, None, depth + 1)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise _TooBig(
                        key_node, f"a key must be text, not {type(key).__name__}"
                    )
                key_loc = (loc or ()) + (key,)
                if key in out:
                    raise _TooBig(key_node, f"key {key!r} appears twice")
                self.doc.lines[key_loc] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, key_loc, depth + 1)
            return out
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                items.append(self.build(item, (loc or ()) + (index,), depth + 1))
            return items
        assert isinstance(node, ScalarNode)
        if node.tag == "tag:yaml.org,2002:merge":
            raise _TooBig(node, "merge keys (<<) are not supported")
        return self.constructor.construct_object(node, deep=True)


class _TooBig(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.message = message


def read_text(path: Path) -> str:
    """The file's text, or an :class:`InputError` that says plainly why it cannot be read."""
    name = display_path(path)
    try:
        if path.is_dir():
            raise InputError([Problem(name, 0, "", "is a folder, not a file")])
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                [
                    Problem(
                        name,
                        0,
                        "",
                        f"is {size / 1e6:.1f} MB; a script may be at most {MAX_FILE_BYTES // 1024} KB",
                    )
                ]
            )
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise InputError(
            [Problem(name, 0, "", f"cannot be read: {exc.strerror or exc}")]
        ) from None
    if b"\0" in raw[:8192] or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            [Problem(name, 1, "", "is a binary file, not YAML text (save it as UTF-8)")]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            [Problem(name, line, "", "is not valid UTF-8 text (save it as UTF-8)")]
        ) from None


def load_yaml(path: Path) -> SourceDoc:
    """Parse one script file into a :class:`SourceDoc`; every failure is an :class:`InputError`."""
    text = read_text(path)
    doc = SourceDoc(path=path, data=None)
    name = doc.name
    if not text.strip():
        raise InputError([Problem(name, 1, "", "is empty")])
    try:
        nodes = list(yaml.compose_all(text, Loader=_ScriptLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        raise InputError(
            [Problem(name, line, "", f"YAML syntax error: {reason}")]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, 1, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise InputError(
            [Problem(name, 1, "", f"nested more than {MAX_DEPTH} levels deep")]
        ) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise InputError([Problem(name, 1, "", "is empty")])
    if len(nodes) > 1:
        raise InputError(
            [
                Problem(
                    name,
                    nodes[1].start_mark.line + 1,
                    "",
                    "holds more than one YAML document",
                )
            ]
        )
    root = nodes[0]
    try:
        doc.data = _Builder(doc).build(root, (), 0)
    except _TooBig as exc:
        raise InputError([Problem(name, exc.line, "", exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise InputError(
            [Problem(name, line, "", f"YAML error: {exc.problem}")]
        ) from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise InputError([Problem(name, 1, "", f"YAML error: {exc}")]) from None
    if not isinstance(doc.data, dict):
        raise InputError(
            [
                Problem(
                    name,
                    root.start_mark.line + 1,
                    "",
                    "must be a mapping of keys to values",
                )
            ]
        )
    return doc
