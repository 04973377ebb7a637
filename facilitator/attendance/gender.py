"""Gender as organisers type it, folded to one value per gender so that "F", "Female" and "femme" count once.

Rosters come from spreadsheets in English and French, typed by hand: the same gender arrives as "F",
"Female", "woman", "Femme" or "FÉMININ". :func:`normalise_gender` maps the common spellings to one of
:data:`FEMALE`, :data:`MALE` or :data:`NON_BINARY`, whatever their case, accents or surrounding
punctuation ("F.", "(M)"). Anything else is kept as written (only stripped of surrounding whitespace) and
so stays a category of its own: a person's self-description is never guessed at or merged away.

A wrong mapping would silently put someone in another group, so only spellings that mean one gender in
English and in French are in the table; the import prints the mappings it applied
(:func:`describe_applied`), so an organiser sees each one.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from facilitator.text import printable

FEMALE = "female"
MALE = "male"
NON_BINARY = "non-binary"

_NOT_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Lower-case, without accents, inner runs of spaces and punctuation as one space, none around it."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain).strip()


# The spellings, written naturally; they are folded (see ``_fold``) when the table is built, so "non-binary"
# also covers "Non Binary", "non_binary" and "NON-BINARY", and "féminin" covers "Feminin" and "FÉMININ".
_SPELLINGS: dict[str, tuple[str, ...]] = {
    FEMALE: (
        "f",  # English female, French féminin/femme
        "female",
        "woman",
        "women",  # a heading or a pick-list value ("Women") copied into the cell
        # "w" is in: in a gender column it only ever stands for woman (English) or weiblich (German); no
        # language of these rosters uses it for a man. (Its other reading, "white", belongs to an ethnicity
        # column, not this one.) The printed mapping shows it if an organiser meant something else.
        "w",
        "femme",
        "femmes",
        "féminin",
        "féminine",  # and English "feminine": accents are folded away
        "fem",  # a common short form on forms; here it means female, not a gender expression
    ),
    MALE: (
        # "m" is in: male in English, masculin in French. It means *mujer* (female) on a Spanish H/M form,
        # but these rosters are English and French; a Spanish H/M roster would show "M" -> male in the
        # printed mapping.
        "m",
        "male",  # and French "mâle"
        "man",
        "men",
        "homme",
        "hommes",
        # "h" is in: homme in French (the usual H/F of French forms), hombre in Spanish; never a woman.
        "h",
        "masculin",
        "masculine",
        "masc",  # the counterpart of "fem"
    ),
    NON_BINARY: (
        "non-binary",
        "nonbinary",
        "nb",  # nota bene does not belong in a gender cell
        "non-binaire",
        "nonbinaire",
        "enby",
    ),
}
# Deliberately left out, so kept as written: "x" (the passport marker means unspecified or another gender,
# not non-binary as such), "other"/"autre", "prefer not to say"/"ne souhaite pas répondre" (a choice of
# its own, not a blank), "girl"/"boy", "femelle" (said of animals), and "-", "?", "n/a".
SPELLINGS: dict[str, str] = {_fold(s): value for value, spellings in _SPELLINGS.items() for s in spellings}


@functools.lru_cache(maxsize=1024)  # a roster repeats a handful of spellings thousands of times
def normalise_gender(value: str | None) -> str | None:
    """The one value for a gender as typed: "female", "male", "non-binary", else ``value`` stripped.

    Blank (``None``, empty or whitespace) gives ``None``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    return SPELLINGS.get(_fold(text), text)


class Applied(NamedTuple):
    """What one spelling became, and on how many rows."""

    value: str
    rows: int


def mapping_applied(values: Iterable[str | None]) -> dict[str, Applied]:
    """Each spelling in ``values`` that :func:`normalise_gender` changed (beyond stripping), with its value
    and count, grouped by value, the most frequent spelling first: ``{"F": Applied("female", 3), ...}``.

    Spellings kept as written, blanks, and values already in their normal form are not listed.
    """
    counts: dict[str, int] = {}
    for value in values:
        if value is None:
            continue
        written = value.strip()
        if normalise_gender(written) not in (None, written):
            counts[written] = counts.get(written, 0) + 1
    order = sorted(counts, key=lambda w: (SPELLINGS[_fold(w)], -counts[w], w))
    return {written: Applied(SPELLINGS[_fold(written)], counts[written]) for written in order}


def describe_applied(applied: dict[str, Applied]) -> str | None:
    """``gender: "F" -> female (3 rows), "Homme" -> male (1 row)``; ``None`` when nothing was mapped.

    A spelling is shown quoted, with any bidirectional override or control character in it as an escape
    (punctuation around a spelling is ignored when mapping, so such characters can come with it).
    """
    if not applied:
        return None
    parts = [
        f"{printable(json.dumps(written, ensure_ascii=False))} -> {value} ({rows} {'row' if rows == 1 else 'rows'})"
        for written, (value, rows) in applied.items()
    ]
    return "gender: " + ", ".join(parts)


NOT_STATED = "not stated"


def category(value: str | None) -> str:
    """The group a person counts in, in figures by gender: the normalised gender, lower-cased, or "not stated"."""
    return (normalise_gender(value) or "").lower() or NOT_STATED
