"""Read one YAML script file safely, keeping the line of every key and item for error messages.

A script may come from anyone: the reader refuses what would hang or exhaust the process (huge files,
alias bombs, deep nesting, binary data) with a message that names the file and line.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from facilitator.problems import InputError, Problem, display_path, field_path

try:  # libyaml parses about twenty times faster than PyYAML's pure-Python parser
    from yaml import CSafeLoader as _FastSafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _FastSafeLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 1024 * 1024
# A real script has a few thousand values; aliases that expand beyond this are an attack or a mistake.
MAX_VALUES = 100_000
MAX_DEPTH = 50

Loc = tuple[int | str, ...]

# The only tags a script may carry: plain YAML values. ``!!python/...``, ``!!binary``, ``!!set`` and
# friends are refused by name rather than built (a sequence node is otherwise built whatever its tag).
_ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
# What YAML allows in a stream (PyYAML's Reader refuses the rest, without a line number).
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _ScriptLoader(yaml.SafeLoader):
    """YAML 1.1 as people write it, minus its traps: ``9:30`` stays text (not 570), ``no`` stays text."""


class _EventLoader(_FastSafeLoader):
    """The parser whose events :class:`_Composer` turns into nodes (libyaml's when PyYAML has it)."""


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
_EventLoader.yaml_implicit_resolvers = _ScriptLoader.yaml_implicit_resolvers


@dataclass
class SourceDoc:
    """A parsed file: its data, its text as read, and the 1-based line of each path into it."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    text: str = ""

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


class _Composer:
    """PyYAML's composer rebuilt on the parser's events, with limits PyYAML does not have.

    PyYAML composes recursively (``[[[[...`` thousands deep ends in RecursionError after seconds of
    work, and libyaml's composer may overflow the C stack) and has no bound on the number of nodes.
    This one stops at :data:`MAX_DEPTH` levels or :data:`MAX_VALUES` nodes, and at the start of a
    second document, as soon as it meets them.
    """

    def __init__(self, text: str, loader: type[yaml.SafeLoader] | None = None) -> None:
        # PyYAML's loaders are untyped (and libyaml's marks are a class of their own): keep them Any.
        self.loader: Any = (loader or _EventLoader)(text)
        self.anchors: dict[str, Node] = {}
        self.count = 0

    def first_document(self) -> Node | None:
        """The stream's single document; None when it has none (only comments)."""
        try:
            self._next()  # StreamStartEvent
            if self.loader.check_event(StreamEndEvent):
                return None
            self._next()  # DocumentStartEvent
            root = self._node(1)
            self._next()  # DocumentEndEvent
            if self.loader.check_event(DocumentStartEvent):
                raise _TooBig(self._peek(), "holds more than one YAML document")
            return root
        finally:
            self.loader.dispose()

    def _next(self) -> Any:
        return self.loader.get_event()

    def _peek(self) -> Any:
        return self.loader.peek_event()

    def _node(self, depth: int) -> Node:
        event = self._next()
        start: Any = event.start_mark
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooBig(event, f"more than {MAX_VALUES} values")
        if depth > MAX_DEPTH:
            raise _TooBig(event, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(event, AliasEvent):
            if event.anchor not in self.anchors:
                raise _TooBig(event, f"YAML syntax error: found undefined alias {event.anchor!r}")
            return self.anchors[event.anchor]
        node: Node
        if isinstance(event, ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
            node = ScalarNode(tag, event.value, start, start, style=event.style)
            self._anchor(event, node)
        elif isinstance(event, SequenceStartEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = self.loader.resolve(SequenceNode, None, event.implicit)
            node = SequenceNode(tag, [], start, None, flow_style=event.flow_style)
            self._anchor(event, node)
            while not self.loader.check_event(SequenceEndEvent):
                node.value.append(self._node(depth + 1))
            self._next()  # the end event: nodes here need only their start
        else:
            assert isinstance(event, MappingStartEvent)
            tag = event.tag
            if tag is None or tag == "!":
                tag = self.loader.resolve(MappingNode, None, event.implicit)
            node = MappingNode(tag, [], start, None, flow_style=event.flow_style)
            self._anchor(event, node)
            while not self.loader.check_event(MappingEndEvent):
                key = self._node(depth + 1)
                node.value.append((key, self._node(depth + 1)))
            self._next()  # the end event: nodes here need only their start
        return node

    def _anchor(self, event: Event, node: Node) -> None:
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.anchors[anchor] = node


class _Builder:
    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.count = 0
        self.constructor = _ScriptLoader("")

    def build(self, node: Node, loc: Loc | None, depth: int) -> Any:
        """Turn ``node`` into Python values; ``loc`` is None for mapping keys, which need no line."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooBig(node, f"more than {MAX_VALUES} values (do aliases expand too far?)")
        if depth > MAX_DEPTH:
            raise _TooBig(node, f"nested more than {MAX_DEPTH} levels deep")
        if loc is not None:
            self.doc.lines.setdefault(loc, node.start_mark.line + 1)
        if node.tag == "tag:yaml.org,2002:merge":
            raise _TooBig(node, "merge keys (<<) are not supported")
        if node.tag not in _ALLOWED_TAGS:
            raise _TooBig(
                node, f"the YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed in a script", loc
            )
        if isinstance(node, MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, None, depth + 1)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise _TooBig(key_node, f"a key must be text, not {type(key).__name__}")
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
        return self._scalar(node, loc)

    def _scalar(self, node: ScalarNode, loc: Loc | None) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # 2022-08-32, or an int of more than 4300 digits
            shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
            if node.tag == "tag:yaml.org,2002:timestamp":
                message = f"{shown!r} is not a valid date ({exc})"
            elif node.tag == "tag:yaml.org,2002:int":
                message = f"{shown!r} is too long a number"
            else:
                message = f"{shown!r} cannot be read ({exc})"
            raise _TooBig(node, message, loc) from None


class _TooBig(Exception):
    """A node the reader refuses, with its line and, when known, its place in the data."""

    def __init__(self, node: Node | Event, message: str, loc: Loc | None = None) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1 if node.start_mark else 1
        self.field = field_path(loc) if loc else ""
        self.message = message


def read_text(path: Path) -> str:
    """The file's text, or an :class:`InputError` that says plainly why it cannot be read.

    Only regular files are read, and never more than :data:`MAX_FILE_BYTES` of them: a FIFO, a device
    or a symbolic link to ``/dev/zero`` would otherwise block or read forever.
    """
    name = display_path(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise InputError([Problem(name, 0, "", "is a folder, not a file")])
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem(name, 0, "", "is not a regular file")])
        if info.st_size > MAX_FILE_BYTES:
            raise InputError([Problem(name, 0, "", _too_big(info.st_size))])
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError([Problem(name, 0, "", f"cannot be read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:  # it grew after stat()
        raise InputError([Problem(name, 0, "", _too_big(len(raw)))])
    if b"\0" in raw[:8192] or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError([Problem(name, 1, "", "is a binary file, not YAML text (save it as UTF-8)")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem(name, line, "", "is not valid UTF-8 text (save it as UTF-8)")]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as open() in text mode would read it


def _too_big(size: int) -> str:
    return f"is {size / 1e6:.1f} MB; a script may be at most {MAX_FILE_BYTES // 1024} KB"


def load_yaml(path: Path) -> SourceDoc:
    """Parse one script file into a :class:`SourceDoc`; every failure is an :class:`InputError`."""
    text = read_text(path)
    doc = SourceDoc(path=path, data=None, text=text)
    doc.data = parse_yaml(text, doc)
    return doc


def parse_yaml(text: str, doc: SourceDoc, loader: type[yaml.SafeLoader] | None = None) -> dict[str, Any]:
    """The mapping in ``text``, filling ``doc.lines``; every failure is an :class:`InputError`."""
    name = doc.name
    if not text.strip():
        raise InputError([Problem(name, 1, "", "is empty")])
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        message = f"holds the control character U+{ord(bad.group()):04X}, which YAML does not allow"
        raise InputError([Problem(name, line, "", message)])
    try:
        root = _Composer(text, loader).first_document()
        if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null") and not root.value):
            raise InputError([Problem(name, 1, "", "is empty")])
        data = _Builder(doc).build(root, (), 0)
    except _TooBig as exc:
        raise InputError([Problem(name, exc.line, exc.field, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        line, reason = _syntax_error(exc)
        raise InputError([Problem(name, line, "", f"YAML syntax error: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, 1, "", f"YAML error: {exc}")]) from None
    except (RecursionError, ValueError, TypeError) as exc:  # belt and braces: the limits above stop these
        raise InputError([Problem(name, 1, "", f"YAML error: {exc}")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(name, root.start_mark.line + 1, "", "must be a mapping of keys to values")])
    return data


def _syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """The line and wording of a syntax error, naming where the unfinished construct began.

    An unclosed quote or bracket is found only at the end of the file: the line where it opened is the
    one to show then.
    """
    problem_line = exc.problem_mark.line + 1 if exc.problem_mark else None
    context_line = exc.context_mark.line + 1 if exc.context_mark else None
    reason = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context and context_line and context_line != problem_line:
        if "end of stream" in exc.problem:
            return context_line, f"{exc.problem} {exc.context} that starts here"
        reason = f"{exc.problem} ({exc.context} that starts on line {context_line})"
    return problem_line or context_line or 1, reason
