"""The event catalogue: every kind typed, every append checked against it, its reference in the README."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from facilitator.cli import main
from facilitator.record import catalogue, event_reference
from facilitator.record import events as ev
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.models import Programme

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_event_reference_is_the_catalogue() -> None:
    text = README.read_text(encoding="utf-8")
    assert event_reference.replaced(text) == text, "run: .venv/bin/python -m facilitator.record.event_reference"
    for kind in catalogue.CATALOGUE:
        assert f"| `{kind}` |" in text


def test_every_kind_constant_is_in_the_catalogue() -> None:
    constants = {
        value for name, value in vars(ev).items() if name.isupper() and isinstance(value, str) and "." in value
    }
    assert constants == set(catalogue.CATALOGUE)


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("step.entred", {"day": "2022-08-22"}, "'step.entred' is not an event kind"),
        (ev.STEP_ENTERED, {"day": "2022-08-22", "exercise": "x"}, "step\n  Field required"),
        (ev.STEP_ENTERED, {"day": "22/08/2022", "exercise": "x", "step": "y"}, "Invalid isoformat string"),
        (ev.ATTENDANCE_CHECKED_IN, {"participant": "p", "at": "yesterday"}, "Invalid isoformat string"),
        (ev.ATTENDANCE_CHECKED_IN, {"participant": "p", "at": "2022-08-22T07:00:00Z", "source": "fax"}, "source"),
        (ev.TIMER_ADJUSTED, {"seconds": 60, "minutes": 1}, "minutes\n  Extra inputs are not permitted"),
        (ev.LOCATION_LINK, {"location": "hq", "status": "up"}, "status"),
    ],
)
def test_a_payload_its_kind_does_not_describe_never_reaches_the_log(
    tmp_path: Path, tiny_programme: Programme, kind: str, payload: dict[str, object], message: str
) -> None:
    with Store.create(tmp_path / "run.db", tiny_programme, actor="lead", clock=FakeClock()) as store:
        before = store.events()
        with pytest.raises(catalogue.BadEvent, match=message.replace("(", r"\(")):
            store.append(kind, payload, actor="lead")
        with pytest.raises(catalogue.BadEvent):
            store.append_many([(ev.TIMER_PAUSED, {}), (kind, payload)], actor="lead")
        assert store.events() == before


def test_payloads_as_this_and_earlier_versions_wrote_them_read_typed() -> None:
    checked_in = ev.Event(1, "e1", FakeClock().now(), "lead", ev.ATTENDANCE_CHECKED_IN, {
        "participant": "p1", "at": "2022-08-22T07:00:00.000000Z", "source": "zoom", "location": "hq"
    })  # fmt: skip
    data = catalogue.typed(checked_in)
    assert isinstance(data, catalogue.AttendanceCheckedIn) and (data.participant, data.source) == ("p1", "zoom")
    joined = ev.Event(2, "e2", FakeClock().now(), "amina", ev.FACILITATOR_JOINED, {"role": "co", "from": "10.0.0.7"})
    typed = catalogue.typed(joined)
    assert isinstance(typed, catalogue.FacilitatorJoined) and typed.from_ == "10.0.0.7"
    assert catalogue.typed(ev.Event(3, "e3", FakeClock().now(), "x", "poll.opened", {"any": 1})) is None  # newer


def test_schema_events_prints_every_kind() -> None:
    result = CliRunner().invoke(main, ["schema", "events"])
    assert result.exit_code == 0
    printed = json.loads(result.output)
    assert set(printed["kinds"]) == set(catalogue.CATALOGUE)
    assert printed["kinds"]["day.closed"]["required"] == ["day", "at", "inferred"]
    assert "from" in printed["kinds"]["control.taken"]["properties"]
    scripts = json.loads(CliRunner().invoke(main, ["schema", "--kind", "workshop"]).output)
    assert scripts["title"] == "Workshop"  # the script schema stays the default


def test_reading_events_loads_no_pydantic() -> None:
    """The catalogue (pydantic) loads with the first write: reading and folding a log must not pay for it."""
    script = (
        "import sys; from facilitator.record import events; "
        "assert events.Event.from_row((1, 'e', '2022-08-22T07:00:00.000000Z', 'a', 'day.opened', '{}')).kind; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
