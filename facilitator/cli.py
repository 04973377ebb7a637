"""The ``facilitator`` command line. Exit codes: 0 success, 2 bad input or usage, 1 anything else."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

# facilitator uses no pydantic plugins; looking for them scans every installed package at start-up.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from facilitator.problems import InputError, Problem, StoreError, display_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from facilitator.record.store import Store  # imported where used: start-up stays cheap
    from facilitator.tui.crash import CrashReportingApp

DEFAULT_DB = "workshop.db"


class _Group(click.Group):
    """Turns the core's expected failures into one clear line each and the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for line in exc.lines():
                click.echo(line, err=True)
            ctx.exit(2)
        except StoreError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


def _default_actor() -> str:
    try:
        return os.environ.get("FACILITATOR_AS") or getpass.getuser()
    except (KeyError, OSError):
        return "lead"


def _print_warnings(warnings: list[Problem]) -> None:
    for warning in warnings:
        click.echo(str(warning), err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="facilitator", prog_name="facilitator")
def main() -> None:
    """Run live training workshops from the terminal.

    A workshop is a folder holding workshop.yaml and one YAML file per exercise; each run of it lives
    in one SQLite file.
    """


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
def check(path: Path) -> None:
    """Validate a workshop folder or file: a summary per day, or every problem, one per line."""
    from facilitator.script.loading import load_workshop

    loaded = load_workshop(path)
    programme = loaded.programme
    workshop = programme.workshop
    click.echo(
        f"{workshop.title}: {len(workshop.days)} days, {len(programme.exercises)} exercises, "
        f"{len(workshop.locations)} locations"
    )
    for day in workshop.days:
        timeline = programme.timeline(day)
        minutes = int(programme.planned_duration(day).total_seconds() // 60)
        end = programme.planned_end(day)
        planned = f" (planned end {day.end:%H:%M})" if day.end else ""
        click.echo(
            f"  {day.date:%a %d %b %Y}: {len(day.agenda)} exercises, {len(timeline)} steps, "
            f"{minutes} min, {day.start:%H:%M}–{end:%H:%M}{planned}"
        )
    _print_warnings(loaded.warnings)


@main.command()
@click.option(
    "--kind",
    type=click.Choice(["both", "workshop", "exercise"]),
    default="both",
    show_default=True,
    help="Which file kind to describe.",
)
@click.argument("what", required=False, type=click.Choice(["scripts", "events"]), default="scripts")
def schema(kind: str, what: str) -> None:
    """Print the JSON Schema of the script files, for editors that validate YAML as you type.

    `facilitator schema events` prints instead the schema of every event kind's payload, for readers of the
    record (`events.payload` in the run database, `events.jsonl` in an export).
    """
    if what == "events":
        from facilitator.record.events import schema as events_schema

        click.echo(json.dumps(events_schema(), indent=2))
        return
    from facilitator.script.schema import script_schema

    click.echo(json.dumps(script_schema(kind), indent=2))


def _create_run(path: Path, db: Path, actor: str) -> None:
    from facilitator.record.store import Store
    from facilitator.script.loading import load_workshop

    loaded = load_workshop(path)
    _print_warnings(loaded.warnings)
    Store.create(db, loaded.programme, actor=actor, digest=loaded.digest, source=path).close()


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database to create.")
@click.option("--as", "actor", default=_default_actor, help="Who is creating the run (recorded in the log).")
def init(path: Path, db: Path, actor: str) -> None:
    """Create a run's database from a workshop, without opening the app. Never overwrites a run."""
    _create_run(path, db, actor)
    click.echo(f"created {display_path(db)}")


def _open_app(db: Path, actor: str, team: dict[str, Any] | None = None) -> None:
    """Open the app as the lead, or with ``team`` (FacilitatorApp's role, location, ... ) as a co or observer."""
    from facilitator.config import load_config
    from facilitator.record.store import Store
    from facilitator.team import presence

    team = team or {}
    role = team.get("role", presence.LEAD)
    # Refuse a bad database, a bad config file, or a run that a live lead already drives, with a clear
    # line before the screen takes over. Claiming the lead's place here, in one transaction, leaves no
    # window in which a second `run` started at the same moment could also get in; the app keeps the
    # claim alive. Co-facilitators and observers share the run, so their claims exclude nobody.
    with Store.open(db) as store:
        lead = presence.claim(
            store, actor=actor, role=role, exclusive=role == presence.LEAD, location=team.get("location")
        )
    try:
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            raise InputError("the app needs a terminal (run it in a terminal, not with its input or output redirected)")
        from facilitator.tui.app import FacilitatorApp
        from facilitator.tui.bindings import binding_ids

        config = load_config(binding_ids=binding_ids())
        code = _run_app(lambda: FacilitatorApp(db_path=db, actor=actor, lead=lead, config=config, **team))
    finally:
        _leave(db, lead.connection)
    if code:
        raise click.exceptions.Exit(code)


COLOURLESS_TERMS = frozenset({"dumb", "unknown"})


def _run_app(make: Callable[[], CrashReportingApp]) -> int:
    """Run a terminal app; a crash prints one line naming a private report of it (facilitator.tui.crash)."""
    from facilitator.tui.crash import run_app

    if os.environ.get("TERM", "").strip().lower() in COLOURLESS_TERMS:
        # A terminal without colours: Textual would draw 24-bit colour anyway (it assumes it when the
        # terminal names none). NO_COLOR, read when the app is made, is its own switch to draw without.
        os.environ["NO_COLOR"] = "1"
    return run_app(make)


@main.command()
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database to join.")
@click.option("--as", "actor", default=None, help="Your name (default: $FACILITATOR_AS, else your login).")
@click.option("--role", default=None, help="co (default) or observer, who only looks.")
@click.option("--location", default=None, help="The location id you work for.")
@click.option("--own-location-only", is_flag=True, help="Check people in and set the link for --location only.")
@click.option(
    "--takeover-after",
    type=float,
    default=None,
    help="Seconds the driver's process must be silent before you may take control (default 10).",
)
def join(
    *,
    db: Path,
    actor: str | None,
    role: str | None,
    location: str | None,
    own_location_only: bool,
    takeover_after: float | None,
) -> None:
    """Open the app on a running session as a co-facilitator or an observer, beside the lead's."""
    from datetime import timedelta

    from facilitator.config import load_config
    from facilitator.live.session import Session
    from facilitator.record.store import Store
    from facilitator.team.identity import resolve
    from facilitator.team.roles import CO, DEFAULT_TAKEOVER_AFTER, JOIN_ROLES

    if role is not None and role not in JOIN_ROLES:
        raise InputError(f"--role: {role!r} is not one of {', '.join(JOIN_ROLES)} (the lead opens the run with `run`)")
    if takeover_after is not None and not 0 < takeover_after <= 3600:
        raise InputError(f"--takeover-after: {takeover_after:g} is not between 0 and 3600 seconds")
    identity = resolve(actor, config=load_config())
    team: dict[str, Any] = {
        "role": role or identity.role or CO,
        "location": location or identity.location,
        "own_location_only": own_location_only,
        "takeover_after": timedelta(seconds=takeover_after) if takeover_after else DEFAULT_TAKEOVER_AFTER,
        "address": identity.address,
    }
    with Store.open(db) as store:  # a missing database, or a location the workshop does not have: one line, exit 2
        Session(
            store,
            actor=identity.name,
            role=team["role"],
            location=team["location"],
            own_location_only=own_location_only,
        )
    _open_app(db, identity.name, team)


def _leave(db: Path, connection: str) -> None:
    """Remove the lead's presence row (the app does so on exit too; this covers a failed start)."""
    from facilitator.record.store import Store
    from facilitator.team import presence

    # If the database went away or stays busy, the row goes stale within seconds anyway.
    with contextlib.suppress(InputError, StoreError), Store.open(db) as store:
        presence.leave(store, connection)


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="The run database: resumed if it exists, else created from PATH.",
)
@click.option("--as", "actor", default=_default_actor, help="Your name in the log.")
def run(path: Path | None, db: Path, actor: str) -> None:
    """Open the lead facilitator's app on a run: resume --db, or create it from the workshop at PATH."""
    if not db.exists():
        if path is None:
            raise InputError(f"{display_path(db)}: no such run database; give a workshop PATH to create it")
        try:
            _create_run(path, db, actor)
        except InputError:
            if not db.exists():
                raise
            # Another lead created it a moment earlier: this is now a resume, and opening it says who drives.
    _open_app(db, actor)


@main.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to put the copy (default: a new temporary folder).",
)
@click.option("--as", "actor", default=_default_actor, help="Your name in the log.")
def demo(folder: Path | None, actor: str) -> None:
    """Copy the bundled demo workshop to a scratch folder and open it as the lead facilitator."""
    from facilitator.demo import copy_demo

    workshop = copy_demo(folder)
    db = workshop.parent / DEFAULT_DB
    if not db.exists():
        from facilitator.attendance.roster_import import import_roster
        from facilitator.record.store import Store

        _create_run(workshop, db, actor)
        with Store.open(db) as store:  # the demo's sixty fictional participants, so attendance has people
            import_roster(store, workshop / "roster.csv", actor=actor)
    click.echo(f"demo workshop in {workshop}; run database {db}", err=True)
    _open_app(db, actor)


@main.command()
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database.")
@click.option("--as", "actor", default=_default_actor, help="Your name in the presence panel.")
@click.option("--location", default=None, help="Show this location's QR code for the participant page.")
def present(db: Path, actor: str, location: str | None) -> None:
    """Open the room view to share into the video call: the step, its timer, the clocks; nothing private."""
    from facilitator.record.store import Store

    # A bad database is refused with one clear line before the screen takes over; reading needs no write access.
    with Store.open(db, read_only=True) as store:
        if location is not None:
            from facilitator.live.state import fold
            from facilitator.script.models import did_you_mean

            programme = fold(store.events()).programme
            ids = [loc.id for loc in programme.workshop.locations] if programme else []
            if location not in ids:
                raise InputError(
                    f"--location: {location!r} is not a location of this workshop{did_you_mean(location, ids)}"
                )
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise InputError("the room view needs a terminal (run it in a terminal, not with its output redirected)")
    from facilitator.tui.screens.room import RoomApp

    code = _run_app(lambda: RoomApp(db_path=db, actor=actor, location=location))
    if code:
        raise click.exceptions.Exit(code)


@main.command()
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it behind TLS).")
@click.option("--port", type=int, default=8765, show_default=True, help="Port to listen on.")
@click.option("--public-url", default=None, help="The address phones open (the QR codes' URL), e.g. https://...")
@click.option("--rotate", default="30m", show_default=True, help="How often the QR codes' tokens change.")
@click.option("--grace", default="5m", show_default=True, help="How long the previous token still works.")
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDR",
    help="A reverse proxy's address or network (repeatable): X-Forwarded-For is honoured from it, from no one else.",
)
def serve(
    *,
    db: Path,
    host: str,
    port: int,
    public_url: str | None,
    rotate: str,
    grace: str,
    trusted_proxies: tuple[str, ...],
) -> None:
    """Serve the participant page: check-in and reflections from phones, through the QR codes."""
    from facilitator.participant_page.web.server import serve as run_server
    from facilitator.script.durations import DurationError, parse_duration

    durations = {}
    for name, text in (("rotate", rotate), ("grace", grace)):
        try:
            durations[name] = parse_duration(text)
        except DurationError as exc:
            raise InputError(f"--{name}: {exc}") from None
    run_server(
        db,
        host=host,
        port=port,
        public_url=public_url,
        rotate=durations["rotate"],
        grace=durations["grace"],
        say=click.echo,
        warn=lambda line: click.echo(line, err=True),
        trusted_proxies=trusted_proxies,
    )


@main.group()
def attendance() -> None:
    """Attendance records from outside the app (video-call reports), and the tables analysts query."""


@attendance.command("import-report")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database.")
@click.option("--location", "location", required=True, help="The location whose video call the report is of.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show each matched person's intervals and who was not matched (with e-mail), and write nothing.",
)
@click.option(
    "--date-order",
    "date_order",
    type=click.Choice(["dmy", "mdy"]),
    default=None,
    help="Day first (dmy) or month first (mdy), for a report whose dates read both ways.",
)
@click.option("--as", "actor", default=_default_actor, help="Your name in the log.")
def import_report(*, file: Path, db: Path, location: str, dry_run: bool, date_order: str | None, actor: str) -> None:
    """Reconcile a Zoom participants report or a Teams attendance report or list with the roster.

    Column names in English, French, Spanish, Portuguese or German; UTF-8 or UTF-16, tab-, comma- or
    semicolon-separated, as downloaded or as Excel saves it again. People are matched by e-mail, then
    by name (ignoring case, accents and spacing); each person's rejoins become intervals, recorded as
    check-ins and check-outs whose source is zoom or teams. Times are read in the location's time zone
    unless the report states one. Importing the same report again records nothing new.
    """
    from facilitator.attendance.call_reports import read_report, reconcile, summary
    from facilitator.attendance.roster import Roster
    from facilitator.record.store import Store
    from facilitator.script.models import did_you_mean

    with Store.open(db, read_only=dry_run) as store:  # a dry run only reads: read-only media will do
        workshop = store.programme().workshop
        zones = {loc.id: loc.timezone for loc in workshop.locations}
        if location not in zones:
            raise InputError(
                f"--location: {location!r} is not a location of this workshop{did_you_mean(location, sorted(zones))}"
            )
        days = [day.date for day in workshop.days]
        report = read_report(file, timezone=zones[location], days=days, date_order=date_order)
        events = store.events()
        result = reconcile(report, Roster.from_events(events), location=location, known_ids=(e.id for e in events))
        if dry_run:
            written: bool | None = False
        elif result.new == 0:
            written = None
        else:
            store.append_many(result.items, actor=actor, event_ids=result.event_ids)
            written = True
            _refresh_attendance_tables(store, actor)  # a report usually arrives after its day has closed
    for line in summary(result, written=written):
        click.echo(line)


@attendance.command("refresh")
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database.")
@click.option("--as", "actor", default=_default_actor, help="Your name in the log.")
def refresh_attendance(db: Path, actor: str) -> None:
    """Bring the attendance tables (days, attendance_intervals, attendance_days) up to date for SQL.

    Writes down the end of any day left open (at its inferred end), as every facilitator process does,
    then rewrites the tables from the whole record, on the run's clock. Days close on their own while
    the app runs; this is for a run file nobody has opened since its last day.
    """
    from facilitator.record.clock import default_clock
    from facilitator.record.store import Store

    with Store.open(db, clock=default_clock()) as store:
        closed, days = _refresh_attendance_tables(store, actor)
    for line in closed:
        click.echo(line)
    ended = sum(1 for _, status in days if status == "ended")
    click.echo(f"attendance tables up to date: {len(days)} days, {ended} ended")


def _refresh_attendance_tables(store: Store, actor: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Close overdue days and rewrite the analysts' tables; say which days were closed, and each day's status."""
    from facilitator.live import attendance_tables
    from facilitator.live.session import Session
    from facilitator.team.roles import OBSERVER

    session = Session(store, actor=actor, role=OBSERVER)
    written = session.close_overdue_days()
    attendance_tables.write(store, session.state, session.attendance, store.clock.now())
    closed = [f"closed {e.payload['day']} at {e.payload['at']} (inferred: it was left open)" for e in written]
    rows = store.conn.execute("SELECT day, status FROM days ORDER BY day").fetchall()
    return closed, [(str(day), str(status)) for day, status in rows]


@main.group()
def roster() -> None:
    """The run's participants: who is expected, and where."""


@roster.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path))
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database.")
@click.option("--dry-run", is_flag=True, help="Show what would change without writing anything.")
@click.option("--as", "actor", default=_default_actor, help="Who is importing (recorded in the log).")
@click.option(
    "--make-codes",
    is_flag=True,
    help="Give everyone without a personal code a long random one (kept on later imports).",
)
def roster_import(csv_path: Path, db: Path, dry_run: bool, actor: str, make_codes: bool) -> None:
    """Import a roster (CSV: name, e-mail, location, and optional role, organisation, gender, code).

    All or nothing: any bad row, and nothing changes. People already in the run are matched by e-mail
    and updated; people not in the file are left alone. A personal code shorter than the workshop's
    participant_page.min_code_length is refused; --make-codes makes long random ones for people without.
    """
    from facilitator.attendance.roster_import import import_roster
    from facilitator.record.store import Store

    with Store.open(db, read_only=dry_run) as store:  # a dry run only reads: read-only media will do
        result = import_roster(store, csv_path, actor=actor, dry_run=dry_run, make_codes=make_codes)
    for line in result.summary(dry_run=dry_run):
        click.echo(line)


@main.command("export")
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="The folder to write into.")
@click.option(
    "--format",
    "formats",
    default="csv,json,xlsx,md,html",
    show_default=True,
    help="Comma-separated: csv, json, xlsx (tables), md, html (the report).",
)
@click.option(
    "--anonymise",
    is_flag=True,
    help="For people outside the team: pseudonyms and ids drawn afresh, no names or e-mails anywhere, small groups "
    "suppressed.",
)
@click.option(
    "--min-cell",
    "min_cell",
    type=click.IntRange(min=1),
    default=None,
    metavar="K",
    help="With --anonymise: the fewest people any group of a table may be about (default 3); smaller groups are "
    "pooled as 'suppressed'.",
)
def export_command(db: Path, out: Path, formats: str, anonymise: bool, min_cell: int | None) -> None:
    """Export the run for organisers: attendance register, reflections and quotes, timeline, event log, report.

    Safe while the session is live: the export reads one consistent snapshot and never blocks the
    facilitators. The raw event log (events.jsonl) is always written. Files are readable by you only
    (by the team's group in a setgid team folder).
    """
    from facilitator.exports.cells import DEFAULT_MIN_CELL
    from facilitator.exports.progress import for_stderr
    from facilitator.exports.run import export, parse_formats
    from facilitator.record.clock import default_clock

    if min_cell is not None and not anonymise:
        raise InputError("--min-cell: only with --anonymise (an identified export names everyone anyway)")
    wanted = parse_formats(formats)
    # The run's clock: a rehearsal on a simulated one (FACILITATOR_CLOCK) exported mid-run shows the days to
    # come as not yet run, as its team sees them.
    now = default_clock().now()
    result = export(
        db,
        out,
        formats=wanted,
        anonymise=anonymise,
        min_cell=min_cell or DEFAULT_MIN_CELL,
        now=now,
        progress=for_stderr(),
    )
    click.echo(
        f"exported {result.events} events and {result.reflections} reflections into {display_path(result.folder)}:"
    )
    for path in result.files:
        click.echo(f"  {path.name}")


if __name__ == "__main__":  # pragma: no cover
    main()
