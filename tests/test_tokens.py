"""The participant page's signed, rotating, per-location per-day tokens (participant_page.tokens), on a fake clock."""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from facilitator.participant_page import tokens
from facilitator.problems import InputError
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme
from tests.conftest import TINY_PROGRAMME

# The tiny programme's zone is Africa/Juba (UTC+2): the fake clock's 12:00 UTC is 14:00 there.
JUBA_MIDNIGHT = datetime(2022, 8, 22, 22, 0, tzinfo=UTC)


@pytest.fixture
def settings(run_store: Store) -> tokens.PageSettings:
    return tokens.save_settings(
        run_store, rotate=timedelta(minutes=30), grace=timedelta(minutes=5), public_url="https://c.example.org"
    )


def verify(settings: tokens.PageSettings, programme: Programme, code: str, now: datetime) -> tokens.Grant | None:
    return tokens.verify(settings, programme, code, now)


def test_a_token_issued_now_grants_its_location_and_day(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    token = tokens.issue(settings, tiny_programme, "hq", fake_clock.now())
    assert re.fullmatch(r"[a-z2-7]{12}", token.code)
    assert token.location == "hq" and token.day == date(2022, 8, 22)
    assert verify(settings, tiny_programme, token.code, fake_clock.now()) == tokens.Grant("hq", date(2022, 8, 22))
    assert token.url("https://c.example.org/") == f"https://c.example.org/p/{token.code}"


def test_a_token_typed_from_the_screen_with_dashes_capitals_and_spaces_works(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    token = tokens.issue(settings, tiny_programme, "juba", fake_clock.now())
    assert re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}", token.typed)
    for typed in (token.typed, token.typed.upper(), f"  {token.typed} ", token.typed.replace("-", " - ")):
        assert verify(settings, tiny_programme, typed, fake_clock.now()) == tokens.Grant("juba", date(2022, 8, 22))


@pytest.mark.parametrize("typed", ["", "abc", "abcd-efgh-ijk", "abcd-efgh-ijklm", "abcd-efgh-ij01", "abcd_efgh_ijkl"])
def test_normalise_refuses_what_cannot_be_a_code(typed: str) -> None:
    assert tokens.normalise(typed) is None


def test_bad_codes_grant_nothing(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    now = fake_clock.now()
    for code in ("", "nonsense", "aaaa-aaaa-aaaa", "../../etc/passwd", "<script>", "a" * 10_000):
        assert verify(settings, tiny_programme, code, now) is None


def test_a_forged_token_signed_with_another_secret_grants_nothing(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    forger = tokens.PageSettings(secret=b"\x00" * 32, rotate=settings.rotate, grace=settings.grace)
    forged = tokens.issue(forger, tiny_programme, "hq", fake_clock.now())
    well_formed = verify(forger, tiny_programme, forged.code, fake_clock.now())
    assert well_formed == tokens.Grant("hq", date(2022, 8, 22))
    assert verify(settings, tiny_programme, forged.code, fake_clock.now()) is None


def test_each_location_has_its_own_token(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    hq = tokens.issue(settings, tiny_programme, "hq", fake_clock.now())
    juba = tokens.issue(settings, tiny_programme, "juba", fake_clock.now())
    assert hq.code != juba.code
    assert verify(settings, tiny_programme, hq.code, fake_clock.now()) == tokens.Grant("hq", hq.day)
    assert verify(settings, tiny_programme, juba.code, fake_clock.now()) == tokens.Grant("juba", juba.day)


def test_an_unknown_location_gets_no_token(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    with pytest.raises(InputError, match="no location 'mars'"):
        tokens.issue(settings, tiny_programme, "mars", fake_clock.now())


def test_tokens_rotate_and_the_previous_one_works_only_for_the_grace_period(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    first = tokens.issue(settings, tiny_programme, "hq", fake_clock.now())
    # 14:00 local is a period boundary (30-minute periods since local midnight).
    assert first.valid_until == datetime(2022, 8, 22, 12, 30, tzinfo=UTC)
    fake_clock.advance(timedelta(minutes=29, seconds=59))
    assert tokens.issue(settings, tiny_programme, "hq", fake_clock.now()).code == first.code
    fake_clock.advance(timedelta(seconds=1))
    second = tokens.issue(settings, tiny_programme, "hq", fake_clock.now())
    assert second.code != first.code
    fake_clock.advance(timedelta(minutes=4, seconds=59))
    assert verify(settings, tiny_programme, first.code, fake_clock.now()) == tokens.Grant("hq", first.day)
    fake_clock.advance(timedelta(seconds=1))
    assert verify(settings, tiny_programme, first.code, fake_clock.now()) is None  # grace over
    assert verify(settings, tiny_programme, second.code, fake_clock.now()) == tokens.Grant("hq", date(2022, 8, 22))


def test_a_token_two_periods_old_is_refused(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    old = tokens.issue(settings, tiny_programme, "hq", fake_clock.now())
    fake_clock.advance(timedelta(minutes=61))
    assert verify(settings, tiny_programme, old.code, fake_clock.now()) is None


def test_a_token_expires_at_the_end_of_its_day_even_within_the_grace(
    settings: tokens.PageSettings, tiny_programme: Programme
) -> None:
    late = JUBA_MIDNIGHT - timedelta(minutes=10)
    token = tokens.issue(settings, tiny_programme, "hq", late)
    assert token.valid_until == JUBA_MIDNIGHT  # the day's last period ends at midnight
    last_second = JUBA_MIDNIGHT - timedelta(seconds=1)
    assert verify(settings, tiny_programme, token.code, last_second) == tokens.Grant("hq", date(2022, 8, 22))
    assert verify(settings, tiny_programme, token.code, JUBA_MIDNIGHT + timedelta(minutes=1)) is None


def test_a_token_for_another_day_is_refused(
    settings: tokens.PageSettings, tiny_programme: Programme, fake_clock: FakeClock
) -> None:
    now = fake_clock.now()
    tomorrow = tokens.issue(settings, tiny_programme, "hq", now + timedelta(days=1))
    yesterday = tokens.issue(settings, tiny_programme, "hq", now - timedelta(days=1))
    assert verify(settings, tiny_programme, tomorrow.code, now) is None  # a future day's
    assert verify(settings, tiny_programme, yesterday.code, now) is None  # an expired day's
    # The same period of the day on another day is another token.
    assert tomorrow.code != tokens.issue(settings, tiny_programme, "hq", now).code


def test_periods_are_counted_in_real_time_across_a_daylight_saving_change(run_store: Store) -> None:
    raw = copy.deepcopy(TINY_PROGRAMME)
    raw["workshop"]["timezone"] = "Europe/Paris"  # clocks went forward at 02:00 on 2022-03-27
    raw["workshop"]["days"][0]["date"] = "2022-03-27"
    programme = Programme.validate(raw)
    settings = tokens.save_settings(
        run_store, rotate=timedelta(minutes=30), grace=timedelta(minutes=5), public_url="http://x.example"
    )
    moment = datetime(2022, 3, 26, 23, 0, tzinfo=UTC)  # local midnight
    while moment < datetime(2022, 3, 27, 21, 0, tzinfo=UTC):
        token = tokens.issue(settings, programme, "hq", moment)
        assert moment < token.valid_until <= moment + timedelta(minutes=30), moment
        assert verify(settings, programme, token.code, moment) == tokens.Grant("hq", date(2022, 3, 27)), moment
        boundary = token.valid_until
        if boundary < datetime(2022, 3, 27, 22, 0, tzinfo=UTC):
            # Just after the period ends, the old token is still accepted (grace) and a new one is issued.
            grace = boundary + timedelta(minutes=4)
            assert verify(settings, programme, token.code, grace) == tokens.Grant("hq", date(2022, 3, 27)), moment
            assert tokens.issue(settings, programme, "hq", boundary).code != token.code
        moment += timedelta(minutes=17)


def test_codes_carry_60_bits_and_do_not_repeat(settings: tokens.PageSettings, tiny_programme: Programme) -> None:
    assert tokens.TOKEN_CHARS * 5 == 60
    assert len(settings.secret) == 32
    seen = set()
    start = datetime(2022, 8, 22, 0, 0, tzinfo=UTC)
    for minutes in range(0, 60 * 24 * 40, 30):  # forty days of periods, both locations
        for location in ("hq", "juba"):
            seen.add(tokens.issue(settings, tiny_programme, location, start + timedelta(minutes=minutes)).code)
    assert len(seen) == 40 * 48 * 2
    # Every character of the alphabet turns up in every position: no position is fixed or guessable.
    for position in range(tokens.TOKEN_CHARS):
        assert len({code[position] for code in seen}) == 32


def test_the_secret_is_made_once_per_run_and_shared_by_every_process(run_store: Store, tmp_path: Path) -> None:
    first = tokens.load_settings(run_store)
    with Store.open(tmp_path / "run.db") as other:
        assert tokens.load_settings(other).secret == first.secret
    assert tokens.load_settings(run_store).secret == first.secret
    # Not in the event log: exporting the log must not export the key.
    assert all(first.secret.hex() not in str(event.payload) for event in run_store.events())


def test_each_run_has_its_own_secret(tmp_path: Path, tiny_programme: Programme) -> None:
    with (
        Store.create(tmp_path / "a.db", tiny_programme, actor="lead") as a,
        Store.create(tmp_path / "b.db", tiny_programme, actor="lead") as b,
    ):
        assert tokens.load_settings(a).secret != tokens.load_settings(b).secret


def test_settings_round_trip_and_defaults(run_store: Store) -> None:
    default = tokens.load_settings(run_store)
    assert (default.rotate, default.grace, default.public_url) == (
        tokens.DEFAULT_ROTATE,
        tokens.DEFAULT_GRACE,
        tokens.DEFAULT_PUBLIC_URL,
    )
    saved = tokens.save_settings(
        run_store, rotate=timedelta(hours=2), grace=timedelta(minutes=10), public_url="https://c.example.org/"
    )
    assert (saved.rotate, saved.grace, saved.public_url) == (
        timedelta(hours=2),
        timedelta(minutes=10),
        "https://c.example.org",
    )
    assert tokens.load_settings(run_store) == saved


NOT_AN_ADDRESS = "public-url: {!r} is not an address like https://checkin.example.org"
NO_USER = "public-url: must not carry a user name or password"


@pytest.mark.parametrize(
    ("rotate", "grace", "url", "message"),
    [
        (timedelta(seconds=59), timedelta(0), "http://x.example", "rotate: tokens may rotate at most once a minute"),
        (timedelta(minutes=10), timedelta(minutes=11), "http://x.example", "grace: must be between 0 and the rotation period"),  # noqa: E501
        (timedelta(minutes=10), timedelta(minutes=-1), "http://x.example", "grace: must be between 0 and the rotation period"),  # noqa: E501
        (timedelta(minutes=10), timedelta(0), "ftp://x.example", NOT_AN_ADDRESS.format("ftp://x.example")),
        (timedelta(minutes=10), timedelta(0), "x.example", NOT_AN_ADDRESS.format("x.example")),
        (timedelta(minutes=10), timedelta(0), "", NOT_AN_ADDRESS.format("")),
        (timedelta(minutes=10), timedelta(0), "https://x.example/?a=1", NOT_AN_ADDRESS.format("https://x.example/?a=1")),
        (timedelta(minutes=10), timedelta(0), "https://user:pw@x.example", NO_USER),
        (timedelta(minutes=10), timedelta(0), "https://user@x.example", NO_USER),
        (timedelta(minutes=10), timedelta(0), "https://:pw@x.example", NO_USER),
        (timedelta(minutes=10), timedelta(0), "https://x.example:port", NOT_AN_ADDRESS.format("https://x.example:port")),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_and_nothing_changes(
    run_store: Store, rotate: timedelta, grace: timedelta, url: str, message: str
) -> None:
    before = tokens.load_settings(run_store)
    with pytest.raises(InputError) as refused:
        tokens.save_settings(run_store, rotate=rotate, grace=grace, public_url=url)
    assert str(refused.value) == message
    assert tokens.load_settings(run_store) == before


def test_the_limits_themselves_are_allowed(run_store: Store) -> None:
    """Once a minute is the fastest rotation, and a grace may last the whole rotation period."""
    saved = tokens.save_settings(
        run_store, rotate=timedelta(minutes=1), grace=timedelta(minutes=1), public_url="https://c.example.org/INBOX/"
    )
    assert (saved.rotate, saved.grace, saved.public_url) == (
        timedelta(minutes=1),
        timedelta(minutes=1),
        "https://c.example.org/INBOX",
    )
    token = tokens.issue(saved, Programme.validate(TINY_PROGRAMME), "hq", datetime(2022, 8, 22, 12, tzinfo=UTC))
    assert token.url(saved.public_url) == f"https://c.example.org/INBOX/p/{token.code}"


def test_a_rotation_that_does_not_divide_the_day_still_ends_the_last_token_at_midnight(
    run_store: Store, tiny_programme: Programme
) -> None:
    settings = tokens.save_settings(
        run_store, rotate=timedelta(minutes=7), grace=timedelta(minutes=1), public_url="https://c.example.org"
    )
    late = JUBA_MIDNIGHT - timedelta(minutes=3)  # 1437 minutes into the day: its last period began at 1435
    token = tokens.issue(settings, tiny_programme, "juba", late)
    assert (token.day, token.valid_until) == (date(2022, 8, 22), JUBA_MIDNIGHT)
    assert tokens.issue(settings, tiny_programme, "juba", late - timedelta(minutes=3)).valid_until == (
        JUBA_MIDNIGHT - timedelta(minutes=5)
    )


def test_reading_the_settings_of_a_run_takes_no_write_lock(
    settings: tokens.PageSettings, run_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the secret exists, loading the settings only reads: it works while another process writes."""
    import sqlite3

    from facilitator.record import store as store_module

    monkeypatch.setattr(store_module, "WRITE_DEADLINE_S", 0.2)
    writer = sqlite3.connect(run_store.path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        assert tokens.load_settings(run_store) == settings
    finally:
        writer.close()


# -- signing a participant out everywhere: the generation of their identity cookies ----------------------------


def test_signing_out_moves_only_that_participant_s_generation_on(run_store: Store) -> None:
    def generation(person: str) -> int:
        return tokens.identity_generation(run_store.conn, person)

    assert (generation("ada"), generation("bob")) == (0, 0)  # nobody has signed out yet
    assert tokens.revoke_identities(run_store, "ada") == 1
    assert tokens.revoke_identities(run_store, "ada") == 2
    assert tokens.revoke_identities(run_store, "bob") == 1
    assert (generation("ada"), generation("bob"), generation("ad"), generation("adam")) == (2, 1, 0, 0)
    # Stored as text beside the page's settings, one row per person.
    assert run_store.conn.execute(
        "SELECT value FROM participant_page WHERE name = 'identity-generation:ada'"
    ).fetchone() == ("2",)


@pytest.mark.parametrize("written", ["many", "2.5", ""])
def test_a_hand_edited_generation_matches_no_cookie_until_the_next_sign_out(run_store: Store, written: str) -> None:
    run_store.conn.execute(
        "INSERT INTO participant_page (name, value) VALUES ('identity-generation:ada', ?)", (written,)
    )
    assert tokens.identity_generation(run_store.conn, "ada") == -1
    assert tokens.revoke_identities(run_store, "ada") == (3 if written == "2.5" else 1)
    assert tokens.identity_generation(run_store.conn, "ada") == (3 if written == "2.5" else 1)
