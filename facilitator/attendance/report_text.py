"""A report file as rows of cells: its encoding and separator, as the services write them and as Excel re-saves them.

Teams downloads UTF-16 with a byte order mark, tab-separated; Zoom exports UTF-8 CSV. Once opened in
Excel and saved again, either may come back as UTF-8 with a BOM ("CSV UTF-8"), as UTF-16 and tabs
("Unicode text"), or comma- or semicolon-separated (the list separator of the machine's region), with
CRLF line ends and every row padded to the widest one with empty cells.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from facilitator.problems import InputError, Problem

Record = tuple[int, list[str]]  # the line the row starts on, its cells

DELIMITERS = ("\t", ";", ",")


def decode(data: bytes, file: str) -> str:
    """The text of a report: UTF-16 by its BOM or by its NUL bytes, else UTF-8 with or without a BOM."""
    encoding = _encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode(encoding, errors="replace")
        line = before.count("\n") + 1
        shown = " ".join(f"0x{b:02x}" for b in data[exc.start : min(exc.end, exc.start + 4)])
        expected = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
        advice = "save the report as UTF-8 CSV (Zoom) or download it again (Teams) and retry"
        message = f"byte {shown} is not {expected}; {advice}"
        raise InputError([Problem(file, line, "encoding", message)]) from None


def _encoding(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        return "utf-16-le"
    if len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1] != 0:
        return "utf-16-be"
    return "utf-8-sig"


@dataclass(frozen=True)
class Table:
    """A report's rows, split by the separator that found its participant list (or the likeliest one)."""

    records: list[Record]
    delimiter: str


def read_table(text: str, file: str, has_header: Callable[[Sequence[Record]], bool]) -> Table:
    """The file's rows, split by the separator under which ``has_header`` finds a participant list.

    Each separator is tried, because a cell may hold the others (``"9/4/2020, 11:57:51 AM"`` in a
    semicolon file); when none finds a list, the likeliest one is kept, for the message that says so.
    """
    failures: dict[str, Problem] = {}
    tables: dict[str, Table] = {}
    for delimiter in DELIMITERS:
        try:
            table = Table(_records(text, delimiter, file), delimiter)
        except InputError as exc:
            failures[delimiter] = exc.problems[0]
            continue
        if has_header(table.records):
            return table
        tables[delimiter] = table
    likeliest = _likeliest_delimiter(text)
    if likeliest in tables:
        return tables[likeliest]
    if likeliest in failures:
        raise InputError([failures[likeliest]])
    return next(iter(tables.values()))


def _records(text: str, delimiter: str, file: str) -> list[Record]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[Record] = []
    start = 1
    try:
        for fields in reader:
            records.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError([Problem(file, reader.line_num, "row", f"cannot be read as CSV: {exc}")]) from None
    return records


def _likeliest_delimiter(text: str) -> str:
    """The separator the first lines use most (tab first on a tie: no name holds one)."""
    head = "\n".join([line for line in text.splitlines() if line.strip()][:20])
    return max(DELIMITERS, key=lambda d: (head.count(d), -DELIMITERS.index(d)))


def filled(cells: Sequence[str]) -> list[str]:
    """The cells up to the last non-empty one: Excel pads rows with empty cells to the widest row."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return list(cells[:end])
