"""Free text cleaned of people (issue 23): every name and e-mail they ever had, and each word of their names,
whole words only, ignoring case and accents; the decisions about short words, one by one."""

from __future__ import annotations

import pytest

from facilitator.exports.scrub import CODE, EMAIL, KEPT_WORDS, NAME, Scrubber, name_words


@pytest.fixture
def scrub() -> Scrubber:
    s = Scrubber()
    s.person(
        ["Dana Smith", "Dana Jones"],  # renamed during the run: both names are hers
        ["dana@example.org", "dana.jones@example.org"],
        ["k7f3a9c2", "12"],
        name="Participant 017",
        email="participant-017@example.invalid",
    )
    s.person(["Sofía Núñez de la Cruz"], ["sofia@example.org"], [], name="Participant 004", email="p4@x.invalid")
    s.person(["Li Wei"], ["li@example.org"], [], name="Participant 002", email="p2@x.invalid")
    s.person(["Nguyễn Thảo"], [], [], name="Participant 009", email="p9@x.invalid")
    s.person(["Grace Okafor"], [], [], name="Participant 001", email="p1@x.invalid")
    s.person(["Grace Okafor"], [], [], name="Participant 003", email="p3@x.invalid")  # a namesake
    s.stranger(["Amadou B.", "Dana Smith"], ["amadou@example.net"])  # a join request, a signature
    return s


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        # every name and e-mail she ever had, in any case: her pseudonym
        ("ask Dana Smith (dana@example.org)", "ask Participant 017 (participant-017@example.invalid)"),
        ("DANA JONES wrote to Dana.Jones@Example.org", "Participant 017 wrote to participant-017@example.invalid"),
        ("dana  smith and Dana\nJones", "Participant 017 and Participant 017"),  # any whitespace between
        # words of a name on their own, whole words only
        ("thanks Dana", f"thanks {NAME}"),
        ("dana's idea; Smith agreed", f"{NAME}'s idea; {NAME} agreed"),
        ("Danaë, Smithson and goldsmith", "Danaë, Smithson and goldsmith"),
        ("Dana Smithy", f"{NAME} Smithy"),  # the longest name that stands as a whole word
        # accents, either way round, and decomposed characters
        ("sofia NUNEZ said hi", f"{NAME} {NAME} said hi"),
        ("Sofi\u0301a said", f"{NAME} said"),
        ("Sofia Nunez de la Cruz", "Participant 004"),
        ("nguyen thao and Thảo", f"Participant 009 and {NAME}"),
        # a particle or an everyday word is scrubbed only within the full name; two letters are enough
        ("de la part de Li", f"de la part de {NAME}"),
        ("the Cruz family", f"the {NAME} family"),
        # a full name two people share names neither
        ("Grace Okafor said", f"{NAME} said"),
        ("grace period", f"{NAME} period"),  # a name part that is an ordinary word goes too
        # people never on the roster; a signed name that a participant had stays theirs
        ("Amadou B. asked; amadou@example.net", f"{NAME} asked; {EMAIL}"),
        # codes of four characters or more
        ("my code is K7F3A9C2, room 12", f"my code is {CODE}, room 12"),
        ("", ""),
    ],
)
def test_scrub(scrub: Scrubber, text: str, clean: str) -> None:
    assert scrub(text) == clean
    assert scrub(clean) == clean  # scrubbing twice changes nothing more


def test_name_words_and_the_words_kept() -> None:
    assert name_words("Jean-Pierre O'Neil de la Tour") == ["jean", "pierre", "neil", "tour", "jean-pierre", "o'neil"]
    assert name_words("J. R. Okafor") == ["okafor"]  # initials are not words
    assert name_words("Le Van An") == []  # each is an everyday word or a particle: only the full name goes
    assert {"de", "van", "bin", "le", "an", "do", "the"} <= KEPT_WORDS
    assert not {"dana", "li", "wu", "ng", "grace", "ben"} & KEPT_WORDS
