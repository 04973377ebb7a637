"""The duration parser: ``10m``, ``1h30m``, ``90s`` and nothing else, with messages for people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitator.script.durations import MAX_DURATION, DurationError, format_duration, parse_duration

MAX_SECONDS = int(MAX_DURATION.total_seconds())
valid_durations = st.integers(min_value=1, max_value=MAX_SECONDS).map(lambda s: timedelta(seconds=s))


@given(valid_durations)
def test_format_then_parse_gives_back_the_duration(value: timedelta) -> None:
    text = format_duration(value)
    assert parse_duration(text) == value
    assert parse_duration(text.upper()) == value  # "1H30M" is a person's way of writing it too


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_any_text_gives_a_duration_or_a_duration_error(text: str) -> None:
    try:
        value = parse_duration(text)
    except DurationError as exc:
        assert str(exc)
        assert len(str(exc)) < 200  # a script's mistake is quoted, but never at length
    else:
        assert timedelta(0) < value <= MAX_DURATION


@given(st.from_regex(r"\A(\d{1,4}h)?(\d{1,5}m)?(\d{1,6}s)?\Z"))
def test_well_formed_text_is_read_or_refused_for_its_length(text: str) -> None:
    try:
        value = parse_duration(text)
    except DurationError as exc:
        assert any(part in str(exc) for part in ("longer than", "not a duration", "no unit"))
    else:
        assert timedelta(0) < value <= MAX_DURATION


@given(st.integers() | st.integers(min_value=-(10**6000), max_value=10**6000))
def test_numbers_are_refused_with_a_unit_hint(number: int) -> None:
    with pytest.raises(DurationError, match="has no unit"):
        parse_duration(number)


@given(st.integers(min_value=1, max_value=10**6))
def test_numbers_written_as_text_get_the_hint_too(number: int) -> None:
    with pytest.raises(DurationError, match=f"^{number} has no unit; write {number}m for minutes"):
        parse_duration(str(number))


@given(st.one_of(st.none(), st.booleans(), st.floats(), st.lists(st.integers()), st.dictionaries(st.text(), st.text())))
def test_other_values_are_refused_plainly(value: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", timedelta(minutes=10)),
        ("1h30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        (" 1h 5m ", timedelta(minutes=65)),
        ("12h", MAX_DURATION),
        (timedelta(minutes=5), timedelta(minutes=5)),
    ],
)
def test_examples_that_read(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10, "10 has no unit; write 10m for minutes or 10s for seconds"),
        ("0m", "a duration must be longer than zero"),
        ("abc", "'abc' is not a duration; write it like 10m, 1h30m or 90s"),
        ("-5m", "'-5m' is not a duration; write it like 10m, 1h30m or 90s"),
        ("10m5h", "'10m5h' is not a duration; write it like 10m, 1h30m or 90s"),
        ("13h", "13h is longer than 12h"),
        (True, "True is not a duration; write it like 10m, 1h30m or 90s"),
        (-5, "-5 has no unit and is not longer than zero; write it like 10m, 1h30m or 90s"),
    ],
)
def test_examples_that_are_refused(value: object, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(value)
    assert str(caught.value) == message


def test_format_never_shows_nothing() -> None:
    assert format_duration(timedelta(0)) == "0s"
    assert format_duration(timedelta(hours=1, seconds=5)) == "1h5s"
