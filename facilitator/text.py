"""Text from strangers, made safe to show: control characters become visible escapes.

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
