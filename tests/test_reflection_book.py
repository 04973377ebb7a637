"""The reflections kept in columns (facilitator.live.reflection_book): read as the dict they replace."""

from __future__ import annotations

import gc
import json
import random
import sys
import tracemalloc
import zlib
from array import array
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from facilitator.live import reflection_book
from facilitator.live.reflection_book import FORMAT, Reflection, ReflectionBook
from facilitator.live.state import Reflection as StateReflection
from facilitator.live.state import SessionState, apply, fold
from facilitator.record import events as ev
from facilitator.record.clock import from_text
from facilitator.record.events import Event

T0 = datetime(2022, 8, 22, 7, 0, tzinfo=UTC)
DAYS = (date(2022, 8, 22), date(2022, 8, 23), date(2022, 8, 24), None)
UTC_FROM_TEXT = from_text("2022-08-22T07:00:00.000000Z").tzinfo


def refl(rid: str, text: str = "t", day: date | None = DAYS[0], at: datetime = T0, **changes: Any) -> Reflection:
    r = Reflection(
        id=rid,
        text=text,
        day=day,
        exercise="gender-analysis",
        step="reflect",
        prompt="What will you take away?",
        participant=None,
        location="juba",
        consent=False,
        logged_at=at,
        logged_by="lead",
    )
    return replace(r, **changes)


def book_of(*reflections: Reflection) -> ReflectionBook:
    return ReflectionBook().with_changes({r.id: r for r in reflections})


def naive_latest(model: dict[str, Reflection], day: date | None, n: int) -> list[Reflection]:
    shown = [r for r in model.values() if not r.retracted and not r.hidden and r.day == day]
    return shown[-n:] if n > 0 else []


def naive_newest(model: dict[str, Reflection]) -> list[Reflection]:
    return sorted(model.values(), key=lambda r: r.logged_at, reverse=True)


def naive_names(model: dict[str, Reflection]) -> list[str]:
    return list(dict.fromkeys(r.participant for r in naive_newest(model) if r.participant is not None))


def naive_select(model: dict[str, Reflection], **asked: Any) -> list[Reflection]:
    """The reflections screen's filters (facilitator.tui.screens.reflections.Filters.keep), newest first."""
    needle = asked.get("search", "").strip().casefold()

    def keep(r: Reflection) -> bool:
        if (r.retracted or r.hidden) and not asked.get("left_out", False):
            return False
        for field in ("day", "exercise", "location"):
            if asked.get(field) is not None and getattr(r, field) != asked[field]:
                return False
        return not needle or needle in f"{r.text}\n{r.participant or ''}".casefold()

    return [r for r in naive_newest(model) if keep(r)]


# What the reflections screen asks for: every filter, searches that match many, few, names, texts that fold
# otherwise ("Straße": "strasse"), across the text and the name, but never across two texts.
SELECTIONS: list[dict[str, Any]] = [
    {},
    {"left_out": True},
    {"day": DAYS[0]},
    {"day": DAYS[1], "left_out": True},
    {"day": date(2030, 1, 1)},
    {"exercise": "gender-analysis", "location": "juba"},
    {"exercise": "nope"},
    {"location": "hq", "left_out": True},
    {"search": "  TEXT "},
    {"search": "text 0", "left_out": True},
    {"search": "strasse", "day": DAYS[2]},
    {"search": "ß"},
    {"search": "zoë", "left_out": True},
    {"search": "ADA"},
    {"search": "🙂\nchen"},
    {"search": "\n\nzoë"},
    {"search": "🙂text"},
    {"search": "weiText"},
    {"search": "x", "day": DAYS[3], "exercise": "gender-analysis", "location": "juba"},
]


def assert_reads_as(book: ReflectionBook, model: dict[str, Reflection]) -> None:
    """Every way of reading ``book`` gives what the dict ``model`` gives."""
    assert len(book) == len(model)
    assert list(book) == list(model)
    assert list(book.keys()) == list(model.keys())
    assert list(book.values()) == list(model.values())
    assert list(book.items()) == list(model.items())
    assert dict(book) == model and book == model
    for rid, r in model.items():
        assert rid in book and book[rid] == r and book.get(rid) == r
    for missing in ("nope", "0" * 31, "f" * 33, "F" * 32, 7):
        if missing not in model:
            assert missing not in book and book.get(missing) is None  # type: ignore[arg-type]
    assert book.visible() == [r for r in model.values() if not r.retracted and not r.hidden]
    for day in DAYS:
        for n in (0, 1, 2, 5, len(model) + 1):
            assert book.latest_visible(day, n) == naive_latest(model, day, n), (day, n)
    assert book.names_used() == naive_names(model)
    left_out = [r for r in model.values() if r.retracted or r.hidden]
    assert book.counts() == (len(model), sum(r.retracted for r in left_out), sum(not r.retracted for r in left_out))
    for asked in SELECTIONS:
        chosen, naive = book.select(**asked), naive_select(model, **asked)
        assert list(chosen) == naive and len(chosen) == len(naive), asked
        assert chosen[1:4] == naive[1:4] and chosen[-2:] == naive[-2:]
        for at in {0, len(naive) // 2, len(naive) - 1} if naive else ():
            assert chosen.place(naive[at].id) == at
        for r in model.values():
            if r not in naive:
                assert chosen.place(r.id) is None
                break


def round_trip(book: ReflectionBook) -> ReflectionBook:
    """``book`` dumped, through JSON and bytes as a checkpoint keeps it, and loaded."""
    doc, parts = book.dump()
    return ReflectionBook.load(json.loads(json.dumps(doc)), {name: bytes(part) for name, part in parts.items()})


def random_history(rng: random.Random, size: int, ids: list[str]) -> list[dict[str, Reflection]]:
    """Batches of changes, as folds and single events give them: new reflections, edits, hides, retractions."""
    model: dict[str, Reflection] = {}
    batches = []
    names = [None, "Ada", "Chen Wei", "Zoë", "عائشة"]
    texts = ["text {} 🙂", "Text {}", "STRASSE {}", "Straße {}", ""]
    for at_minute in range(size):
        batch: dict[str, Reflection] = {}
        for _ in range(rng.choice([1, 1, 1, 2, 5, 40])):
            at = T0 + timedelta(minutes=at_minute, microseconds=rng.randrange(10**6))
            if not model or rng.random() < 0.6:
                rid = ids[len(model)]
                text = rng.choice(texts).format(rid)
                r = refl(
                    rid, text, rng.choice(DAYS), at, participant=rng.choice(names), location=rng.choice(["juba", "hq"])
                )
            else:
                known = model[rng.choice(list(model))]
                r = rng.choice(
                    [
                        replace(known, text=known.text + " edited\n", edited_at=at, consent=not known.consent),
                        replace(known, participant=rng.choice([*names, f"new name {at_minute}"])),
                        replace(known, hidden=not known.hidden),
                        replace(known, retracted=True),
                    ]
                )
            model[r.id] = batch[r.id] = r
        batches.append(batch)
    return batches


def hex_ids(n: int) -> list[str]:
    return [f"{random.Random(i).getrandbits(128):032x}" for i in range(n)]


# -- reading ----------------------------------------------------------------------------------------------


def test_an_empty_book_reads_as_an_empty_dict() -> None:
    book = ReflectionBook()
    assert_reads_as(book, {})
    assert_reads_as(round_trip(book), {})
    assert book.with_changes({}) is book
    assert SessionState().reflections == {} and not SessionState().reflections


def test_reflections_keep_the_order_they_were_first_logged_in_and_edits_keep_their_place() -> None:
    first = book_of(refl("c"), refl("a"), refl("b"))
    edited = first.with_changes({"a": refl("a", "edited", edited_at=T0 + timedelta(minutes=1)), "d": refl("d")})
    assert list(edited) == ["c", "a", "b", "d"]
    assert edited["a"].text == "edited"
    assert list(first) == ["c", "a", "b"] and first["a"].text == "t"  # the book it came from is as it was
    assert first != first.with_changes({"a": refl("a", "x")}) and first == first.with_changes({"a": refl("a")})
    assert edited == ReflectionBook(dict(edited)) and edited != first
    again = edited.with_changes({"d": refl("d", "d edited"), "c": refl("c", "c edited"), "e": refl("e")})
    assert [(r.id, r.text) for r in again.values()] == [
        ("c", "c edited"),
        ("a", "edited"),
        ("b", "t"),
        ("d", "d edited"),
        ("e", "t"),
    ]


def test_edits_keep_their_place_once_folded_into_new_columns() -> None:
    ids = hex_ids(2000)
    book = book_of(*(refl(rid, f"text {i}") for i, rid in enumerate(ids[:1000])))
    model = {r.id: r for r in book.values()}
    for i in range(1000, 2000, 7):  # every change applied alone, as apply() does: the overlay fills up
        for r in (refl(ids[i], f"new {i}"), replace(model[ids[i - 1000]], text=f"edited {i}")):
            book = book.with_changes({r.id: r})
            model[r.id] = r
    assert book._columns.n > 1000, "never folded into new columns"
    assert_reads_as(book, model)


def test_hidden_and_retracted_reflections_are_left_out_of_the_visible_ones() -> None:
    book = book_of(refl("a"), refl("b"), refl("c"), refl("d"))
    book = book.with_changes({"b": refl("b", hidden=True), "c": refl("c", retracted=True)})
    assert [r.id for r in book.visible()] == ["a", "d"]
    assert [r.id for r in book.latest_visible(DAYS[0], 5)] == ["a", "d"]
    assert len(book) == 4 and book["b"].hidden and book["c"].retracted
    shown_again = book.with_changes({"b": refl("b", hidden=False)})
    assert [r.id for r in shown_again.visible()] == ["a", "b", "d"]
    assert_reads_as(round_trip(book), dict(book.items()))


def test_latest_visible_is_the_naive_filter_of_the_day() -> None:
    rng = random.Random(14)
    ids = hex_ids(3000)
    book, model = ReflectionBook(), {}
    for batch in random_history(rng, 150, ids):
        book = book.with_changes(batch)
        model.update(batch)
        for day in DAYS:
            assert book.latest_visible(day, 5) == naive_latest(model, day, 5)
    assert len(model) > 400
    assert_reads_as(book, model)


def test_latest_visible_reads_only_the_rows_it_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lead's screen asks on every change of the state: it must not make 100,000 reflections each time."""
    ids = hex_ids(5000)
    book = book_of(*(refl(rid, day=DAYS[i % 2], hidden=i % 7 == 0) for i, rid in enumerate(ids)))
    made = []
    real_row = reflection_book._Columns.row
    monkeypatch.setattr(
        reflection_book._Columns,
        "row",
        lambda self, row, rid=None: made.append(row) or real_row(self, row, rid),  # type: ignore[func-returns-value]
    )
    monkeypatch.setattr(reflection_book._Columns, "rows", None)  # no reading every row either
    latest = book.latest_visible(DAYS[0], 5)
    assert [r.id for r in latest] == [ids[i] for i in range(0, 5000, 2) if i % 7][-5:]
    assert len(made) == 5


def test_names_counts_and_selections_read_no_reflection_but_those_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reflection form and the reflections screen ask on every change: not 100,000 reflections each time."""
    ids = hex_ids(5000)
    names = [None, "Ada", "Zoë"]
    book = book_of(
        *(
            refl(rid, f"text {i}", at=T0 + timedelta(seconds=i % 7), participant=names[i % 3])
            for i, rid in enumerate(ids)
        )
    )
    book = book.with_changes({ids[7]: refl(ids[7], "edited", hidden=True), "new": refl("new", participant="Bo")})
    expected = naive_select(dict(book), search="TEXT 1")
    made = []
    real_row = reflection_book._Columns.row
    monkeypatch.setattr(
        reflection_book._Columns,
        "row",
        lambda self, row, rid=None: made.append(row) or real_row(self, row, rid),  # type: ignore[func-returns-value]
    )
    monkeypatch.setattr(reflection_book._Columns, "rows", None)
    assert book.names_used() == ["Ada", "Zoë", "Bo"]  # Ada, then Zoë, at T0 + 6 s (rows 13 and 20); Bo at T0
    assert book.counts() == (5001, 0, 1)
    chosen = book.select(search="TEXT 1")
    assert len(chosen) == 1111 and chosen.place(expected[500].id) == 500
    assert not made
    assert chosen[:3] == expected[:3]
    assert len(made) == 3


def test_a_name_edited_away_is_offered_from_its_use_before() -> None:
    at = [T0 + timedelta(minutes=i) for i in range(5)]
    book = round_trip(
        book_of(
            refl("a", participant="Ada", at=at[0]),
            refl("b", participant="Bo", at=at[1]),
            refl("c", participant="Ada", at=at[2]),
            refl("d", participant="Cy", at=at[3]),
            refl("e", participant="Ada", at=at[4]),
        )
    )
    assert book._columns.n == 5 and book.names_used() == ["Ada", "Cy", "Bo"]
    fixed = book.with_changes({"e": refl("e", participant="Eve", at=at[4]), "d": refl("d", participant=None, at=at[3])})
    assert fixed.names_used() == ["Eve", "Ada", "Bo"] == naive_names(dict(fixed))
    hidden = fixed.with_changes({"c": refl("c", participant="Ada", at=at[2], hidden=True)})
    assert hidden.names_used() == ["Eve", "Ada", "Bo"], "hidden or retracted, a name was still used"
    gone = hidden.with_changes({"c": refl("c", participant="Bo", at=at[2]), "a": refl("a", participant="Al", at=at[0])})
    assert gone.names_used() == ["Eve", "Bo", "Al"] == naive_names(dict(gone))


def test_a_search_never_runs_from_one_text_into_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reflection_book, "_BLOCK", 3)  # texts packed 3 at a time: the 4th alone in the next block
    texts = ("abc", "DEFg 🙂", "hij", "Straße")
    names = (None, None, "Kim", None)
    book = round_trip(book_of(*(refl(rid, t, participant=p) for rid, t, p in zip("abcd", texts, names, strict=True))))
    model = dict(book)
    assert book._columns.n == 4, "the texts in one blob, as a long run has them"
    for search in ("cd", "cde", "gh", "🙂h", "c\nd", "j\nk", "jk", "abc", "DEF", "kim", "strasse", "e 🙂", "ij\n"):
        assert list(book.select(search=search)) == naive_select(model, search=search), search
    assert [r.id for r in book.select(search="c\n")] == ["a"] and not book.select(search="cd")
    assert_reads_as(book, model)


def test_the_book_is_a_read_only_mapping_like_the_proxy_it_replaces() -> None:
    book = book_of(refl("a"), refl("b"))
    with pytest.raises(TypeError):
        book["c"] = refl("c")  # type: ignore[index]
    with pytest.raises(AttributeError):
        book.x = 1  # type: ignore[attr-defined]
    assert dict(book) == dict(MappingProxyType({"a": refl("a"), "b": refl("b")}))
    assert book.get("nope", "default") == "default"
    with pytest.raises(KeyError):
        book["nope"]
    assert StateReflection is Reflection
    assert not hasattr(refl("a"), "__dict__")  # slots: about 160 bytes a reflection made, not 400


def test_a_key_must_be_its_reflections_id() -> None:
    with pytest.raises(ValueError, match="given as"):
        ReflectionBook().with_changes({"a": refl("b")})


# -- what it holds ----------------------------------------------------------------------------------------


def test_ids_that_are_not_32_lowercase_hex_digits_are_kept_as_text() -> None:
    lower = "ab" * 16
    odd = ["r1", "spam", "AB" * 16, "ab" * 15 + " a", "0x" + "a" * 30, "", "réflexion-1", "🙂", "f" * 33, "a\x00b"]
    book = book_of(refl(lower), *(refl(rid) for rid in odd))
    assert not round_trip(book)._columns.hex_ids
    model = {r.id: r for r in [refl(lower), *(refl(rid) for rid in odd)]}
    assert_reads_as(book, model)
    assert_reads_as(round_trip(book), model)


def test_a_book_of_hex_ids_takes_an_id_of_another_kind_later() -> None:
    ids = hex_ids(600)
    book = book_of(*(refl(rid) for rid in ids[:300]))
    assert book._columns.hex_ids
    assert "AB" * 16 not in book and ids[0].upper() not in book  # the same bytes, another id
    model = {r.id: r for r in book.values()}
    for rid in [*ids[300:], "participant-page-1", ids[0].upper()]:
        book = book.with_changes({rid: refl(rid, rid)})
        model[rid] = refl(rid, rid)
    assert not round_trip(book)._columns.hex_ids
    assert_reads_as(book, model)
    assert_reads_as(round_trip(book), model)


def test_texts_and_names_in_any_script_survive_the_round_trip() -> None:
    texts = [
        "Budgets are policy.\nAnd policy is people.\r\n\ttabbed",
        "🙂👩🏽‍🔬🏳️‍🌈 emoji, joined and flagged",
        "مرحبا بالعالم — right to left",
        "e\u0301 combining, \u200b zero width, \x00 nul",
        "lone \ud800 surrogate",
        "",
        "x" * 5000,
    ]
    reflections = [
        refl(f"r{i}", text, participant=name, location=name, participant_id=name)
        for i, (text, name) in enumerate(zip(texts, ["Zoë", "عائشة", "陈伟", None, "🙂", "", "Ada"], strict=True))
    ]
    model = {r.id: r for r in reflections}
    assert_reads_as(book_of(*reflections), model)
    assert_reads_as(round_trip(book_of(*reflections)), model)


def test_times_come_back_equal_and_in_utc_as_the_log_gives_them() -> None:
    paris = ZoneInfo("Europe/Paris")
    logged = datetime(2022, 8, 22, 9, 30, 15, 123456, tzinfo=paris)
    edited = from_text("2022-08-23T00:00:00.000001Z")
    early = datetime(1901, 1, 1, tzinfo=UTC)  # before the epoch: negative microseconds
    book = round_trip(book_of(refl("a", at=logged, edited_at=edited), refl("b", at=early)))
    a, b = book["a"], book["b"]
    assert (a.logged_at, a.edited_at, b.logged_at, b.edited_at) == (logged, edited, early, None)
    assert a.logged_at.tzinfo is UTC_FROM_TEXT and a.edited_at is not None and a.edited_at.tzinfo is UTC_FROM_TEXT
    assert a.logged_at.utcoffset() == timedelta(0)


# -- to and from a checkpoint -----------------------------------------------------------------------------


def test_a_loaded_book_reads_as_the_one_dumped_and_takes_changes() -> None:
    rng = random.Random(7)
    ids = hex_ids(3000)
    batches = random_history(rng, 120, ids)
    book, model = ReflectionBook(), {}
    for batch in batches[:100]:
        book = book.with_changes(batch)
        model.update(batch)
    assert book._replaced or book._added, "dump a book with an overlay too"
    loaded = round_trip(book)
    assert_reads_as(loaded, model)
    for batch in batches[100:]:
        loaded = loaded.with_changes(batch)
        model.update(batch)
    assert_reads_as(loaded, model)


def test_the_dump_is_plain_json_and_bytes_and_the_same_for_the_same_reflections() -> None:
    rng = random.Random(3)
    ids = hex_ids(3000)
    batches = random_history(rng, 120, ids)
    one_by_one = ReflectionBook()
    for batch in batches:
        for r in batch.values():
            one_by_one = one_by_one.with_changes({r.id: r})
    model: dict[str, Reflection] = {}
    for batch in batches:
        model.update(batch)
    at_once = ReflectionBook(model)
    doc, parts = one_by_one.dump()
    assert json.loads(json.dumps(doc)) == doc and doc["format"] == FORMAT
    assert all(type(part) is bytes for part in parts.values())
    assert one_by_one.dump() == (doc, parts)
    assert at_once.dump() == (doc, parts), "the same reflections, another history: the same dump"
    assert round_trip(at_once).dump() == (doc, parts)


def test_a_changed_name_leaves_no_trace_in_the_dump() -> None:
    """A value no reflection has any more (a name edited away) is not kept in the document."""
    book = book_of(*(refl(f"{i:032x}", participant="Old name") for i in range(300)))
    for i in range(300):
        book = book.with_changes({f"{i:032x}": refl(f"{i:032x}", participant="New name")})
    doc, _ = book.dump()
    assert "Old name" not in json.dumps(doc)
    assert book.dump() == book_of(*(refl(f"{i:032x}", participant="New name") for i in range(300))).dump()


def test_loading_makes_no_object_per_reflection() -> None:
    """The checkpoint of a five-day run loads in milliseconds: its parts are read as they are."""
    book = book_of(*(refl(rid, f"text {i}", participant=f"P{i % 30}") for i, rid in enumerate(hex_ids(20_000))))
    doc, parts = book.dump()
    gc.collect()
    tracemalloc.start()
    try:
        loaded = ReflectionBook.load(doc, parts)
        grown, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert grown < 20_000  # bytes: less than one per reflection
    assert loaded[book._columns.id_at(12345)].text == "text 12345"


def test_a_dump_from_a_machine_of_the_other_byte_order_reads_the_same() -> None:
    """A run's file copied from a big-endian machine: its numbers are read swapped."""
    reflections = [
        refl(rid, f"t{i}", DAYS[i % 4], T0 + timedelta(microseconds=i)) for i, rid in enumerate(hex_ids(300))
    ]
    book = ReflectionBook().with_changes({r.id: r for r in reflections})
    doc, parts = book.dump()
    types = {
        "key_hi": "Q",
        "key_lo": "Q",
        "key_pos": "I",
        "logged_at": "q",
        "edited_at": "q",
        "by_day": "I",
        "text_offsets": doc["types"]["text_offsets"],
        "text_blocks": doc["types"]["text_blocks"],
        "id_offsets": doc["types"]["id_offsets"],
        **{f"codes.{field}": t for field, t in zip(doc["values"], doc["types"]["codes"], strict=True)},
    }
    for name, typecode in types.items():
        numbers = array(typecode)
        numbers.frombytes(parts[name])
        numbers.byteswap()
        parts[name] = numbers.tobytes()
    doc["byteorder"] = "big" if sys.byteorder == "little" else "little"
    assert_reads_as(ReflectionBook.load(doc, parts), {r.id: r for r in reflections})


def swapped(part: bytes, typecode: str, i: int, j: int) -> bytes:
    numbers = array(typecode)
    numbers.frombytes(part)
    numbers[i], numbers[j] = numbers[j], numbers[i]
    return numbers.tobytes()


@pytest.mark.parametrize(
    "spoil",
    [
        lambda doc, parts: doc.update(format=FORMAT + 1),
        lambda doc, parts: parts.update(texts=parts["texts"][:-1]),
        lambda doc, parts: parts.update(key_hi=parts["key_hi"][:-3]),
        lambda doc, parts: parts.pop("flags"),
        lambda doc, parts: doc["types"]["codes"].__setitem__(0, "x"),
        lambda doc, parts: doc["day_starts"].pop(),
        lambda doc, parts: parts.update(text_blocks=parts["text_blocks"][:-1]),
        lambda doc, parts: parts.update(text_blocks=swapped(parts["text_blocks"], doc["types"]["text_blocks"], 1, 2)),
        lambda doc, parts: doc.update(block=doc["block"] * 2),
    ],
)
def test_a_dump_that_does_not_fit_is_refused(spoil: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reflection_book, "_BLOCK", 1)  # a block of texts each
    doc, parts = book_of(refl("a"), refl("b", "bb", day=DAYS[1]), refl("c", "ccc")).dump()
    spoil(doc, parts)
    with pytest.raises(ValueError, match="reflections"):
        ReflectionBook.load(doc, parts)


# -- the texts, packed --------------------------------------------------------------------------------------


def test_texts_are_packed_in_blocks_and_read_back_whatever_changed_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts in any script, empty ones, edits in a full block, in the last one as new rows join it, and edits
    that hide or retract without touching a text: each block packed again only when its texts change."""
    monkeypatch.setattr(reflection_book, "_BLOCK", 4)
    rng = random.Random(21)
    model: dict[str, Reflection] = {}
    book = ReflectionBook()
    for batch in random_history(rng, 200, hex_ids(2000)):
        book = book.with_changes(batch)
        model.update(batch)
        if len(model) % 37 == 0:
            assert_reads_as(book, model)
    assert book._columns.blocks() > 50 and any(not r.text for r in model.values()), "many blocks, empty texts"
    assert any(not r.text.isascii() for r in model.values()) and any(r.edited_at for r in model.values())
    assert_reads_as(book, model)
    assert_reads_as(round_trip(book), model)
    empty = [refl("a", ""), refl("b", "", participant="Ada")]  # nothing to unpack: a search finds names only
    assert_reads_as(round_trip(book_of(*empty)), {r.id: r for r in empty})
    before = book._compact()
    blocks = [bytes(before.packed[a:b]) for a, b in pairwise(before.text_blocks)]
    rid = before.id_at(4 * 10 + 1)  # in the 11th block
    packed: list[bytes] = []
    real_compress = zlib.compress

    def counted(data: bytes, level: int) -> bytes:
        packed.append(data)
        return real_compress(data, level)

    monkeypatch.setattr(zlib, "compress", counted)
    edited = (
        ReflectionBook._of(before, {}, {})
        .with_changes(
            {rid: replace(model[rid], text="édité"), **{r: replace(model[r], hidden=True) for r in list(model)[60:70]}}
        )
        ._compact()
    )
    after = [bytes(edited.packed[a:b]) for a, b in pairwise(edited.text_blocks)]
    assert [k for k, (old, new) in enumerate(zip(blocks, after, strict=True)) if old != new] == [10]
    assert len(packed) == 1 and "édité".encode() in packed[0], "blocks packed again though their texts were the same"


def test_a_long_run_keeps_its_texts_packed_and_unpacks_one_block_to_read_a_row() -> None:
    texts = [
        f"Reflection {i}: budget lines need gender markers, and a gender adviser at the table." for i in range(3000)
    ]
    book = round_trip(book_of(*(refl(rid, text) for rid, text in zip(hex_ids(3000), texts, strict=True))))
    columns = book._columns
    assert len(columns.packed) * 10 < len("".join(texts)), "packed: repeated phrases take a tenth of their size"
    assert not columns.recent
    assert book.latest_visible(DAYS[0], 1)[0].text == texts[-1]
    ((block, unpacked),) = columns.recent
    assert block == 2999 // reflection_book._BLOCK and len(unpacked) < len("".join(texts)) // 10


def test_a_search_keeps_every_text_unpacked_only_while_its_selection_is_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reflection_book, "_BLOCK", 16)
    book = book_of(*(refl(rid, f"text {i}") for i, rid in enumerate(hex_ids(500))))

    def unpacked() -> object:
        kept = book._columns._memo().get("unpacked")
        return None if kept is None else kept()

    book.select()
    assert unpacked() is None, "no search, nothing unpacked"
    chosen = book.select(search="TEXT 12")
    assert unpacked() is not None and list(chosen) == naive_select(dict(book), search="text 12")
    again = book.with_changes({"new": refl("new", "text 12 again", at=T0 + timedelta(hours=1))}).select(
        search="text 12"
    )
    assert again[0].id == "new" and len(again) == len(chosen) + 1
    del chosen, again
    gc.collect()
    assert unpacked() is None, "the texts were kept unpacked after the search"
    assert_reads_as(book, dict(book.items()))


def test_a_longer_search_looks_only_through_the_blocks_a_shorter_one_found_rows_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As a search is typed, key by key: each key narrows the last, and backspace widens it again."""
    ids = hex_ids(4000)
    words = ["apple", "apricot", "banana", "Äpfel", "cherry"]
    book = book_of(
        *(refl(rid, f"{words[i % 5] if i < 600 else 'x'} {i}", participant=None) for i, rid in enumerate(ids))
    )
    model = dict(book)
    looked: list[int] = []
    real = reflection_book._Rows.search_ascii
    monkeypatch.setattr(
        reflection_book._Rows,
        "search_ascii",
        lambda self, key, found: looked.append(self.first) or real(self, key, found),  # type: ignore[func-returns-value]
    )
    typed = [book.select(search=search) for search in ("a", "ap", "apr", "apri", "ap", "b")]
    for chosen, search in zip(typed, ("a", "ap", "apr", "apri", "ap", "b"), strict=True):
        assert list(chosen) == naive_select(model, search=search), search
    blocks = -(-4000 // reflection_book._BLOCK)
    first_three = -(-600 // reflection_book._BLOCK)
    # "a": every block; "ap", "apr", "apri": the first three; "ap" again: none, known; "b": every block
    assert looked.count(0) == 5 and len(looked) == blocks + 3 * first_three + blocks, looked


# -- in the session state ---------------------------------------------------------------------------------


def test_fold_and_apply_give_the_same_book_across_new_columns() -> None:
    ids = hex_ids(700)
    events = []
    for seq, rid in enumerate(ids, start=1):
        events.append(
            Event(
                seq,
                f"e{seq}",
                T0,
                "lead",
                ev.REFLECTION_LOGGED,
                {"reflection": rid, "text": f"t{seq}", "day": "2022-08-22"},
            )
        )
        if seq % 5 == 0:
            changes: list[tuple[str, dict[str, Any]]] = [
                (ev.REFLECTION_EDITED, {"reflection": ids[seq // 2], "text": "edited", "participant": "Zoë"}),
                (ev.REFLECTION_HIDDEN, {"reflection": ids[seq // 3], "hidden": True}),
                (ev.REFLECTION_RETRACTED, {"reflection": ids[seq // 4]}),
            ]
            kind, payload = changes[seq % 3]
            events.append(Event(seq + 10_000, f"x{seq}", T0 + timedelta(seconds=seq), "co", kind, payload))
    by_apply = SessionState()
    for event in events:
        by_apply = apply(by_apply, event)
    whole = fold(events)
    assert isinstance(whole.reflections, ReflectionBook)
    assert whole == by_apply
    assert list(whole.reflections.items()) == list(by_apply.reflections.items())
    for cut in (0, 1, 299, 400, len(events) - 1):
        assert fold(events[cut:], fold(events[:cut])) == by_apply, cut


def test_a_fold_builds_new_reflections_from_the_events_without_an_object_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a long run folds 100,000 new reflections: their fields go straight into the book's columns."""
    ids = hex_ids(1000)
    events = [
        Event(
            seq, f"e{seq}", T0 + timedelta(seconds=seq), "lead", ev.REFLECTION_LOGGED, {"reflection": rid, "text": "t"}
        )
        for seq, rid in enumerate(ids, start=1)
    ]
    events += [
        Event(2000 + i, f"x{i}", T0, "co", ev.REFLECTION_EDITED, {"reflection": ids[i * 99], "text": f"edited {i}"})
        for i in range(10)
    ]
    expected = fold(events)
    made = []
    real_init = Reflection.__init__

    def counted(self: Reflection, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Reflection, "__init__", counted)
    folded = fold(events)
    assert len(made) <= 2 * 10  # an edit of a new one: it, and it edited
    monkeypatch.undo()
    assert folded == expected and folded.reflections[ids[99]].text == "edited 1"
    assert list(folded.reflections) == ids and folded.reflections._columns.n == 1000
