"""The ``facilitator`` command line. Exit codes: 0 success, 2 bad input or usage, 1 anything else."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

# facilitator uses no pydantic plugins; looking for them scans every installed package at start-up.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from facilitator.problems import InputError, Problem, StoreError, display_path

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
    from facilitator.scripts import load_workshop

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
def schema(kind: str) -> None:
    """Print the JSON Schema of the script files, for editors that validate YAML as you type."""
    from facilitator.schema import script_schema

    click.echo(json.dumps(script_schema(kind), indent=2))


def _create_run(path: Path, db: Path, actor: str) -> None:
    from facilitator.scripts import load_workshop
    from facilitator.store import Store

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


def _open_app(db: Path, actor: str) -> None:
    from facilitator import presence
    from facilitator.config import load_config
    from facilitator.store import Store

    # Refuse a bad database, a bad config file, or a run that a live lead already drives, with a clear
    # line before the screen takes over. Claiming the lead's place here, in one transaction, leaves no
    # window in which a second `run` started at the same moment could also get in; the app keeps the
    # claim alive.
    with Store.open(db) as store:
        lead = presence.claim(store, actor=actor, role=presence.LEAD)
    try:
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            raise InputError("the app needs a terminal (run it in a terminal, not with its input or output redirected)")
        from facilitator.tui.app import FacilitatorApp, binding_ids

        config = load_config(binding_ids=binding_ids())
        FacilitatorApp(db_path=db, actor=actor, lead=lead, config=config).run()
    finally:
        _leave(db, lead.connection)


def _leave(db: Path, connection: str) -> None:
    """Remove the lead's presence row (the app does so on exit too; this covers a failed start)."""
    from facilitator import presence
    from facilitator.store import Store

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
        _create_run(path, db, actor)
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
        from facilitator.roster_import import import_roster
        from facilitator.store import Store

        _create_run(workshop, db, actor)
        with Store.open(db) as store:  # the demo's sixty fictional participants, so attendance has people
            import_roster(store, workshop / "roster.csv", actor=actor)
    click.echo(f"demo workshop in {workshop}; run database {db}", err=True)
    _open_app(db, actor)


@main.group()
def attendance() -> None:
    """Attendance records from outside the app: video-call reports."""


@attendance.command("import-report")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database.")
@click.option("--location", "location", required=True, help="The location whose video call the report is of.")
@click.option("--dry-run", is_flag=True, help="Show what would be recorded, and write nothing.")
@click.option("--as", "actor", default=_default_actor, help="Your name in the log.")
def import_report(file: Path, db: Path, location: str, dry_run: bool, actor: str) -> None:
    """Reconcile a Zoom participants report (CSV) or a Teams attendance report with the roster.

    People are matched by e-mail, then by name (ignoring case, accents and spacing); each person's
    rejoins become intervals, recorded as check-ins and check-outs whose source is zoom or teams.
    Times are read in the location's time zone unless the report states one. Importing the same
    report again records nothing new.
    """
    from facilitator.call_reports import read_report, reconcile, summary
    from facilitator.participants import Roster
    from facilitator.script_models import did_you_mean
    from facilitator.store import Store

    with Store.open(db) as store:
        workshop = store.programme().workshop
        zones = {loc.id: loc.timezone for loc in workshop.locations}
        if location not in zones:
            raise InputError(
                f"--location: {location!r} is not a location of this workshop{did_you_mean(location, sorted(zones))}"
            )
        report = read_report(file, timezone=zones[location], days=[day.date for day in workshop.days])
        events = store.events()
        result = reconcile(report, Roster.from_events(events), location=location, known_ids=(e.id for e in events))
        if dry_run:
            written: bool | None = False
        elif result.new == 0:
            written = None
        else:
            store.append_many(result.items, actor=actor, event_ids=result.event_ids)
            written = True
    for line in summary(result, written=written):
        click.echo(line)


@main.group()
def roster() -> None:
    """The run's participants: who is expected, and where."""


@roster.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path))
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), help="The run database.")
@click.option("--dry-run", is_flag=True, help="Show what would change without writing anything.")
@click.option("--as", "actor", default=_default_actor, help="Who is importing (recorded in the log).")
def roster_import(csv_path: Path, db: Path, dry_run: bool, actor: str) -> None:
    """Import a roster (CSV: name, e-mail, location, and optional role, organisation, gender, code).

    All or nothing: any bad row, and nothing changes. People already in the run are matched by e-mail
    and updated; people not in the file are left alone.
    """
    from facilitator.roster_import import import_roster
    from facilitator.store import Store

    with Store.open(db) as store:
        result = import_roster(store, csv_path, actor=actor, dry_run=dry_run)
    for line in result.summary(dry_run=dry_run):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
