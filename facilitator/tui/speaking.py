"""What the who-speaks panels show: plain data, built on the database thread.

The turns are folded beside the session state (facilitator.speaking.turns); the tally of a window (the
current step, the day) is facilitator.speaking.tally's. The live-run client asks a :class:`SpeakingReader`
for a new :class:`SpeakingSnapshot` with each reading: it counts again only when a turn was tallied or
stopped, the step or the day changed, or who is present changed, and hands back a snapshot only then. A turn
that runs on between readings is counted on the screen (:func:`running`), so the panel's clock ticks with
no reading at all.

No screen, no app: the lead's line and the tally screen (facilitator.tui.widgets.speaking_panel,
facilitator.tui.screens.speaking) and the room view read it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from facilitator.attendance.gender import category
from facilitator.live.session import Session
from facilitator.speaking.tally import DAY, STEP, Row, Tally, rows_of
from facilitator.speaking.turns import Turn


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who has the floor now, as the panels name them."""

    turn: Turn
    name: str
    location: str
    gender: str  # as the tally groups it (facilitator.attendance.gender.category)


@dataclass(frozen=True)
class SpeakingSnapshot:
    """The tallies of the current step and day as read at ``read_at``, and who speaks now."""

    read_at: datetime | None = None
    step: Tally | None = None
    day: Tally | None = None
    speaker: Speaker | None = None
    shown: bool = False  # the driver shows the tally on the room view

    @property
    def empty(self) -> bool:
        """Nothing to show: no turn today and nobody speaking."""
        return self.speaker is None and (self.day is None or self.day.turns == 0)


EMPTY = SpeakingSnapshot()


class SpeakingReader:
    """Makes a new snapshot only when what it shows may have changed. Touched only on the database thread.

    For the room view (``room``) it reads nothing until the driver shows the tally, and never a name or an id:
    the speaker comes only as the gender and location the tally counts them under.

    With no turn on the current day there is nothing to count, however many check-ins come in (a burst of
    phones); once there is one, any new event may change who was present, so each reading counts again.
    """

    def __init__(self, *, room: bool = False) -> None:
        self._key: tuple[object, ...] | None = None
        self.room = room

    def read(self, session: Session, now: datetime) -> SpeakingSnapshot | None:
        state = session.state
        speaking = session.speaking
        today = any(turn.day == state.day for turn in reversed(speaking.turns))
        key = (speaking.version, speaking.shown, state.day, state.last_seq if today else None)
        if key == self._key:
            return None
        self._key = key
        if (not today and speaking.open is None) or (self.room and not speaking.shown):
            return SpeakingSnapshot(read_at=now, shown=speaking.shown)
        snapshot = speaking_snapshot(session, now)
        return for_room(snapshot) if self.room else snapshot


def speaking_snapshot(session: Session, now: datetime) -> SpeakingSnapshot:
    """The snapshot of ``session`` at ``now``: both tallies, the speaker, whether the room sees them."""
    speaking = session.speaking
    turn = speaking.open
    speaker = None
    if turn is not None:
        person = session.attendance.roster.by_id.get(turn.participant)
        here = session.here_now()
        speaker = Speaker(
            turn=turn,
            name=person.name if person is not None else turn.participant,
            location=here.get(turn.participant) or (person.location if person is not None else ""),
            gender=category(person.gender if person is not None else None),
        )
    has_day = session.state.day is not None
    return SpeakingSnapshot(
        read_at=now,
        step=session.speaking_tally(STEP, now) if has_day else None,
        day=session.speaking_tally(DAY, now) if has_day else None,
        speaker=speaker,
        shown=speaking.shown,
    )


def for_room(snapshot: SpeakingSnapshot) -> SpeakingSnapshot:
    """What the room may hold: the tallies, and the speaker only as their gender and location (so the room's
    figures run on with the turn), without their name or id."""
    speaker = snapshot.speaker
    if speaker is None:
        return snapshot
    anonymous = replace(speaker, turn=replace(speaker.turn, participant="", by=""), name="")
    return replace(snapshot, speaker=anonymous)


def running(tally: Tally, speaker: Speaker | None, since: datetime | None, now: datetime) -> Tally:
    """``tally`` (read at ``since``) with the open turn's time since then added to its speaker's rows: what the
    panels show between readings, second by second."""
    if speaker is None or since is None or now <= since or not tally.window.holds(speaker.turn):
        return tally
    extra = (now - max(since, speaker.turn.started)).total_seconds()
    if extra <= 0:
        return tally
    return replace(
        tally,
        seconds=tally.seconds + extra,
        rows_by_gender=_add(tally.rows_by_gender, speaker.gender, extra),
        rows_by_location=_add(tally.rows_by_location, speaker.location, extra),
    )


def _add(rows: tuple[Row, ...], group: str, seconds: float) -> tuple[Row, ...]:
    if not any(row.group == group for row in rows):
        return rows  # the speaker was not counted in this window (a turn of another step): nothing to add
    order = {row.group: index for index, row in enumerate(rows)}
    sums = {row.group: (row.present, row.turns, row.seconds + (seconds if row.group == group else 0.0)) for row in rows}
    return rows_of(sums, lambda name: (order[name],))
