"""Certificates of attendance (issue 18): the roll and its reasons, one PDF per eligible person read back with a
PDF library, verification codes, and the command's refusals and file modes.

The run: two days of a small workshop on a fake clock. Zoë, Ольга and محمد attend all 270 planned minutes;
Amina leaves early on the second day (190), Sofía comes late on the first (210), Jean-Pierre and a walk-in
whose name is a formula never come. The bar is 80 % of 270 minutes: 216 (3.6 h).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from facilitator.exports.run import export
from facilitator.live.session import Session
from facilitator.paperwork import certificates, verification
from facilitator.paperwork.roll import read_roll
from facilitator.paperwork.wording import date_range, tenths_of_hours
from facilitator.participant_page import tokens
from facilitator.problems import InputError
from facilitator.record.clock import FakeClock
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from facilitator.script.models import Programme
from tests.tools import require

FACILITATOR = [sys.executable, "-m", "facilitator"]
DAY1 = date(2022, 8, 22)
DAY2 = date(2022, 8, 23)
COURSE = "Gender-responsive budgeting in peace operations"
ARABIC = "محمد علي"
CYRILLIC = "Ольга Иванова"
ACCENTS = "Zoë Ångström-Éloïse"
FORMULA = "=HYPERLINK(1) Walk"
EVERYONE = (ACCENTS, CYRILLIC, ARABIC, "Amina Diallo", "Sofía Núñez", "Jean-Pierre Moreau", FORMULA)
ELIGIBLE = (ACCENTS, CYRILLIC, ARABIC)

PROGRAMME: dict[str, Any] = {
    "workshop": {
        "title": COURSE,
        "organiser": "DPO Gender Unit",
        "timezone": "Africa/Juba",
        "locations": [
            {"id": "hq", "name": "New York headquarters", "timezone": "America/New_York"},
            {"id": "juba", "name": "UNMISS (South Sudan)", "timezone": "Africa/Juba"},
            {"id": "kyiv", "name": "Kyiv liaison office", "timezone": "Europe/Kyiv"},
        ],
        "days": [
            {"date": "2022-08-22", "start": "09:00", "agenda": ["morning"]},
            {"date": "2022-08-23", "start": "09:00", "agenda": ["afternoon"]},
        ],
        "certificate": {
            "issuer": "UN System Staff College",
            "signatory": "Ana Pérez, Director",
            "logo": "images/logo.png",
            "signature": "images/signature.jpg",
        },
    },
    "exercises": [
        {
            "id": "morning",
            "title": "Budgets and gender",
            "steps": [
                {"id": "a", "title": "Principles", "kind": "presentation", "duration": "1h"},
                {"id": "b", "title": "A mission's budget", "kind": "breakout", "duration": "1h30m"},
            ],
        },
        {
            "id": "afternoon",
            "title": "Action plans",
            "steps": [{"id": "c", "title": "My next budget", "kind": "individual", "duration": "2h"}],
        },
    ],
}


def at(hour: int, minute: int, day: date = DAY1) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def make_images(folder: Path) -> None:
    (folder / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 100), (30, 60, 110)).save(folder / "images" / "logo.png")
    Image.new("RGB", (200, 60), (250, 250, 250)).save(folder / "images" / "signature.jpg")


def build_run(folder: Path, programme: dict[str, Any] = PROGRAMME) -> tuple[Path, dict[str, str]]:
    """The run in ``folder/run.db``, created from the workshop folder ``folder/workshop`` (its images beside it)."""
    workshop = folder / "workshop"
    make_images(workshop)
    clock = FakeClock(at(6, 50))
    db = folder / "run.db"
    Store.create(db, Programme.validate(programme), actor="lead", clock=clock, source=workshop).close()
    ids: dict[str, str] = {}
    with Store.open(db, clock=clock) as store:
        s = Session(store, actor="lead")
        s.announce()
        for index, (name, location) in enumerate(
            zip(EVERYONE, ("hq", "kyiv", "juba", "juba", "hq", "hq", "hq"), strict=True), start=1
        ):
            ids[name] = f"p{index}"
            s.add_participant(name, f"person{index}@example.org", location, participant_id=f"p{index}")
        for name in (*ELIGIBLE, "Amina Diallo"):
            s.check_in(ids[name])  # 06:50
        clock.advance(at(7, 0) - clock.now())
        s.next_step()  # 07:00 morning / a
        clock.advance(timedelta(hours=1))
        s.check_in(ids["Sofía Núñez"])  # 08:00: an hour late
        s.next_step()  # 08:00 morning / b
        clock.advance(timedelta(minutes=90))
        s.open_day(DAY2)  # 09:30: the first day is over (150 minutes)

        clock.advance(at(6, 58, DAY2) - clock.now())
        for name in (*ELIGIBLE, "Amina Diallo", "Sofía Núñez"):
            s.check_in(ids[name])
        clock.advance(at(7, 0, DAY2) - clock.now())
        s.next_step()  # 07:00 afternoon / c
        clock.advance(timedelta(minutes=40))
        s.check_out(ids["Amina Diallo"])  # 07:40: 40 of 120 minutes
        clock.advance(at(9, 0, DAY2) - clock.now())
        s.close_day()  # 09:00 (120 minutes)
    return db, ids


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FACILITATOR, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
        env={**os.environ, "FACILITATOR_CLOCK": ""},
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))


def pdf_text(path: Path) -> str:
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())  # lines joined: wrapping is the layout's business


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """The run, and the certificates the command wrote for it: (database, folder, ids by name)."""
    folder = tmp_path_factory.mktemp("certificates")
    db, ids = build_run(folder)
    out = folder / "certificates"
    result = cli("certificates", "--db", db, "--out", out, "--verify-url", "https://checkin.example.org/")
    assert result.returncode == 0, result.stderr
    yield db, out, ids


def roll_of(out: Path) -> dict[str, dict[str, str]]:
    return {row["name"]: row for row in read_csv(out / "certificates.csv")}


# -- the roll -----------------------------------------------------------------------------------------------


def test_the_roll_lists_everyone_eligible_or_not_with_the_reason(issued: tuple[Path, Path, dict[str, str]]) -> None:
    _, out, ids = issued
    rows = read_csv(out / "certificates.csv")
    got = [(row["name"], row["eligible"], row["reason"], row["attended_minutes"]) for row in rows]
    assert got == [
        (ACCENTS, "yes", "attended 4.5 h of 3.6 h required", "270"),
        (CYRILLIC, "yes", "attended 4.5 h of 3.6 h required", "270"),
        (ARABIC, "yes", "attended 4.5 h of 3.6 h required", "270"),
        ("Amina Diallo", "no", "attended 3.1 h of 3.6 h required", "190"),
        ("Sofía Núñez", "no", "attended 3.5 h of 3.6 h required", "210"),
        ("Jean-Pierre Moreau", "no", "attended 0 h of 3.6 h required", "0"),
        ("'" + FORMULA, "no", "attended 0 h of 3.6 h required", "0"),  # a formula stays text in a spreadsheet
    ]
    assert [row["number"] for row in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    assert [row["participant_id"] for row in rows] == [ids[name] for name in EVERYONE]
    assert {row["required_minutes"] for row in rows} == {"216"}
    for row in rows:
        assert bool(row["certificate"]) == bool(row["code"]) == (row["eligible"] == "yes")


def test_the_roll_follows_the_exports_rule(tmp_path: Path, issued: tuple[Path, Path, dict[str, str]]) -> None:
    """One rule: the export's certificates table and the roll agree on every person, figures and all."""
    db, out, _ = issued
    export(db, tmp_path / "export", formats=["csv"], now=datetime.now(UTC))
    exported = {row["participant_id"]: row for row in read_csv(tmp_path / "export" / "certificates.csv")}
    for row in read_csv(out / "certificates.csv"):
        theirs = exported[row["participant_id"]]
        assert (theirs["eligible"], float(theirs["attended_minutes"])) == (
            row["eligible"],
            float(row["attended_minutes"]),
        )
        assert float(theirs["required_minutes"]) == float(row["required_minutes"])


def test_hours_are_rounded_so_as_never_to_flatter() -> None:
    assert tenths_of_hours(870) == "14.5"
    assert tenths_of_hours(1200) == "20"
    assert tenths_of_hours(959) == "15.9"  # attended: down
    assert tenths_of_hours(959, up=True) == "16"  # required: up
    assert tenths_of_hours(0) == "0"
    assert date_range(date(2022, 8, 29), date(2022, 9, 2)) == "29 August – 2 September 2022"
    assert date_range(date(2022, 12, 30), date(2023, 1, 3)) == "30 December 2022 – 3 January 2023"
    assert date_range(DAY1, DAY1) == "22 August 2022"


# -- the certificates ---------------------------------------------------------------------------------------


def test_one_pdf_per_eligible_person_and_none_for_the_others(issued: tuple[Path, Path, dict[str, str]]) -> None:
    _, out, _ = issued
    roll = roll_of(out)
    pdfs = sorted(path.name for path in out.glob("*.pdf"))
    assert pdfs == ["001-zoe-angstrom-eloise.pdf", "002.pdf", "003.pdf"]
    assert sorted(roll[name]["certificate"] for name in ELIGIBLE) == pdfs
    others = [name for name in EVERYONE if name not in ELIGIBLE]
    for pdf in pdfs:
        text = pdf_text(out / pdf)
        for name in others:
            assert name not in text
            assert name.split()[0] not in text


@pytest.mark.parametrize("name", ELIGIBLE)
def test_each_certificate_says_who_what_when_where_and_how_long(
    issued: tuple[Path, Path, dict[str, str]], name: str
) -> None:
    _, out, _ = issued
    row = roll_of(out)[name]
    text = pdf_text(out / row["certificate"])
    # The name exactly as written: accents kept, Cyrillic drawn, Arabic shaped and in its own order (unshaped,
    # left to right, it would read back reversed).
    assert name in text
    for other in ELIGIBLE:
        assert other == name or other not in text
    location = {ACCENTS: "New York headquarters", CYRILLIC: "Kyiv liaison office", ARABIC: "UNMISS (South Sudan)"}
    for expected in (
        "CERTIFICATE OF ATTENDANCE",
        COURSE,
        f"22–23 August 2022 · {location[name]}",
        "4.5 hours attended",
        "UN System Staff College",
        "Ana Pérez, Director",
        row["code"],
        "check it at https://checkin.example.org/verify",
    ):
        assert expected in text, (expected, text)


def test_the_certificates_embed_the_font_and_the_workshops_images(issued: tuple[Path, Path, dict[str, str]]) -> None:
    _, out, _ = issued
    reader = PdfReader(out / roll_of(out)[ARABIC]["certificate"])
    page = reader.pages[0]
    fonts = {str(font["/BaseFont"]) for font in page["/Resources"]["/Font"].values()}  # type: ignore[index,union-attr]
    assert fonts and all("DejaVu" in font for font in fonts)
    assert len(page.images) == 2  # the logo and the signature
    assert reader.metadata is not None and reader.metadata.title == f"Certificate of attendance: {ARABIC}"


def test_the_qr_code_leads_to_the_verification_page() -> None:
    look = certificates.Look(issuer="X", verify_url="https://checkin.example.org")
    page = certificates.Page("n", "c", "", "d", "l", "h", "i", "7KQ2-M9XD-0RTA-4WZE-C1HB", look)
    assert page.qr_data == "https://checkin.example.org/verify/7KQ2-M9XD-0RTA-4WZE-C1HB"
    bare = certificates.Page("n", "c", "", "d", "l", "h", "i", "7KQ2-M9XD-0RTA-4WZE-C1HB", certificates.Look("X"))
    assert bare.qr_data == "7KQ2-M9XD-0RTA-4WZE-C1HB"


def test_the_printed_qr_code_scans_to_the_verification_link(
    tmp_path: Path, issued: tuple[Path, Path, dict[str, str]]
) -> None:
    gs, zbarimg = require("gs"), require("zbarimg")  # fail in CI when missing (.ci/run installs them)
    _, out, _ = issued
    row = roll_of(out)[CYRILLIC]
    image = tmp_path / "page.png"
    subprocess.run([gs, "-q", "-sDEVICE=pnggray", "-r200", "-o", str(image), str(out / row["certificate"])], check=True)
    scanned = subprocess.run([zbarimg, "-q", "--raw", str(image)], capture_output=True, text=True, check=False)
    assert scanned.stdout.strip() == f"https://checkin.example.org/verify/{row['code']}"


def test_files_and_folder_are_private(issued: tuple[Path, Path, dict[str, str]]) -> None:
    _, out, _ = issued
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    files = list(out.iterdir())
    assert len(files) == 4  # three certificates and the roll; no hidden work folder left behind
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# -- verification -------------------------------------------------------------------------------------------


def test_a_code_verifies_and_says_whose_certificate_it_is(issued: tuple[Path, Path, dict[str, str]]) -> None:
    db, out, _ = issued
    code = roll_of(out)[ARABIC]["code"]
    result = cli("certificates", "verify", code.lower().replace("-", " "), "--db", db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"genuine: the certificate of {ARABIC} <person3@example.org>, UNMISS (South Sudan) (number 3 on the roster)",
        f"  {COURSE}, 22–23 August 2022; 4.5 hours attended",
        "  issued by UN System Staff College",
    ]


def test_a_tampered_or_unknown_code_is_not_genuine(tmp_path: Path, issued: tuple[Path, Path, dict[str, str]]) -> None:
    db, out, _ = issued
    roll = roll_of(out)
    code = roll[CYRILLIC]["code"]
    plain = code.replace("-", "")
    before = digest(db)
    for position in (0, 5, 19):  # the roster number, the minutes, the signature
        swapped = "X" if plain[position] != "X" else "Y"
        tampered = verification.format_code(plain[:position] + swapped + plain[position + 1 :])
        result = cli("certificates", "verify", tampered, "--db", db)
        assert (result.returncode, result.stdout) == (
            1,
            f"not genuine: no certificate of this run has the code {tampered}\n",
        )
        assert CYRILLIC not in result.stdout + result.stderr
    # The code of another run (its own secret) is not genuine here, though it names the same roster number.
    other, _ = build_run(tmp_path)
    with Store.open(other) as store:
        secret = tokens.load_settings(store).secret
    forged = verification.sign(verification.certificate_key(secret), "p2", 2, 270)
    assert cli("certificates", "verify", forged, "--db", db).returncode == 1
    malformed = cli("certificates", "verify", "ABCD-EFGH", "--db", db)
    assert (
        malformed.returncode == 2 and malformed.stderr.count("\n") == 1 and "not a certificate code" in malformed.stderr
    )
    assert digest(db) == before  # checking reads only


def test_codes_carry_the_number_and_minutes_under_a_65_bit_signature() -> None:
    key = verification.certificate_key(b"k" * 32)
    code = verification.sign(key, "abc", 17, 870)
    assert len(code) == 24 and code.count("-") == 4
    assert verification.read(code) is not None
    claim = verification.read(code)
    assert claim is not None and (claim.number, claim.minutes) == (17, 870)
    roster = [f"id{i}" for i in range(1, 17)] + ["abc"]
    assert verification.verify(key, code, roster) == verification.Verified("abc", 17, 870)
    # Typed as people copy it: lower case, spaces, O for 0 and I or L for 1.
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert verification.verify(key, typed, roster) is not None
    assert verification.verify(key, code, roster[:16]) is None  # nobody at that number
    assert verification.verify(key, code, [*roster[:16], "someone-else"]) is None
    assert verification.verify(verification.certificate_key(b"j" * 32), code, roster) is None
    # Every single-bit change of the 100 bits is refused.
    value = 0
    for ch in code.replace("-", ""):
        value = (value << 5) | verification.ALPHABET.index(ch)
    for bit in range(100):
        flipped = value ^ (1 << bit)
        chars = "".join(verification.ALPHABET[(flipped >> (5 * i)) & 31] for i in reversed(range(20)))
        assert verification.verify(key, chars, roster) is None, bit
    # The key that signs certificates is not the page's secret itself.
    assert verification.certificate_key(b"k" * 32) != b"k" * 32


def test_the_secret_is_made_once_and_never_stored_in_events(tmp_path: Path) -> None:
    db, _ = build_run(tmp_path)
    with Store.open(db) as store:
        assert verification.stored_secret(store.conn) is None  # no participant page yet
        kinds_before = len(store.events())
    assert cli("certificates", "--db", db, "--out", tmp_path / "one").returncode == 0
    with Store.open(db) as store:
        secret = verification.stored_secret(store.conn)
        assert secret is not None and len(store.events()) == kinds_before
        payloads = store.conn.execute("SELECT payload FROM events").fetchall()
    assert cli("certificates", "--db", db, "--out", tmp_path / "two").returncode == 0
    first, second = roll_of(tmp_path / "one"), roll_of(tmp_path / "two")
    assert [row["code"] for row in first.values()] == [row["code"] for row in second.values()]
    codes = [row["code"].replace("-", "") for row in first.values() if row["code"]]
    assert not any(code in str(payloads) for code in codes)
    assert secret.hex() not in str(payloads)


# -- the command's refusals ---------------------------------------------------------------------------------


def test_the_command_refuses_anonymise_and_a_folder_not_empty(
    tmp_path: Path, issued: tuple[Path, Path, dict[str, str]]
) -> None:
    db, _, _ = issued
    before = digest(db)
    anonymised = cli("certificates", "--db", db, "--out", tmp_path / "new", "--anonymise")
    assert anonymised.returncode == 2 and anonymised.stderr.count("\n") == 1
    assert "--anonymise" in anonymised.stderr and "never anonymised" in anonymised.stderr
    assert not (tmp_path / "new").exists()

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    refused = cli("certificates", "--db", db, "--out", taken)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "is not empty" in refused.stderr and "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]
    assert digest(db) == before

    forced = cli("certificates", "--db", db, "--out", taken, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (taken / "notes.txt").read_text() == "mine"  # other files are left alone
    assert len(list(taken.glob("*.pdf"))) == 3 and (taken / "certificates.csv").exists()

    assert cli("certificates", "--out", tmp_path / "x").returncode == 2  # no --db
    file = tmp_path / "a-file"
    file.write_text("")
    not_a_folder = cli("certificates", "--db", db, "--out", file)
    assert not_a_folder.returncode == 2 and "is a file, not a folder" in not_a_folder.stderr


def test_a_missing_image_or_issuer_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    db, _ = build_run(tmp_path)
    (tmp_path / "workshop" / "images" / "logo.png").unlink()
    result = cli("certificates", "--db", db, "--out", tmp_path / "out")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("certificate.logo: ") and "--workshop" in result.stderr
    assert not (tmp_path / "out").exists()

    programme = copy.deepcopy(PROGRAMME)
    del programme["workshop"]["certificate"]
    programme["workshop"]["organiser"] = ""
    bare, _ = build_run(tmp_path / "bare", programme)
    result = cli("certificates", "--db", bare, "--out", tmp_path / "bare-out")
    assert result.returncode == 2 and result.stderr.startswith("certificate.issuer: ")
    # The organiser issues them when the workshop names no issuer.
    programme["workshop"]["organiser"] = "DPO Gender Unit"
    organised, _ = build_run(tmp_path / "organised", programme)
    assert cli("certificates", "--db", organised, "--out", tmp_path / "organised-out").returncode == 0
    text = pdf_text(next((tmp_path / "organised-out").glob("001-*.pdf")))
    assert "DPO Gender Unit" in text and "organised by" not in text


def test_settings_can_come_from_the_workshop_folder_as_it_is_now(tmp_path: Path) -> None:
    db, _ = build_run(tmp_path)
    newer = tmp_path / "newer"
    newer.mkdir()
    make_images(newer)
    workshop_yaml = (
        "title: Renamed\ntimezone: Africa/Juba\nlocations:\n  - {id: juba, name: Juba, timezone: Africa/Juba}\n"
        "days:\n  - {date: 2022-08-22, start: '09:00', agenda: [x]}\n"
        "certificate:\n  issuer: Peace and Security Hub\n  logo: images/logo.png\n"
    )
    (newer / "workshop.yaml").write_text(workshop_yaml)
    (newer / "x.yaml").write_text("id: x\ntitle: X\nsteps:\n  - {id: s, title: S, kind: presentation, duration: 5m}\n")
    result = cli("certificates", "--db", db, "--out", tmp_path / "out", "--workshop", newer)
    assert result.returncode == 0, result.stderr
    text = pdf_text(tmp_path / "out" / "001-zoe-angstrom-eloise.pdf")
    assert "Peace and Security Hub" in text and "UN System Staff College" not in text
    assert COURSE in text  # the course is the run's: only the certificate settings come from the folder
    assert len(PdfReader(tmp_path / "out" / "001-zoe-angstrom-eloise.pdf").pages[0].images) == 1


def test_the_participant_pages_public_address_is_the_default_verify_url(tmp_path: Path) -> None:
    db, _ = build_run(tmp_path)
    with Store.open(db) as store:
        tokens.save_settings(
            store, rotate=timedelta(minutes=30), grace=timedelta(minutes=5), public_url="https://page.example.org"
        )
    result = cli("certificates", "--db", db, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "check it at https://page.example.org/verify" in pdf_text(tmp_path / "out" / "003.pdf")


def test_a_name_the_font_cannot_draw_is_written_with_a_warning_that_names_no_one(tmp_path: Path) -> None:
    db, ids = build_run(tmp_path)
    with Store.open(db) as store:
        Session(store, actor="lead").edit_participant(ids[ACCENTS], name="王小明")
    result = cli("certificates", "--db", db, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (
        "warning: the name of number 1 on the roster has characters the bundled font cannot draw (U+738B, U+5C0F, "
        "U+660E); they print blank on 001.pdf"
    ) in result.stderr
    assert "王" not in result.stderr and (tmp_path / "out" / "001.pdf").exists()
    assert certificates.missing_glyphs(f"{ARABIC} {CYRILLIC} {ACCENTS} Ωμέγα") == []


# -- the workshop file --------------------------------------------------------------------------------------

WORKSHOP = """\
title: T
timezone: Africa/Juba
locations:
  - {id: juba, name: Juba, timezone: Africa/Juba}
days:
  - {date: 2022-08-22, start: "09:00", agenda: [x]}
certificate:
  issuer: Hub
"""


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("  logo: /etc/logo.png", ":9: certificate.logo: '/etc/logo.png': write the path relative to the workshop"),
        ("  logo: logo.gif", ":9: certificate.logo: 'logo.gif' is not a PNG or JPEG image"),
        ("  logo: missing.png", ":9: certificate.logo: file not found: missing.png"),
        ("  signature: fake.png", ":9: certificate.signature: fake.png is not a PNG or JPEG image"),
        ("  isuer: x", ":9: certificate.isuer: unknown field (did you mean 'issuer'?)"),
    ],
)
def test_certificate_settings_are_checked_at_their_line(tmp_path: Path, setting: str, message: str) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "workshop.yaml").write_text(WORKSHOP + setting + "\n")
    (folder / "x.yaml").write_text("id: x\ntitle: X\nsteps:\n  - {id: s, title: S, kind: presentation, duration: 5m}\n")
    (folder / "fake.png").write_text("not an image")
    with pytest.raises(InputError) as caught:
        load_workshop(folder)
    [problem] = [str(p) for p in caught.value.problems]
    assert message in problem, problem


def test_the_demo_names_an_issuer() -> None:
    demo = Path(__file__).resolve().parent.parent / "exercises"
    settings = load_workshop(demo).programme.workshop.certificate
    assert settings is not None and settings.issuer


def test_days_not_run_count_as_not_attended_and_are_named(tmp_path: Path) -> None:
    programme = copy.deepcopy(PROGRAMME)
    programme["workshop"]["days"].append({"date": "2022-08-24", "start": "09:00", "agenda": ["afternoon"]})
    db, _ = build_run(tmp_path, programme)
    roll = read_roll(db, datetime.now(UTC))
    assert roll.days_not_run == [date(2022, 8, 24)]
    assert [entry.eligible for entry in roll.entries] == [False] * 7  # 270 of 312 minutes at most
    assert roll.entries[0].reason == "attended 4.5 h of 5.2 h required"
    result = cli("certificates", "--db", db, "--out", tmp_path / "out")
    assert result.returncode == 0 and "2022-08-24" in result.stderr
    assert not list((tmp_path / "out").glob("*.pdf"))
