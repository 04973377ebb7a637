"""The ``facilitator`` command line. Exit codes: 0 success, 2 bad input or usage, 1 anything else."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from facilitator.opening import DEFAULT_DB, create_run, default_actor, open_app, open_lead, run_app, start_up
from facilitator.problems import InputError, Problem, display_path, refusal

# One type for every path option: click looks up the translation of its name each time one is made.
A_PATH = click.Path(path_type=Path)

if TYPE_CHECKING:
    from datetime import datetime

    from facilitator.live.session import Session
    from facilitator.paperwork.certificates import Look
    from facilitator.paperwork.roll import Roll
    from facilitator.record.store import Store  # imported where used: start-up stays cheap
    from facilitator.script.models import Programme


class _Group(click.Group):
    """Turns the core's expected failures into one clear line each and the right exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BaseException as exc:
            said = refusal(exc)
            if said is None:  # a bug, or click's own exits: not ours to word
                raise
            lines, code = said
            for line in lines:
                click.echo(line, err=True)
            ctx.exit(code)


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
@click.argument("path", type=A_PATH)
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
        from facilitator.record.catalogue import schema as events_schema

        click.echo(json.dumps(events_schema(), indent=2))
        return
    from facilitator.script.schema import script_schema

    click.echo(json.dumps(script_schema(kind), indent=2))


@main.command()
@click.argument("path", type=A_PATH)
@click.option("--db", "db", required=True, type=A_PATH, help="The run database to create.")
@click.option("--as", "actor", default=default_actor, help="Who is creating the run (recorded in the log).")
def init(path: Path, db: Path, actor: str) -> None:
    """Create a run's database from a workshop, without opening the app. Never overwrites a run."""
    create_run(path, db, actor)
    click.echo(f"created {display_path(db)}")


@main.command()
@click.option("--db", "db", required=True, type=A_PATH, help="The run database to join.")
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
    _exit_with(open_app(db, identity.name, team))


@main.command()
@click.argument("path", required=False, type=A_PATH)
@click.option(
    "--db",
    type=A_PATH,
    default=DEFAULT_DB,
    show_default=True,
    help="The run database: resumed if it exists, else created from PATH.",
)
@click.option("--as", "actor", default=default_actor, help="Your name in the log.")
def run(path: Path | None, db: Path, actor: str) -> None:
    """Open the lead facilitator's app on a run: resume --db, or create it from the workshop at PATH."""
    # facilitator.entry opens a plainly written `run` without reading these definitions: tests/test_entry.py
    # checks that it reads every command line it accepts as this one does.
    _exit_with(open_lead(path, db, actor))


@main.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to put the copy (default: a new temporary folder).",
)
@click.option("--as", "actor", default=default_actor, help="Your name in the log.")
def demo(folder: Path | None, actor: str) -> None:
    """Copy the bundled demo workshop to a scratch folder and open it as the lead facilitator."""
    from facilitator.demo import copy_demo

    workshop = copy_demo(folder)
    db = workshop.parent / DEFAULT_DB
    if not db.exists():
        from facilitator.attendance.roster_import import import_roster
        from facilitator.record.store import Store

        create_run(workshop, db, actor)
        with Store.open(db) as store:  # the demo's sixty fictional participants, so attendance has people
            import_roster(store, workshop / "roster.csv", actor=actor)
    click.echo(f"demo workshop in {workshop}; run database {db}", err=True)
    _exit_with(open_app(db, actor))


@main.command()
@click.option("--db", "db", required=True, type=A_PATH, help="The run database.")
@click.option("--as", "actor", default=default_actor, help="Your name in the presence panel.")
@click.option("--location", default=None, help="Show this location's QR code for the participant page.")
def present(db: Path, actor: str, location: str | None) -> None:
    """Open the room view to share into the video call: the step, its timer, the clocks; nothing private."""
    with start_up() as ready:
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

        code = run_app(lambda: RoomApp(db_path=db, actor=actor, location=location), ready)
    _exit_with(code)


def _exit_with(code: int) -> None:
    """An app's exit code, as the command's."""
    if code:
        raise click.exceptions.Exit(code)


@main.command()
@click.option("--db", "db", required=True, type=A_PATH, help="The run database.")
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
@click.argument("file", type=A_PATH)
@click.option("--db", "db", required=True, type=A_PATH, help="The run database.")
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
@click.option("--as", "actor", default=default_actor, help="Your name in the log.")
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
@click.option("--db", "db", required=True, type=A_PATH, help="The run database.")
@click.option("--as", "actor", default=default_actor, help="Your name in the log.")
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
@click.argument("csv_path", metavar="CSV", type=A_PATH)
@click.option("--db", "db", required=True, type=A_PATH, help="The run database.")
@click.option("--dry-run", is_flag=True, help="Show what would change without writing anything.")
@click.option("--as", "actor", default=default_actor, help="Who is importing (recorded in the log).")
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


@main.group("groups")
def groups_command() -> None:
    """Breakout groups, made from the people checked in (for rehearsals and scripts; the app makes them too)."""


_GROUP_FLAGS = ("size", "count", "mix", "call")


@groups_command.command("make")
@click.option("--db", "db", required=True, type=A_PATH, help="The run database.")
@click.option("--size", type=int, default=None, help="People per group (some get one more).")
@click.option("--count", type=int, default=None, help="How many groups, instead of --size.")
@click.option(
    "--mix",
    default="location,gender",
    show_default=True,
    help="What each group spreads as evenly as the numbers allow: location, gender, both, or none.",
)
@click.option(
    "--call",
    "call",
    default=None,
    metavar="PATTERN",
    help="Each group's call, a link or a room name with {n} for its number: https://meet.example.org/wps-room-{n}.",
)
@click.option(
    "--seed", type=int, default=None, help="The making's seed: the same record and seed make the same groups."
)
@click.option("--as", "actor", default=default_actor, help="Your name in the log; only the driver makes groups.")
def groups_make(
    *, db: Path, size: int | None, count: int | None, mix: str, call: str | None, seed: int | None, actor: str
) -> None:
    """Split the people checked in now into breakout groups, record them, and print them.

    Groups of --size (some get one more) or --count groups, each spreading locations and genders as evenly
    as the numbers allow and avoiding pairs already grouped earlier in the run. Prints each group's number,
    call and members (name and location; never an e-mail). Refused, with nothing recorded: a size larger
    than the people checked in, a count that leaves a group with fewer than two, fewer than two people.
    """
    from facilitator.live.session import Session
    from facilitator.record.clock import default_clock
    from facilitator.record.store import Store

    with Store.open(db, clock=default_clock()) as store:
        session = Session(store, actor=actor)
        try:
            event = session.make_groups(size=size, count=count, mix=mix, call_pattern=call, seed=seed)
        except InputError as exc:
            field = str(exc).split(":", 1)[0]
            raise InputError(f"--{exc}" if field in _GROUP_FLAGS else str(exc)) from None
        lines = _groups_lines(session, event.payload["grouping"])
    for line in lines:
        click.echo(line)


def _groups_lines(session: Session, grouping_id: str) -> list[str]:
    """A grouping as ``groups make`` prints it: a summary, then each group, its call and its members by name."""
    from facilitator.text import printable

    grouping = session.groups.by_id(grouping_id)
    assert grouping is not None
    roster = session.attendance.roster.by_id
    here = session.here_now()
    smallest, biggest = min(len(g.members) for g in grouping.groups), max(len(g.members) for g in grouping.groups)
    sizes = str(smallest) if smallest == biggest else f"{smallest}-{biggest}"
    mixing = f"mixing {' and '.join(grouping.mix)}" if grouping.mix else "mixing nothing"
    repeats = grouping.repeats
    again = f"{repeats} pair{'s' if repeats != 1 else ''} grouped before" if repeats else "no pair grouped before"
    lines = [f"{len(grouping.groups)} groups of {sizes} from {grouping.people} people checked in, {mixing}; {again}"]
    for group in grouping.groups:
        call = f"  {printable(group.call)}" if group.call else ""
        lines.append(f"group {group.number} ({len(group.members)}){call}")
        for pid in sorted(group.members, key=lambda pid: (roster[pid].name.casefold(), pid)):
            where = here.get(pid) or roster[pid].location
            lines.append(f"  {printable(roster[pid].name)} ({printable(where)})")
    return lines


@main.command("export")
@click.option("--db", "db", required=True, type=A_PATH, help="The run database.")
@click.option("--out", "out", required=True, type=A_PATH, help="The folder to write into.")
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


def _is_loopback(url: str) -> bool:
    """Whether ``url`` is no address for anyone elsewhere: this machine (the participant page's default) or 0.0.0.0."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return address.is_loopback or address.is_unspecified


@main.group("certificates", invoke_without_command=True)
@click.option("--db", "db", type=A_PATH, default=None, help="The run database.")
@click.option(
    "--out",
    "out",
    type=A_PATH,
    default=None,
    help="The folder to write into: a new or empty one (created if needed).",
)
@click.option("--force", is_flag=True, help="Write into a folder that is not empty, replacing files of the same names.")
@click.option(
    "--workshop",
    "workshop_path",
    type=A_PATH,
    default=None,
    help="Take the certificate settings from this workshop folder as it is now (its images are relative to it); "
    "default: the run's own, with images beside the workshop it was created from.",
)
@click.option(
    "--verify-url",
    "verify_url",
    default=None,
    metavar="URL",
    help="The participant page's public address, for the QR codes (default: the one `serve --public-url` saved).",
)
@click.option("--anonymise", is_flag=True, hidden=True)
@click.pass_context
def certificates(
    ctx: click.Context,
    *,
    db: Path | None,
    out: Path | None,
    force: bool,
    workshop_path: Path | None,
    verify_url: str | None,
    anonymise: bool,
) -> None:
    """Certificates of attendance: a PDF for each eligible participant, and the roll of everyone (certificates.csv).

    Eligible is the export's rule: time attended over all days, clipped to each day as it ran, at least the
    workshop's certificate_share of the planned time. Each certificate carries a code, signed with the run's
    secret, that `facilitator certificates verify CODE --db FILE` and the participant page's /verify/CODE check.
    Files are readable by you only (by the team's group in a setgid team folder).
    """
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is not None:
        return
    if anonymise:
        raise InputError("--anonymise: a certificate names the person it is for, so certificates are never anonymised")
    if db is None:
        raise click.UsageError("Missing option '--db'.")
    if out is None:
        raise click.UsageError("Missing option '--out'.")
    _write_certificates(db=db, out=out, force=force, workshop_path=workshop_path, verify_url=verify_url)


def _write_certificates(
    *, db: Path, out: Path, force: bool, workshop_path: Path | None, verify_url: str | None
) -> None:
    from dataclasses import replace

    from facilitator.paperwork.output import check_folder, refuse_if_not_empty
    from facilitator.paperwork.roll import read_roll
    from facilitator.paperwork.verification import stored_secret
    from facilitator.participant_page.tokens import PageSettings, load_settings
    from facilitator.record.clock import default_clock
    from facilitator.record.store import Store

    check_folder(out, "--out")
    if not force:
        refuse_if_not_empty(out, "--out")
    verify_url = _checked_verify_url(verify_url)
    now = default_clock().now()  # the run's clock, as `export` reads it
    page: PageSettings | None = None
    with Store.open(db, read_only=True) as store:  # reading needs no write access: a run on read-only media will do
        roll = read_roll(store.path, now)
        if stored_secret(store.conn) is not None:
            page = load_settings(store)
    look = _certificate_look(roll.programme, roll.source, workshop_path)  # every bad setting refused before a write
    if page is None:  # the run's first certificates and no participant page yet: its secret is made now, once
        with Store.open(db) as store:
            page = load_settings(store)
    if verify_url is None and not _is_loopback(page.public_url):
        verify_url = page.public_url
    look = replace(look, verify_url=verify_url)
    if verify_url is None:
        click.echo(
            "note: the QR codes hold the code alone; give --verify-url (the participant page's public address) "
            "for a link that checks it",
            err=True,
        )
    if roll.days_not_run:
        days = ", ".join(day.isoformat() for day in roll.days_not_run)
        click.echo(
            f"warning: no session of these days is on the record, so they count as not attended: {days}", err=True
        )
    files, warnings = _publish_certificates(roll, look, page.secret, out, now)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    eligible = len(roll.eligible)
    click.echo(
        f"{eligible} certificate{'' if eligible == 1 else 's'} for {len(roll.entries)} people on the roster, "
        f"in {display_path(out)}:"
    )
    for path in files:
        click.echo(f"  {path.name}")


def _checked_verify_url(url: str | None) -> str | None:
    from facilitator.participant_page.tokens import check_public_url

    if url is None:
        return None
    try:
        return check_public_url(url)
    except InputError:
        raise InputError(f"--verify-url: {url!r} is not an address like https://checkin.example.org") from None


def _certificate_look(programme: Programme, source: Path | None, workshop_path: Path | None) -> Look:
    """The certificates' settings: the run's, or those of the workshop at ``workshop_path`` as it is now; images
    are found beside the workshop they were written in."""
    from facilitator.paperwork.certificates import look_of, workshop_folder

    if workshop_path is None:
        return look_of(programme, folder=workshop_folder(source))
    from facilitator.script.loading import load_workshop

    settings = load_workshop(workshop_path).programme.workshop.certificate
    return look_of(programme, folder=workshop_folder(workshop_path), settings=settings)


def _publish_certificates(
    roll: Roll, look: Look, secret: bytes, out: Path, now: datetime
) -> tuple[list[Path], list[str]]:
    from facilitator.exports.progress import for_stderr
    from facilitator.paperwork.certificates import write
    from facilitator.paperwork.output import publish

    progress = for_stderr()
    progress.start("writing certificates", len(roll.eligible))
    warnings: list[str] = []

    def fill(work: Path) -> list[Path]:
        files, batch = write(roll, look, secret, work, now, progress=lambda done, total: progress.advance(1))
        warnings.extend(batch.warnings)
        return files

    try:
        return publish(out, "--out", fill), warnings
    finally:
        progress.close()


@certificates.command("verify")
@click.argument("code")
@click.option("--db", "db", type=A_PATH, default=None, help="The run database.")
@click.pass_context
def verify_certificate(ctx: click.Context, code: str, db: Path | None) -> None:
    """Say whose certificate CODE is (exit 0), or that it is not genuine (exit 1)."""
    from facilitator.paperwork.verification import certificate_key, holder, normalise, read_roster, stored_secret
    from facilitator.paperwork.wording import date_range, hours_attended
    from facilitator.record.store import Store
    from facilitator.text import printable

    db = db or (ctx.obj or {}).get("db")
    if db is None:
        raise click.UsageError("Missing option '--db'.")
    if normalise(code) is None:
        raise InputError(
            f"CODE: {code[:40]!r} is not a certificate code (twenty letters and digits in groups of four, "
            "like 7KQ2-M9XD-0RTA-4WZE-C1HB)"
        )
    with Store.open(db, read_only=True) as store:
        secret = stored_secret(store.conn)
        found = None
        if secret is not None:  # a run without a secret has issued no certificate
            found = holder(certificate_key(secret), code, read_roster(store.conn), store.programme())
    if found is None:
        click.echo(f"not genuine: no certificate of this run has the code {normalise(code)}")
        raise click.exceptions.Exit(1)
    person = found.person
    click.echo(
        f"genuine: the certificate of {printable(person.name)} <{printable(person.email)}>, "
        f"{printable(found.location)} (number {found.number} on the roster)"
    )
    click.echo(f"  {printable(found.course)}, {date_range(found.first, found.last)}; {hours_attended(found.minutes)}")
    if found.issuer:
        click.echo(f"  issued by {printable(found.issuer)}")


@main.command("agenda")
@click.argument("path", required=False, type=A_PATH)
@click.option("--db", "db", type=A_PATH, default=None, help="The run database (instead of PATH).")
@click.option(
    "--ics",
    "ics",
    type=A_PATH,
    default=None,
    metavar="DIR",
    help="Write LOCATION.ics and LOCATION.txt for each location into DIR (created if needed).",
)
@click.option("--location", "location", default=None, help="Only this location (default: every one).")
@click.option("--force", is_flag=True, help="Replace files of the same names in DIR.")
def agenda(path: Path | None, db: Path | None, ics: Path | None, location: str | None, force: bool) -> None:
    """The invitations: every session of every day in each location's local time.

    From the workshop at PATH, or the run in --db. With --ics, one iCalendar file per location (its time zone's
    VTIMEZONE, the call link, UIDs that stay the same so a file sent again updates the events) and beside it the
    plain-text agenda for an e-mail; without, the plain-text agenda is printed.
    """
    from facilitator.paperwork import agenda as invitations
    from facilitator.record.clock import default_clock
    from facilitator.script.models import did_you_mean

    if (path is None) == (db is None):
        raise click.UsageError("give the workshop PATH or the run's --db (one of them)")
    if db is not None:
        from facilitator.record.store import Store

        with Store.open(db, read_only=True) as store:
            programme = store.programme()
    else:
        from facilitator.script.loading import load_workshop

        assert path is not None
        programme = load_workshop(path).programme
    locations = list(programme.workshop.locations)
    if location is not None:
        ids = [loc.id for loc in locations]
        if location not in ids:
            raise InputError(
                f"--location: {location!r} is not a location of this workshop{did_you_mean(location, ids)}"
            )
        locations = [loc for loc in locations if loc.id == location]
    if ics is None:
        click.echo("\n".join(invitations.text(programme, loc) for loc in locations), nl=False)
        return
    from facilitator.paperwork.output import check_folder, publish, refuse_replacing

    made = invitations.files(programme, default_clock().now(), locations)
    check_folder(ics, "--ics")
    if not force:
        refuse_replacing(ics, made, "--ics")

    def write(work: Path) -> list[Path]:
        written = []
        for name, content in made.items():
            (work / name).write_bytes(content)
            written.append(work / name)
        return written

    files = publish(ics, "--ics", write)
    click.echo(f"agenda of {len(locations)} location{'' if len(locations) == 1 else 's'} in {display_path(ics)}:")
    for file in files:
        click.echo(f"  {file.name}")


if __name__ == "__main__":  # pragma: no cover
    main()
