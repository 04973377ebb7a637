"""The attendance fold kept compact and checkpointed (issue 14).

``Attendance.dump`` then ``Attendance.load`` must give the same fold, for every read and for folding further,
wherever the log is cut; the compact intervals must read back exactly as the events gave them (equal times,
with the tzinfo ``from_text`` gave), as the fold of Interval objects it replaced did (``_reference`` below).
"""

from __future__ import annotations

import bisect
import json
import tracemalloc
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator.attendance.intervals import FORMAT, MARKS, SOURCES, Attendance, Interval, LinkChange, channel
from facilitator.record import events as ev
from facilitator.record.clock import from_text
from facilitator.record.events import Event
from tests.event_logs import T0, Log, text

JUBA = timezone(timedelta(hours=2))
EAT = timezone(timedelta(hours=3), "EAT")  # a time zone with a name (an event made in code, not read from text)
NEW_YORK = timezone(timedelta(hours=-4))
DAYS = (date(2022, 8, 22), date(2022, 8, 23))
LOCATIONS = ("hq", "juba", "nowhere")


def t(minutes: float, tz: tzinfo = UTC) -> datetime:
    return (T0 + timedelta(minutes=minutes)).astimezone(tz)


def scenario() -> list[Event]:
    """A log with a bit of everything the fold keeps, hand-edited oddities included."""
    log = Log()
    log.person("amina").person("kofi", "juba", gender="F")
    log.person("grace", "juba", email="shared@example.org").person("ladu", email="shared@example.org")
    log.add(ev.PARTICIPANT_UPDATED, {"participant": "kofi", "changes": {"location": "hq", "gender": "Male", "x": 1}})
    log.add(ev.PARTICIPANT_UPDATED, {"participant": "grace", "changes": {"name": "Grace L."}})  # takes ladu's e-mail
    log.add(ev.PARTICIPANT_UPDATED, {"participant": "nobody", "changes": {"name": "Ghost"}})
    log.person("amina", "juba")  # added twice: the first stays
    # The room: in, in again, out, out again, in from the page at another location (still in at the end).
    log.inn("amina", t(0)).inn("amina", t(5), "qr").out("amina", t(30)).out("amina", t(35), "qr")
    log.inn("amina", t(40), "qr", location="juba")
    # A zoom report imported afterwards, overlapping the room, then imported again; a covered check-in.
    for _ in range(2):
        log.inn("amina", t(-10), "zoom").out("amina", t(20), "zoom").inn("amina", t(25), "zoom").out(
            "amina", t(50), "zoom"
        )
    log.inn("amina", t(15), "zoom").out("amina", t(30), "zoom")
    # Teams: a back-dated stretch joining two, a check-out dated before its check-in.
    log.inn("kofi", t(60), "teams").out("kofi", t(90), "teams").inn("kofi", t(100), "teams").out(
        "kofi", t(120), "teams"
    )
    log.inn("kofi", t(50), "teams", location="juba").out("kofi", t(110), "teams")
    log.inn("kofi", t(130), "teams").out("kofi", t(125), "teams")
    log.inn("kofi", "not a time", "zoom").out("kofi", t(5), "zoom")  # no time to read: the event's own
    # Offsets other than Z; a back-dated stretch ending at the very instant the one it joins ends.
    log.inn("grace", t(0, JUBA)).out("grace", t(90))
    log.inn("grace", t(-60, JUBA)).out("grace", t(90, JUBA))
    log.inn("grace", t(100, NEW_YORK), "zoom")  # still in at the end
    # Naive times (a hand-made log), a location that is not text, a check-out with nothing open.
    log.inn("walk-in", "2022-08-22T09:00:00").out("walk-in", "2022-08-22T09:30:00")
    log.inn("ladu", t(0), "teams", location=["hq", "juba"]).out("ladu", t(10), "teams")
    log.inn("ladu", t(-20), "teams").out("ladu", t(0), "teams")  # back-dated, touching the next: not joined
    log.out("stranger", t(10))
    # Marks: set, changed, cleared; links: changes by two actors, one in another zone, a status that is not one.
    log.mark("amina", DAYS[0], "excused").mark("amina", DAYS[1], "late").mark("amina", DAYS[1], None)
    log.mark("kofi", DAYS[0], "absent").mark("kofi", DAYS[0], "maybe")
    log.link("juba", "connected", t(0)).link("juba", "dropped", t(10)).link("juba", "connected", t(25), "co")
    log.link("juba", "dropped", t(40, JUBA), "co").link("hq", "connected", t(1)).link("hq", "up", t(2))
    log.link("unmiss", "dropped", t(30, EAT)).link("unmiss", "connected", t(35, EAT))
    # Join requests: a repeat, a decision, a second decision, a decision that is not one, one for nobody.
    request = {"name": "Nyakim", "email": "n@example.org", "location": "juba"}
    log.add(ev.PARTICIPANT_REQUESTED, {"request": "r1", **request}, at=t(3))
    log.add(ev.PARTICIPANT_REQUESTED, {"request": "r2", **request, "name": "Deng"}, at=t(4, JUBA))
    log.add(ev.PARTICIPANT_REQUESTED, {"request": "r1", **request, "name": "Again"}, at=t(5))
    log.add(ev.PARTICIPANT_REQUEST_DECIDED, {"request": "r2", "decision": "approved", "participant": "deng"})
    log.add(ev.PARTICIPANT_REQUEST_DECIDED, {"request": "r2", "decision": "declined"}, actor="co")
    log.add(ev.PARTICIPANT_REQUESTED, {"request": "r3", **request, "location": "hq"}, at=t(6))
    log.add(ev.PARTICIPANT_REQUEST_DECIDED, {"request": "r3", "decision": "maybe"})
    log.add(ev.PARTICIPANT_REQUEST_DECIDED, {"request": "r9", "decision": "declined"})
    log.person("deng", "juba", source="walk-in")
    log.add("something.from.the.future", {"participant": "amina"})
    # More of the same after all that, so that a log cut late still has check-ins to fold.
    log.out("amina", t(70), "qr").inn("amina", t(-30), "facilitator").out("amina", t(45))
    log.inn("deng", t(50), "qr").out("deng", t(55), "facilitator").link("hq", "dropped", t(60), "co")
    log.add(ev.ATTENDANCE_CHECKED_IN, {"participant": "deng", "at": text(t(56))})  # no source: the facilitator's
    return log.events


def fold(events: Iterable[Event], attendance: Attendance | None = None) -> Attendance:
    attendance = attendance if attendance is not None else Attendance()
    for event in events:
        attendance.apply(event)
    return attendance


def json_only(value: Any) -> None:
    """Fails unless ``value`` is made of what JSON has (no tuples, no dates, text keys only)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), key
            json_only(item)
    elif isinstance(value, list):
        for item in value:
            json_only(item)
    else:
        assert value is None or isinstance(value, str | int | float | bool), repr(value)


def reload(attendance: Attendance) -> Attendance:
    """``attendance`` dumped and loaded back, through JSON text and one blob, as the run's checkpoint keeps it."""
    doc, parts = attendance.dump()
    json_only(doc)
    assert all(isinstance(part, bytes) for part in parts.values())
    whole = b"".join(parts.values())
    view, offset, sliced = memoryview(whole), 0, {}
    for name, part in parts.items():
        sliced[name] = view[offset : offset + len(part)]
        offset += len(part)
    return Attendance.load(json.loads(json.dumps(doc, ensure_ascii=False, allow_nan=False)), sliced)  # type: ignore[arg-type]


def zones(moment: datetime | None) -> Any:
    """What equality of datetimes does not compare: the tzinfo, and the wall time it shows."""
    return None if moment is None else (moment.tzinfo, moment.tzname(), moment.replace(tzinfo=None))


def reads(attendance: Attendance, now: datetime = T0 + timedelta(hours=3)) -> dict[str, Any]:
    """Everything a reader may ask the fold, with the tzinfo of every time in it."""
    people = [*attendance.participants(), *attendance.roster.by_id, "nobody"]
    places = [*attendance.links, *LOCATIONS]
    return {
        "participants": attendance.participants(),
        "intervals": {
            pid: [(iv, zones(iv.start), zones(iv.end)) for iv in attendance.intervals(pid)] for pid in people
        },
        "is_in": {(pid, s): attendance.is_in(pid, s) for pid in people for s in (None, *SOURCES)},
        "open_starts": {pid: [(s, zones(s)) for s in attendance.open_starts(pid)] for pid in people},
        "open_since": {(pid, s): zones(attendance.open_since(pid, s)) for pid in people for s in SOURCES},
        "marks": {(pid, day): attendance.mark(pid, day) for pid in people for day in DAYS},
        "marks_dict": list(attendance.marks.items()),
        "link_status": {loc: attendance.link_status(loc) for loc in places},
        "link_history": {loc: [(c, zones(c.at)) for c in attendance.link_history(loc)] for loc in places},
        "outages": {loc: [(a, zones(a), b, zones(b)) for a, b in attendance.outages(loc, now)] for loc in places},
        "roster": list(attendance.roster.by_id.items()),
        "by_email": [(email, person.id) for email, person in attendance.roster.by_email.items()],
        "roster_seq": attendance.roster.last_seq,
        "requests": [(r, zones(r.at)) for r in attendance.requests.by_id.values()],
        "pending": [attendance.requests.pending(loc) for loc in (None, *LOCATIONS)],
        "last_seq": attendance.last_seq,
    }


# -- the checkpoint ---------------------------------------------------------------------------------------


def test_a_fold_loaded_from_any_point_of_the_log_and_folded_on_is_the_fold_of_the_whole_log() -> None:
    events = scenario()
    whole = fold(events)
    expected_dump, expected_reads = whole.dump(), reads(whole)
    for cut in range(len(events) + 1):
        loaded = reload(fold(events[:cut]))
        assert reads(loaded) == reads(fold(events[:cut])), cut
        fold(events[cut:], loaded)
        assert loaded.dump() == expected_dump, cut
        assert reads(loaded) == expected_reads, cut


def test_a_fold_checkpointed_again_after_folding_on_is_still_the_same() -> None:
    events = scenario()
    expected = fold(events).dump()
    for first in range(0, len(events), 7):
        for second in range(first, len(events) + 1, 5):
            loaded = fold(events[first:second], reload(fold(events[:first])))
            assert fold(events[second:], reload(loaded)).dump() == expected, (first, second)


def test_the_scenario_reads_as_its_events_say() -> None:
    """The cases the scenario is there for: had the fold not kept them, the checkpoint tests would prove little."""
    attendance = fold(scenario())
    grace = attendance.intervals("grace")
    assert [(iv.start, iv.end, iv.source) for iv in grace] == [(t(-60), t(90), "facilitator"), (t(100), None, "zoom")]
    assert grace[0].start.tzinfo == JUBA and grace[0].end is not None and grace[0].end.tzinfo is UTC  # the joined one's
    assert grace[1].start.tzinfo == NEW_YORK and attendance.open_starts("grace")[0].tzinfo == NEW_YORK
    assert [(iv.start, iv.end) for iv in attendance.intervals("kofi") if iv.source == "teams"] == [
        (t(50), t(120)),
        (t(130), t(130)),
    ]
    assert [iv.start.tzinfo for iv in attendance.intervals("walk-in")] == [None]
    assert [(iv.start, iv.end, iv.location) for iv in attendance.intervals("ladu")] == [
        (t(-20), t(0), None),
        (t(0), t(10), ["hq", "juba"]),
    ]
    assert attendance.participants() == ["amina", "kofi", "grace", "walk-in", "ladu", "stranger", "deng"]
    assert attendance.intervals("stranger") == [] and attendance.is_in("amina", "zoom") is False
    assert [(c.status, c.actor, c.at.tzinfo) for c in attendance.link_history("juba")][-1] == ("dropped", "co", JUBA)
    assert attendance.outages("juba", t(45)) == [(t(10), t(25)), (t(40), t(45))]
    assert attendance.outages("hq", t(50)) == [(t(60), t(60))]  # asked before the drop: none yet
    assert [c.at.tzname() for c in attendance.link_history("unmiss")] == ["EAT", "EAT"]
    assert [attendance.link_status(loc) for loc in ("juba", "hq", "unmiss", "nowhere")] == [
        "dropped",
        "dropped",
        "connected",
        "not-joined",
    ]
    by_email = [(email, person.id) for email, person in attendance.roster.by_email.items()]
    assert by_email == [
        ("amina@example.org", "amina"),
        ("kofi@example.org", "kofi"),
        ("shared@example.org", "grace"),  # ladu's, until grace was updated: ladu has no entry now
        ("deng@example.org", "deng"),
    ]
    assert "ladu" in attendance.roster.by_id and attendance.roster.by_id["kofi"].gender == "male"
    assert [r.id for r in attendance.requests.pending()] == ["r1", "r3"]
    assert attendance.requests.by_id["r2"].decided_by == "lead" and attendance.requests.by_id["r2"].at.tzinfo == JUBA
    assert dict(attendance.marks) == {("amina", DAYS[0]): "excused"}


def test_the_same_fold_gives_the_same_dump() -> None:
    events = scenario()
    one, other = fold(events), fold(events)
    assert one.dump() == other.dump() == one.dump()
    assert json.dumps(one.dump()[0]) == json.dumps(reload(other).dump()[0])
    assert fold(events[:-1]).dump() != one.dump()


def test_the_dump_says_its_format_and_is_refused_in_another() -> None:
    doc, parts = fold(scenario()).dump()
    assert doc["format"] == FORMAT
    with pytest.raises(ValueError, match="format"):
        Attendance.load({**doc, "format": FORMAT + 1}, parts)


def test_parts_that_do_not_match_the_document_are_refused() -> None:
    doc, parts = fold(scenario()).dump()
    with pytest.raises(ValueError, match="shorter"):
        Attendance.load(doc, {**parts, "ends": parts["ends"][:-8]})
    with pytest.raises(ValueError, match="longer"):
        Attendance.load(doc, {**parts, "link_at": parts["link_at"] + bytes(8)})


def test_the_arrays_are_little_endian_microseconds_since_the_epoch() -> None:
    attendance = fold(Log().inn("amina", t(0)).out("amina", t(1)).events)
    _, parts = attendance.dump()
    micros = (t(0) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert parts["starts"] == micros.to_bytes(8, "little", signed=True)
    assert parts["ends"] == (micros + 60_000_000).to_bytes(8, "little", signed=True)


def test_an_empty_fold_dumps_and_loads() -> None:
    loaded = reload(Attendance())
    assert reads(loaded) == reads(Attendance()) and loaded.dump() == Attendance().dump()


def test_more_locations_and_actors_than_a_byte_can_number() -> None:
    log = Log()
    for n in range(300):
        log.inn("amina", t(2 * n), location=f"room {n}").out("amina", t(2 * n + 1))
        log.link("juba", ("connected", "dropped")[n % 2], t(n), actor=f"actor {n}")
    log.inn("amina", t(-5), location="hall").out("amina", t(3))  # back-dated, joining the first two
    log.inn("amina", t(700), "zoom", location="room 299").out("amina", t(710), "zoom")
    events = log.events
    whole = fold(events)
    assert len(whole.intervals("amina")) == 300 and whole.intervals("amina")[0].location == "hall"
    assert whole.link_history("juba")[-1] == LinkChange(t(299), "dropped", "actor 299")
    for cut in (0, 100, 550, 600, len(events) - 2, len(events)):
        loaded = fold(events[cut:], reload(fold(events[:cut])))
        assert loaded.dump() == whole.dump() and reads(loaded) == reads(whole), cut


def test_the_links_stay_a_mapping_of_histories_that_read_like_lists() -> None:
    attendance = fold(scenario())
    history = attendance.links["juba"]
    changes = attendance.link_history("juba")
    assert list(attendance.links) == ["juba", "hq", "unmiss"] and len(history) == 4
    assert history == changes and list(history) == changes and history[-1] == changes[-1] == history[3]
    assert history[1:3] == changes[1:3] and history[::-1] == changes[::-1]
    assert [c.status for c in history] == ["connected", "dropped", "connected", "dropped"]
    with pytest.raises(IndexError):
        history[4]
    assert reload(attendance).links["juba"] == history


# -- compact -------------------------------------------------------------------------------------------


def many(people: int, stretches: int) -> list[Event]:
    log = Log()
    for p in range(people):
        log.person(f"p{p}")
    for n in range(stretches):
        for p in range(people):
            log.inn(f"p{p}", t(10 * n + p / 7), "zoom").out(f"p{p}", t(10 * n + 5 + p / 7), "zoom")
            log.inn(f"p{p}", t(10 * n + 1), "qr").out(f"p{p}", t(10 * n + 2))
    return log.events


def traced(make: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        return made, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_folded_and_loaded_intervals_take_a_few_bytes_each() -> None:
    """The fold keeps arrays, not objects (about 17 bytes an interval, against some 200 as Interval objects)."""
    events = many(people=20, stretches=500)
    intervals = 20 * 500 * 2
    folded, size = traced(lambda: fold(events))
    assert size < 30 * intervals
    doc, parts = folded.dump()
    loaded, size = traced(lambda: Attendance.load(doc, parts))
    # Loading copies none of the parts' numbers: each track reads them in place until it changes (opening a
    # five-day run made some 3,000 arrays on the database thread while the app's modules imported, issue 14).
    assert size < 3 * intervals
    assert sum(len(loaded.intervals(f"p{p}")) for p in range(20)) == intervals
    later = Log().inn("p0", t(9_000), "zoom").out("p0", t(9_001), "zoom").events
    fold(later, loaded)  # p0's zoom track changes: it takes arrays of its own, the others read on in place
    assert [len(loaded.intervals(f"p{p}")) for p in range(3)] == [1001, 1000, 1000]
    assert loaded.dump() == fold([*events, *later]).dump()


# -- against the fold it replaced -------------------------------------------------------------------------


def _reference(events: Iterable[Event]) -> dict[str, dict[str, tuple[list[Interval], Interval | None]]]:
    """Check-ins folded as the fold of Interval objects did, before intervals were kept compact."""
    tracks: dict[str, dict[str, tuple[list[Interval], Interval | None]]] = {}
    for event in events:
        p = event.payload
        if event.kind not in (ev.ATTENDANCE_CHECKED_IN, ev.ATTENDANCE_CHECKED_OUT):
            continue
        source = p.get("source") or "facilitator"
        by_channel = tracks.setdefault(p["participant"], {})
        closed, opened = by_channel.get(channel(source), ([], None))
        at = from_text(p["at"])
        if event.kind == ev.ATTENDANCE_CHECKED_IN and opened is None:
            index = bisect.bisect_right([iv.start for iv in closed], at)
            if not closed or at >= closed[-1].end or not (index and at < closed[index - 1].end):  # type: ignore[operator]
                opened = Interval(at, None, source, p.get("location"))
        elif event.kind == ev.ATTENDANCE_CHECKED_OUT and opened is not None:
            new = Interval(opened.start, max(at, opened.start), opened.source, opened.location)
            kept = []
            for iv in closed:
                assert iv.end is not None and new.end is not None
                if iv.start < new.end and new.start < iv.end:
                    new = Interval(min(iv.start, new.start), max(iv.end, new.end), new.source, new.location)
                else:
                    kept.append(iv)
            bisect.insort(kept, new, key=lambda iv: iv.start)
            closed, opened = kept, None
        by_channel[channel(source)] = (closed, opened)
    return tracks


minute = st.integers(min_value=0, max_value=20)  # few enough that stretches meet, touch and overlap
a_zone = st.sampled_from([UTC, JUBA, NEW_YORK])
someone = st.sampled_from(["amina", "kofi"])
a_source = st.sampled_from([None, "facilitator", "qr", "zoom"])
check_ins = st.tuples(st.just("in"), someone, a_source, minute, a_zone, st.sampled_from([None, "hq", "juba"]))
check_outs = st.tuples(st.just("out"), someone, a_source, minute, a_zone)
operation = st.one_of(
    check_ins,
    check_outs,
    st.tuples(st.just("mark"), someone, st.sampled_from(DAYS), st.sampled_from([*MARKS, None])),
    st.tuples(
        st.just("link"),
        st.sampled_from(["hq", "juba"]),
        st.sampled_from(["connected", "dropped", "up"]),
        minute,
        a_zone,
    ),
    st.tuples(st.just("person"), someone, st.sampled_from(["hq", "juba"]), st.booleans()),
)
# Check-ins and check-outs by one person on one channel: back-dated stretches that join, touch or are covered.
one_channel = st.lists(
    st.one_of(
        st.tuples(st.just("in"), st.just("amina"), st.sampled_from([None, "qr"]), minute, a_zone, st.just(None)),
        st.tuples(st.just("out"), st.just("amina"), st.sampled_from([None, "qr"]), minute, a_zone),
    ),
    max_size=30,
)


def events_of(operations: list[tuple[Any, ...]]) -> list[Event]:
    log = Log()
    for op in operations:
        if op[0] == "in":
            log.inn(op[1], t(op[3], op[4]), op[2], op[5])
        elif op[0] == "out":
            log.out(op[1], t(op[3], op[4]), op[2])
        elif op[0] == "mark":
            log.mark(op[1], op[2], op[3])
        elif op[0] == "link":
            log.link(op[1], op[2], t(op[3], op[4]), actor=f"actor {op[3] % 3}")
        elif op[3]:
            log.add(ev.PARTICIPANT_UPDATED, {"participant": op[1], "changes": {"location": op[2], "email": "same@x"}})
        else:
            log.person(op[1], op[2], email="same@x")
    return log.events


bound = st.one_of(st.none(), minute.map(t), st.tuples(minute, a_zone).map(lambda m: t(m[0] - 0.5, m[1])))


@settings(deadline=None, max_examples=300)
@given(st.one_of(st.lists(operation, max_size=40), one_channel), bound, bound)
def test_compact_intervals_are_those_of_the_fold_they_replaced(
    operations: list[tuple[Any, ...]], since: datetime | None, until: datetime | None
) -> None:
    events = events_of(operations)
    attendance = fold(events)
    for pid, by_channel in _reference(events).items():
        expected = sorted(
            [iv for closed, opened in by_channel.values() for iv in [*closed, *([opened] if opened else [])]],
            key=lambda iv: (iv.start, iv.source),
        )
        found = attendance.intervals(pid)
        assert found == expected
        assert [(zones(iv.start), zones(iv.end)) for iv in found] == [
            (zones(iv.start), zones(iv.end)) for iv in expected
        ]
        between = [
            iv for iv in expected if (since is None or iv.start >= since) and (until is None or iv.start < until)
        ]
        assert attendance.intervals(pid, since=since, until=until) == between
        assert attendance.intervals(pid, since) == [iv for iv in expected if since is None or iv.start >= since]
        for start in {iv.start for iv in expected}:  # bounds right at a start
            assert attendance.intervals(pid, since=start) == [iv for iv in expected if iv.start >= start]
            assert attendance.intervals(pid, until=start) == [iv for iv in expected if iv.start < start]
        opens = [opened.start for _, opened in by_channel.values() if opened is not None]
        assert [zones(s) for s in attendance.open_starts(pid)] == [zones(s) for s in opens]
        for source in SOURCES:
            _, opened = by_channel.get(channel(source), ([], None))
            assert attendance.is_in(pid, source) == (opened is not None)
            assert zones(attendance.open_since(pid, source)) == zones(opened.start if opened else None)


@settings(deadline=None, max_examples=300)
@given(st.one_of(st.lists(operation, max_size=40), one_channel), st.data())
def test_any_checkpoint_folded_on_is_the_fold_of_the_whole_log(operations: list[tuple[Any, ...]], data: Any) -> None:
    events = events_of(operations)
    cut = data.draw(st.integers(min_value=0, max_value=len(events)))
    whole = fold(events)
    loaded = fold(events[cut:], reload(fold(events[:cut])))
    assert loaded.dump() == whole.dump()
    assert reads(loaded) == reads(whole)
