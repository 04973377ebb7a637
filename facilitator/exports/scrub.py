"""Free text cleaned of people: every name and e-mail they ever had, and their names' words on their own.

Participants write about each other ("thanks Dana", "as amina said", "ask Amina Diallo
(amina@example.org)"), facilitators write notes, script authors write titles. For an anonymised export
:class:`Scrubber` replaces, in any text, whole words only, ignoring case and accents ("sofia" and "SOFÍA"
find "Sofía"; "Nguyen" finds "Nguyễn"):

- each full name and e-mail a participant ever had (the roster's, every rename's) by their pseudonym
  ("Participant 017", "participant-017@example.invalid"); a full name two people share by ``[name]``;
- every word of those names on its own ("Dana", "Smith") by ``[name]``: words of two letters or more
  (initials stay), except a short list of everyday words that are also name parts (:data:`KEPT_WORDS`:
  particles such as "de", "van", "bin" and English and French words such as "an", "le", "do"), which are
  replaced only as part of a full name: scrubbing "le" or "an" from every sentence would destroy the text
  and name nobody. A name part that is also an ordinary word ("Grace", "Hope", "May") is scrubbed
  everywhere: better an odd "[name] period" than a person named;
- names and e-mails of people who never were on the roster (join requests, names signed under
  reflections) by ``[name]`` and ``[e-mail]``, and their words as above;
- personal codes of four characters or more, by ``[code]``.

A name is found where it stands apart as a word; in scripts written without spaces between words (Chinese,
Japanese, Thai) only a name standing apart is.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

NAME = "[name]"
EMAIL = "[e-mail]"
CODE = "[code]"
MIN_WORD = 2  # letters: a name part shorter than this (an initial) is not scrubbed on its own
MIN_CODE = 4  # characters: a shorter code would match numbers everywhere
SEEN = 8192  # texts remembered with their scrubbed form
KEPT_WORDS = frozenset(
    {
        # particles of family names
        "af", "al", "av", "bin", "bint", "da", "das", "de", "del", "della", "den", "der", "des", "di", "do",
        "dos", "du", "el", "ibn", "la", "las", "le", "les", "lo", "los", "ould", "st", "ten", "ter", "van",
        "von", "zu",
        # everyday English and French words that are also name parts somewhere
        "an", "and", "as", "at", "au", "be", "by", "ce", "en", "et", "he", "if", "il", "in", "is", "it",
        "je", "ma", "me", "my", "ne", "ni", "no", "of", "on", "or", "ou", "sa", "se", "si", "so", "ta",
        "the", "to", "tu", "un", "up", "us", "we",
    }
)  # fmt: skip
_LETTERS = re.compile(r"[^\W\d_]+")
_EXTRA = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_EXTRA)


def fold(text: str) -> str:
    """``text`` lower-cased, without accents, compatibility forms spelled out: how names are compared."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


def _folded_with_owners(text: str) -> tuple[str, list[int] | None]:
    """:func:`fold` of ``text`` and, for each folded character, the index of the character it came from
    (None when they are the same, as for ASCII text)."""
    if text.isascii():
        return text.lower(), None
    pieces = []
    owners: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        pieces.append(folded)
        owners.extend([index] * len(folded))
    return "".join(pieces), owners


def name_words(name: str) -> list[str]:
    """The words of ``name`` scrubbed on their own, folded: of :data:`MIN_WORD` letters or more and not kept,
    and each hyphenated or apostrophised part whole ("jean-pierre" as well as "jean" and "pierre")."""
    folded = fold(name)
    words = [w for w in _LETTERS.findall(folded) if len(w) >= MIN_WORD and w not in KEPT_WORDS]
    for part in folded.split():
        inner = _LETTERS.findall(part)
        if len(inner) > 1 and any(w in words for w in inner):
            words.append(part.strip(".,;:!?()[]\"'"))
    return words


def _trie(keys: Iterable[str]) -> str:
    """One pattern for all ``keys``, as a prefix tree: at each place in a text the engine follows one branch
    per character instead of trying every name in turn (a thousand people's names cost little more than
    one). The longer of two keys wins ("amina diallo" over "amina"); a space in a key matches any run of
    whitespace."""
    tree: dict[str, Any] = {}
    for key in keys:
        node = tree
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}  # a key ends here

    def pattern(node: dict[str, Any]) -> str:
        branches = [(r"\s+" if c == " " else re.escape(c)) + pattern(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        either = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{either})?" if "" in node else either

    return pattern(tree)


def _key(text: str) -> str:
    return " ".join(fold(text).split())


class Scrubber:
    """Replacements for the names, e-mails and codes it is given; call it on any text."""

    def __init__(self) -> None:
        self._replacements: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._seen: dict[str, str] = {}  # titles, locations and ids come again and again

    def _put(self, text: str | None, replacement: str, generic: str) -> None:
        key = _key(text or "")
        if not key:
            return
        known = self._replacements.get(key)
        # Two people with the same name (or a name that is also someone's code): neither pseudonym, ever.
        self._replacements[key] = replacement if known in (None, replacement) else generic
        self._pattern = None

    def person(
        self, names: Iterable[str], emails: Iterable[str], codes: Iterable[str], *, name: str, email: str
    ) -> None:
        """A participant: every name and e-mail they ever had (replaced by ``name`` and ``email``), their codes."""
        for full in names:
            self._put(full, name, NAME)
        for address in emails:
            self._put(address, email, EMAIL)
        for code in codes:
            if len(code.strip()) >= MIN_CODE:
                self._put(code, CODE, CODE)
        self._words(names)

    def stranger(self, names: Iterable[str], emails: Iterable[str]) -> None:
        """Someone known only by a name or e-mail (a join request, a name signed under a reflection): replaced
        by ``[name]`` and ``[e-mail]``, unless a participant had it (then it is most likely theirs). Give the
        participants first."""
        names = list(names)
        for full, generic in [*((n, NAME) for n in names), *((e, EMAIL) for e in emails)]:
            key = _key(full)
            if key and key not in self._replacements:
                self._replacements[key] = generic
        self._words(names)

    def _words(self, names: Iterable[str]) -> None:
        for full in names:
            for word in name_words(full):
                self._replacements.setdefault(word, NAME)
        self._pattern = None

    def _compiled(self) -> re.Pattern[str]:
        if self._pattern is None:
            self._pattern = re.compile(r"(?<!\w)(?:" + (_trie(self._replacements) or "(?!)") + r")(?!\w)")
            self._seen.clear()
        return self._pattern

    def __call__(self, text: str) -> str:
        """``text`` with every name, e-mail and code this scrubber knows replaced."""
        if not text or not self._replacements:
            return text
        pattern = self._compiled()
        done = self._seen.get(text)
        if done is None:
            done = self._scrub(pattern, text)
            if len(self._seen) >= SEEN:
                self._seen.clear()
            self._seen[text] = done
        return done

    def _scrub(self, pattern: re.Pattern[str], text: str) -> str:
        folded, owners = _folded_with_owners(text)
        out = []
        last = 0
        for match in pattern.finditer(folded):
            start, end = match.span()
            if owners is not None:
                start, end = owners[start], owners[end - 1] + 1
                while end < len(text) and not _fold_char(text[end]):  # combining marks left of the name's end
                    end += 1
            out.append(text[last:start])
            out.append(self._replacements.get(" ".join(match.group().split()), NAME))
            last = end
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)
