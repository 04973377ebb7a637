"""Anonymisation as a property of the export (issue 23): whatever happened in the run, no identifying value of
the identified export occurs anywhere in any file of the anonymised one.

Runs are generated and driven through the session engine on a fake clock: a roster with codes, renames
(name and e-mail), join requests approved or declined, a facilitator's SSH address, breakout groups (made, a
late arrival added, a move, ended; their call a link or a room named after someone), the workshop folder's
path, and free text (reflections, their edits, notes) that mentions people by every name and e-mail they
ever had, by first or family name alone, in any case, with or without accents. The identifying values are
read back from the identified export's event log; the anonymised export is searched file by file (the
workbook part by part), ignoring case and accents: ids, e-mails, codes, addresses and paths anywhere, names
and their words wherever they stand as words.
"""

from __future__ import annotations

import copy
import html
import json
import re
import tempfile
import unicodedata
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.exports.run import export
from facilitator.exports.scrub import KEPT_WORDS
from facilitator.live.session import Session
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME

GIVEN = ["Amina", "Dana", "Sofía", "Zoë", "Jean-Pierre", "Nyakim", "Kofi", "Thảo", "Wu", "Björn", "Chloé", "Ngozi"]
FAMILY = ["Diallo", "Núñez", "Moreau", "Okafor", "Nguyễn", "Akello", "O'Neil", "de Souza", "Ng", "Søndergaard"]
GENDERS = ["female", "male", "non-binary", "Two-Spirit", None]
TEMPLATES = [
    "thanks {m}",
    "{m} said hi",
    "as {m} put it: budgets need gender markers",
    "ask {m}, please",
    "{m}'s idea was good",
    "({m})",
]
START = datetime(2022, 8, 22, 6, 50, tzinfo=UTC)


def plain(text: str) -> str:
    """The test's own folding (not the exporter's): case and accents ignored."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", plain(text))


Name = tuple[str, str]
names = st.tuples(st.sampled_from(GIVEN), st.sampled_from(FAMILY))


@st.composite
def runs(draw: st.DrawFn) -> dict[str, Any]:
    people = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    count = len(people)
    return {
        "people": [
            {
                "name": name,
                "location": draw(st.sampled_from(["hq", "juba"])),
                "gender": draw(st.sampled_from(GENDERS)),
                "code": "k" + draw(st.text("0123456789abcdef", min_size=11, max_size=11)),
                "in": draw(st.booleans()),
            }
            for name in people
        ],
        "renames": draw(st.lists(st.tuples(st.integers(0, count - 1), names), max_size=3)),
        "requests": draw(st.lists(st.tuples(names, st.booleans()), max_size=2)),
        # (template, whose name: an index into everyone's names ever, which form of it, signed by whom)
        "texts": draw(
            st.lists(
                st.tuples(
                    st.integers(0, len(TEMPLATES) - 1),
                    st.integers(0, 50),
                    st.integers(0, 9),
                    st.sampled_from([None, "full", "given"]),
                    st.booleans(),
                ),
                min_size=1,
                max_size=6,
            )
        ),
        "address": draw(st.integers(1, 254)),
        # breakout groups of two (when two or more are in): each group's call, none, a link or a room named after
        # someone (a name in free text), then a late arrival added, a move and the end
        "call": draw(st.sampled_from([None, "https://meet.example.org/wps-{n}", "named"])),
    }


def _form(name: Name, email: str, which: int) -> str:
    given_name, family = name
    full = f"{given_name} {family}"
    forms = [
        full,
        full.upper(),
        full.lower(),
        "".join(c for c in unicodedata.normalize("NFKD", full) if not unicodedata.combining(c)),
        given_name,
        given_name.lower(),
        given_name.upper(),
        family,
        email,
        email.upper(),
    ]
    return forms[which]


def with_questions() -> dict[str, Any]:
    """The tiny workshop with a named poll on its first step and an anonymous comment on its reflection step."""
    data = copy.deepcopy(TINY_PROGRAMME)
    intro = data["exercises"][0]["steps"][0]
    intro["questions"] = [
        {
            "id": "where",
            "type": "single",
            "text": "Where do you work?",
            "anonymous": False,
            "options": [{"id": "hq", "text": "HQ"}, {"id": "field", "text": "A mission"}],
        }
    ]
    write = data["exercises"][1]["steps"][0]
    write["questions"] = [{"id": "useful", "type": "text", "text": "What was most useful?"}]
    return data


def drive(folder: Path, scenario: dict[str, Any]) -> tuple[Path, FakeClock]:
    clock = FakeClock(START)
    db = folder / "run.db"
    programme = Programme.validate(with_questions())
    Store.create(db, programme, actor="lead", clock=clock, source=folder / "workshop").close()
    with Store.open(db, clock=clock) as store:
        s = Session(store, actor="lead")
        s.announce(address=f"198.51.100.{scenario['address']}")
        ever: list[tuple[Name, str]] = []  # every (name, e-mail) anyone had, to mention
        ids = []
        for i, person in enumerate(scenario["people"]):
            name = person["name"]
            email = f"{slug(name[0])}.{slug(name[1])}.{i}@example.org"
            added = s.add_participant(
                f"{name[0]} {name[1]}",
                email,
                person["location"],
                gender=person["gender"],
                code=person["code"],
                role="Civil Affairs Officer",
            )
            ids.append(added.payload["participant"])
            ever.append((name, email))
        clock.advance(timedelta(minutes=10))
        s.next_step()
        for pid, person in zip(ids, scenario["people"], strict=True):
            if person["in"]:
                s.check_in(pid, source="qr")
                s.answer("where", respondent=pid, participant=pid, location=person["location"], choices=["hq"])
        for n, (index, new) in enumerate(scenario["renames"]):
            email = f"{slug(new[0])}.{slug(new[1])}.r{n}@mission.example"
            if s.edit_participant(ids[index], name=f"{new[0]} {new[1]}", email=email) is not None:
                ever.append((new, email))
        for n, (name, approve) in enumerate(scenario["requests"]):
            email = f"{slug(name[0])}.{slug(name[1])}.q{n}@example.net"
            request = s.request_to_join(f"{name[0]} {name[1]}", email, "hq")
            s.decide_request(request.payload["request"], approve)
            ever.append((name, email))
        breakout_groups(s, ids, scenario, ever)
        clock.advance(timedelta(minutes=20))
        s.next_step()
        s.next_step()  # the step with a reflection prompt
        for template, whose, which, signer, consent in scenario["texts"]:
            name, email = ever[whose % len(ever)]
            text = TEMPLATES[template].format(m=_form(name, email, which))
            signed = {None: None, "full": f"{name[0]} {name[1]}", "given": name[0]}[signer]
            author = ids[whose % len(ids)] if signed else None
            logged = s.log_reflection(text, participant=signed, consent=consent, participant_id=author, source="qr")
            if which % 3 == 0:
                s.edit_reflection(logged.payload["reflection"], text=text + " (edited)")
            s.send_note(f"note: {text}")
            # the same words as a comment on the anonymous question, from a phone's random ballot
            s.answer("useful", respondent=f"ballot{len(text)}x{which}{whose}", text=text, consent=consent)
        clock.advance(timedelta(minutes=5))
    return db, clock


def breakout_groups(s: Session, ids: list[str], scenario: dict[str, Any], ever: list[tuple[Name, str]]) -> None:
    """Groups of the people checked in, if two are; a late arrival added to the smallest; a move; the end."""
    here = list(s.here_now())
    late = [pid for pid in ids if pid not in here]
    if len(here) + len(late[:1]) < 2:
        return
    if len(here) < 2:  # one person in: the late arrival comes in time for the groups
        s.check_in(late.pop(0), source="qr")
    call = scenario["call"]
    if call == "named":
        call = f"Sala {ever[0][0][0]} {{n}}"  # a room named after someone: a name in free text
    made = s.make_groups(size=2, call_pattern=call, seed=len(here)).payload
    if late:
        s.check_in(late[0], source="qr")
        s.add_to_smallest(late[0])
    if len(made["groups"]) > 1:
        s.move_to_group(made["groups"][0]["members"][0], 2)
    s.end_groups()


def identifying_values(events_jsonl: str) -> tuple[set[str], set[str]]:
    """(values that must not occur anywhere, names that must not occur as words) in an identified event log."""
    anywhere: set[str] = set()
    names_: set[str] = set()
    for line in events_jsonl.splitlines():
        event = json.loads(line)
        p = event["payload"]
        anywhere.add(event["id"])
        kind = event["kind"]
        for key in ("reflection", "request", "note", "participant_id", "respondent"):
            if isinstance(p.get(key), str):
                anywhere.add(p[key])
        if kind.startswith(("participant.", "attendance.", "answer.", "groups.")) and isinstance(
            p.get("participant"), str
        ):
            anywhere.add(p["participant"])  # an id there; under a reflection, the name it is signed with
        if kind.startswith("groups."):
            anywhere.add(p["grouping"])
            anywhere.update(member for group in p.get("groups") or () for member in group["members"])
        fields = p.get("changes", p) if kind.startswith("participant.") else {}
        for key in ("email", "code"):
            if isinstance(fields.get(key), str):
                anywhere.add(fields[key])
        if kind.startswith("participant.") and isinstance(fields.get("name"), str):
            names_.add(fields["name"])
        if kind.startswith("reflection.") and isinstance(p.get("participant"), str):
            names_.add(p["participant"])
        for key in ("from", "source"):
            if kind in ("facilitator.joined", "run.created") and isinstance(p.get(key), str):
                anywhere.add(p[key])
    words = {w for n in names_ for w in re.findall(r"[^\W\d_]+", plain(n)) if len(w) >= 2 and w not in KEPT_WORDS}
    return anywhere, names_ | words


def everything(folder: Path) -> dict[str, str]:
    """Every file's text; the workbook's XML parts one by one; HTML and XML also as their text alone."""
    found: dict[str, str] = {}
    for path in folder.iterdir():
        parts = {}
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                parts = {f"{path.name}:{part}": book.read(part).decode("utf-8") for part in book.namelist()}
        else:
            parts = {path.name: path.read_text(encoding="utf-8-sig")}
        for where, text in parts.items():
            found[where] = text
            if where.endswith((".html", ".xml", ".rels")):
                bare = re.sub(r"<style.*?</style>|<[^>]+>", " ", text, flags=re.DOTALL)
                found[where + " (text)"] = html.unescape(bare)
    return found


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=runs())
def test_no_identifying_value_of_the_identified_export_occurs_in_the_anonymised_one(scenario: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db, clock = drive(folder, scenario)
        export(db, folder / "identified", now=clock.now(), formats=["csv"])
        export(db, folder / "anonymised", now=clock.now(), anonymise=True)
        log = (folder / "identified" / "events.jsonl").read_text(encoding="utf-8")
        anywhere, as_words = identifying_values(log)
        assert str(folder / "workshop") in anywhere and any("@" in value for value in anywhere)  # not vacuous
        files = everything(folder / "anonymised")
        assert len(files) > 20
        assert '"answer.given"' in log and "answers.csv" in files and "evaluation_comments.csv" not in files
        grouped = '"groups.made"' in log
        # groups whenever two people can be: one checked in and a late arrival make the smallest groups
        assert grouped == (len(scenario["people"]) >= 2 and any(person["in"] for person in scenario["people"]))
        assert "groups.csv" in files and "groups.json" in files
        if grouped:  # the table holds the rows the property looks in
            assert len(files["groups.csv"].splitlines()) > 2 and '"groups.ended"' in log
        for where, text in files.items():
            folded = plain(text)
            for value in anywhere:
                assert plain(value) not in folded, f"{value!r} in {where}"
            for value in as_words:
                pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, plain(value).split())) + r"(?!\w)"
                assert not re.search(pattern, folded), f"{value!r} in {where}"
