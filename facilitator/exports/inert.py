"""Nothing raw leaves the app: text from participants and scripts made inert in every file an export writes.

Two dangers, whoever wrote the text (a participant on the page, an organiser's roster, a script author):

- **Invisible characters.** Control characters (ANSI escape sequences rewrite a terminal that shows the
  file) and bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin reorder what a reader sees,
  the "Trojan Source" trick) are shown as visible escapes, in the form the app's terminals use
  (:func:`facilitator.text.printable`): ``\\u202e``, ``\\x1b``. Newlines and tabs stay; a Windows line end
  (CR LF) becomes a newline first. That is :func:`visible`, applied to every text cell of every table
  (CSV, JSON, XLSX) and to every value the reports (Markdown, HTML) show.
- **Formulas.** A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as
  a formula by a spreadsheet program (CSV injection). :func:`formula_safe` puts an apostrophe in front, which
  the spreadsheet shows as text and hides; it is applied to every text cell of a CSV file, and the
  workbook stores such cells as text with Excel's own quote prefix. The app's own words (statuses, ids,
  sources) never start with those characters, so only text from people and scripts is ever changed.

The raw event log is the one file kept exactly as recorded: there :func:`json_inert` writes the same
characters as JSON escapes (``"\\u202e"`` in the file), so a JSON reader gets the very text that was logged
and a person looking at the file sees the escape, never the effect.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline; DEL and the C1 controls; the Arabic letter mark; the left-to-right and
# right-to-left marks; line and paragraph separators; the bidi embeddings, overrides and isolates (U+202A-E,
# U+2066-9) and the deprecated format characters after them (U+206A-F).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u206f]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control and bidi character shown as an escape (``\\u202e``); newline and tab kept."""
    if text.isprintable():  # the usual case, checked in C: every character it escapes is unprintable
        return text
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return UNSAFE.sub(_escape, text)


def formula_safe(text: str) -> str:
    """``text`` made to stay text in a spreadsheet: an apostrophe before a leading ``=``, ``+``, ``-``, ``@``..."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_inert(text: str) -> str:
    """JSON text with each raw control or bidi character written as its JSON escape: the same data, inert.

    Such characters can only stand inside a JSON string (the syntax around them is plain ASCII), where
    ``\\u202e`` means exactly the character it replaces.
    """
    if text.isascii() and "\x7f" not in text:  # the usual case, checked in C: JSON escapes the other controls
        return text
    return UNSAFE.sub(_json_escape, text)
