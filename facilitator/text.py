"""Text from strangers, made safe to show: control characters become visible escapes (and a facilitator's name
checked as the log records it, :func:`clean_name`).

Markup is handled by rendering text as plain ``Text``; this module handles what markup escaping
cannot: ANSI escape sequences, terminal control codes and bidirectional overrides that could
rewrite the screen or reorder what a reader sees.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character (other than newline and tab) shown as an escape."""
    return _UNSAFE.sub(_escape, text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_NAME_CHARS = 80


def clean_name(value: str) -> str:
    """A facilitator's name as the log records it: trimmed, one line, not empty, not too long."""
    text = value.strip()
    if not text:
        raise ValueError("cannot be empty")
    if len(text) > MAX_NAME_CHARS:
        raise ValueError(f"may be at most {MAX_NAME_CHARS} characters")
    if _CONTROL.search(text):
        raise ValueError("contains control characters")
    return text


_LIST_ITEM = re.compile(r"^\s*(?:[-*•]\s|\d+[.)]\s|[A-Za-z][.)]\s)")


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of each paragraph, keeping blank lines, list items and indented lines.

    Script authors wrap long text in their editor; the screen should wrap it to its own width instead.
    """
    out: list[str] = []
    for line in text.strip().splitlines():
        stripped = line.strip()
        joinable = (
            out
            and out[-1]
            and stripped
            and not _LIST_ITEM.match(line)
            and not line.startswith((" ", "\t"))
            and not out[-1].endswith(":")
        )
        if joinable:
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(line.rstrip())
    return "\n".join(out)
