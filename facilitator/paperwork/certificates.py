"""``facilitator certificates``: one PDF per eligible participant, and the roll of everyone with the reason.

Each certificate names its holder, the course, its dates, the hours attended, the holder's location and the
issuer, with the workshop's logo and signature when it has them, and a verification code printed and as a
QR code (facilitator.paperwork.verification). The roll, ``certificates.csv``, lists everyone on the roster:
eligible or not, why (``attended 14.5 h of 20 h required``), and the file and code of each certificate.

Names are drawn with DejaVu Sans, bundled in ``fonts/`` and embedded (subset) in each file: Latin with its
accents, Greek, Cyrillic and Arabic. Text is shaped with HarfBuzz (fpdf2's ``set_text_shaping``), so Arabic
letters join and run right to left. A name with characters the font lacks (Chinese, say) is still written,
with a warning giving the person's number on the roster, never the name.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facilitator.exports.csv_out import CsvWriter
from facilitator.exports.inert import visible
from facilitator.exports.tables import BOOL, INT, Column, Table
from facilitator.paperwork.roll import Entry, Roll
from facilitator.paperwork.verification import certificate_key, issuer_of, sign
from facilitator.paperwork.wording import date_range, hours_attended
from facilitator.problems import InputError, display_path
from facilitator.script.models import CertificateSettings, Programme

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"
FAMILY = "DejaVu"
Colour = tuple[int, int, int]
INK: Colour = (31, 56, 100)  # the border and the heading: a dark blue that prints well in grey too
GREY: Colour = (90, 90, 90)
BLACK: Colour = (0, 0, 0)
PAGE_WIDTH = 297.0  # A4 landscape, in mm
PAGE_HEIGHT = 210.0
TEXT_WIDTH = 245.0


@dataclass(frozen=True)
class Look:
    """What every certificate of a run shows besides the holder: resolved and checked before any is drawn."""

    issuer: str
    signatory: str = ""
    logo: Path | None = None
    signature: Path | None = None
    verify_url: str | None = None  # the participant page's address; None: the QR code holds the code alone


def look_of(
    programme: Programme,
    *,
    folder: Path | None,
    settings: CertificateSettings | None = None,
    verify_url: str | None = None,
) -> Look:
    """The run's certificate settings (or ``settings``, read afresh from the workshop) with their images found in
    ``folder``, the workshop's folder; one clear problem when anything is missing."""
    settings = settings if settings is not None else programme.workshop.certificate
    issuer = settings.issuer if settings is not None else issuer_of(programme)
    if not issuer:
        raise InputError(
            "certificate.issuer: the workshop names no issuer for its certificates; add `certificate: {issuer: ...}` "
            "to workshop.yaml (and give that folder with --workshop if the run was created before)"
        )
    images: dict[str, Path | None] = {"logo": None, "signature": None}
    for name in images:
        relative = getattr(settings, name) if settings is not None else None
        if relative is None:
            continue
        if folder is None:
            raise InputError(
                f"certificate.{name}: the run does not record which folder its workshop came from; "
                "give it with --workshop DIR"
            )
        path = folder / relative
        _check_image(path, f"certificate.{name}")
        images[name] = path
    return Look(
        issuer=issuer,
        signatory=settings.signatory if settings is not None else "",
        logo=images["logo"],
        signature=images["signature"],
        verify_url=verify_url.rstrip("/") if verify_url else None,
    )


def workshop_folder(source: Path | None) -> Path | None:
    """The folder of a workshop given as its folder or as its ``workshop.yaml`` (which may be gone by now)."""
    if source is None:
        return None
    return source.parent if source.suffix.lower() in (".yaml", ".yml") and not source.is_dir() else source


def _check_image(path: Path, field: str) -> None:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise InputError(f"{field}: {display_path(path)}: no such file (give the workshop folder with --workshop DIR)")
    try:
        with Image.open(path) as image:
            image.verify()
            if image.format not in ("PNG", "JPEG"):
                raise InputError(f"{field}: {display_path(path)}: is not a PNG or JPEG image")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InputError(f"{field}: {display_path(path)}: cannot be read as an image") from None


# -- the words ----------------------------------------------------------------------------------------------


def file_name(entry: Entry, width: int) -> str:
    """``017-amina-diallo.pdf``: the roster number, then the name in plain letters where it has any."""
    plain = unicodedata.normalize("NFKD", entry.person.name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].strip("-")
    return f"{entry.number:0{width}d}{'-' + slug if slug else ''}.pdf"


@functools.cache
def _covered(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str, font: Path = BOLD) -> list[str]:
    """The characters of ``text`` the font cannot draw, as ``U+4E2D``; format characters are not drawn anyway."""
    covered = _covered(font)
    found = dict.fromkeys(
        f"U+{ord(ch):04X}" for ch in text if ord(ch) not in covered and unicodedata.category(ch) not in ("Cf", "Cc")
    )
    return list(found)


# -- the page ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """Everything one certificate says."""

    name: str
    course: str
    organiser: str
    dates: str
    location: str
    hours: str
    issued: str
    code: str
    look: Look

    @property
    def qr_data(self) -> str:
        return f"{self.look.verify_url}/verify/{self.code}" if self.look.verify_url else self.code


def qr_modules(data: str) -> list[list[bool]]:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def draw(page: Page, now: datetime) -> bytes:
    """The certificate as a one-page A4 landscape PDF."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(26, 16, 26)
    pdf.add_font(FAMILY, "", str(REGULAR))
    pdf.add_font(FAMILY, "B", str(BOLD))
    pdf.set_text_shaping(True)  # HarfBuzz: Arabic joined and right to left, accents placed
    pdf.set_creation_date(now)
    pdf.set_title(f"Certificate of attendance: {page.name}")
    pdf.set_subject(page.course)
    pdf.set_author(page.look.issuer)
    pdf.set_creator("facilitator")
    pdf.set_lang("en")
    pdf.add_page()
    _frame(pdf, page)
    _body(pdf, page)
    _signature(pdf, page)
    _verification(pdf, page)
    return bytes(pdf.output())


BASE = 178.0  # the signature line's height on the page
LEFT = 30.0


def _frame(pdf: FPDF, page: Page) -> None:
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.8)
    pdf.rect(8, 8, PAGE_WIDTH - 16, PAGE_HEIGHT - 16)
    pdf.set_line_width(0.25)
    pdf.rect(11, 11, PAGE_WIDTH - 22, PAGE_HEIGHT - 22)
    if page.look.logo is not None:
        pdf.image(page.look.logo, x=(PAGE_WIDTH - 70) / 2, y=16, w=70, h=22, keep_aspect_ratio=True)


def _line(pdf: FPDF, text: str, size: float, *, h: float, bold: bool = False, colour: Colour = BLACK) -> None:
    """One centred paragraph across the page (wrapped when long)."""
    from fpdf.enums import XPos, YPos

    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*colour)
    pdf.set_x((PAGE_WIDTH - TEXT_WIDTH) / 2)
    pdf.multi_cell(TEXT_WIDTH, h, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _body(pdf: FPDF, page: Page) -> None:
    pdf.set_y(44)
    _line(pdf, "CERTIFICATE OF ATTENDANCE", 24, bold=True, colour=INK, h=12)
    pdf.ln(8)
    _line(pdf, "This is to certify that", 13, h=8)
    pdf.ln(3)
    size = 30.0  # the name on one line if it can be, down to 14 pt
    pdf.set_font(FAMILY, "B", size)
    while size > 14 and pdf.get_string_width(page.name) > TEXT_WIDTH:
        size -= 1
        pdf.set_font(FAMILY, "B", size)
    _line(pdf, page.name, size, bold=True, h=size * 0.5)
    pdf.ln(5)
    _line(pdf, "has attended", 13, h=8)
    pdf.ln(2)
    _line(pdf, page.course, 18, bold=True, colour=INK, h=9)
    if page.organiser and page.organiser != page.look.issuer:
        _line(pdf, f"organised by {page.organiser}", 11, colour=GREY, h=7)
    pdf.ln(6)
    _line(pdf, f"{page.dates} · {page.location}", 13, h=7.5)
    _line(pdf, page.hours, 13, h=7.5)


def _signature(pdf: FPDF, page: Page) -> None:
    """The signature over a line, the signatory and the issuer under it, bottom left; the date of issue."""
    from fpdf.enums import XPos, YPos

    if page.look.signature is not None:
        pdf.image(page.look.signature, x=LEFT, y=BASE - 24, w=70, h=22, keep_aspect_ratio=True)
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.3)
    pdf.line(LEFT, BASE, LEFT + 80, BASE)
    pdf.set_xy(LEFT, BASE + 1.5)
    for text, size, bold in ((page.look.signatory, 10.5, True), (page.look.issuer, 9.5, False)):
        if text:
            pdf.set_font(FAMILY, "B" if bold else "", size)
            pdf.set_text_color(*BLACK)
            pdf.set_x(LEFT)
            pdf.multi_cell(80, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*GREY)
    pdf.set_xy((PAGE_WIDTH - 80) / 2, BASE + 1.5)
    pdf.cell(80, 5, f"Issued on {page.issued}", align="C")


def _verification(pdf: FPDF, page: Page) -> None:
    """The QR code, drawn as vector squares, with the verification code under it, bottom right."""
    from fpdf.enums import XPos, YPos

    modules = qr_modules(page.qr_data)
    side = 30.0
    x0, y0 = PAGE_WIDTH - 30 - side, BASE - side + 2
    unit = side / len(modules)
    pdf.set_fill_color(*BLACK)
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules: a small file that prints sharp
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x0 + start * unit, y0 + r * unit, (c - start) * unit + 0.01, unit + 0.01, style="F")
    pdf.set_text_color(*BLACK)
    pdf.set_font(FAMILY, "B", 8.5)
    pdf.set_xy(x0 - 25, y0 + side + 2)
    pdf.cell(side + 50, 4.5, page.code, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 7)
    pdf.set_text_color(*GREY)
    pdf.set_x(x0 - 25)
    if page.look.verify_url:
        note = f"Verification code: check it at {page.look.verify_url}/verify"
    else:
        note = "Verification code: the issuer can check it"
    pdf.multi_cell(side + 50, 3.5, note, align="C")


# -- the batch ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """One person of the roll with their certificate's file name and verification code (both empty for
    someone not eligible)."""

    entry: Entry
    file: str  # the certificate's file name; empty for a person not eligible
    code: str


@dataclass
class Batch:
    """What ``write`` produced: every person with their file and code, and the warnings to show."""

    issued: list[Issued]
    warnings: list[str]


def issue(roll: Roll, secret: bytes) -> list[Issued]:
    """Every person of the roll with a certificate file name and code when eligible."""
    key = certificate_key(secret)
    width = max(3, len(str(max((e.number for e in roll.entries), default=0))))
    out = []
    for entry in roll.entries:
        if entry.eligible:
            out.append(Issued(entry, file_name(entry, width), sign(key, entry.person.id, entry.number, entry.minutes)))
        else:
            out.append(Issued(entry, "", ""))
    return out


def roll_table(issued: list[Issued]) -> Table:
    """The roll: everyone on the roster, eligible or not, why, and their certificate's file and code."""
    columns = (
        Column("number", INT),
        Column("participant_id"),
        Column("name", untrusted=True),
        Column("email", untrusted=True),
        Column("location"),
        Column("location_name", untrusted=True),
        Column("attended_minutes", INT),
        Column("required_minutes", INT),
        Column("eligible", BOOL),
        Column("reason"),
        Column("certificate"),
        Column("code"),
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        for item in issued:
            entry = item.entry
            yield (
                entry.number,
                entry.person.id,
                entry.person.name,
                entry.person.email,
                entry.person.location,
                entry.location_name,
                entry.minutes,
                round(entry.required_minutes),
                entry.eligible,
                entry.reason,
                item.file,
                item.code,
            )

    return Table("certificates", "Certificates", columns, rows())


def write(
    roll: Roll,
    look: Look,
    secret: bytes,
    folder: Path,
    now: datetime,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Path], Batch]:
    """Write the roll and each eligible person's certificate into ``folder``; return the files and the batch."""
    import zoneinfo

    programme = roll.programme
    workshop = programme.workshop
    first, last = roll.dates()
    issued_on = now.astimezone(zoneinfo.ZoneInfo(workshop.timezone)).date()
    issued = issue(roll, secret)
    warnings: list[str] = []
    for text, what in ((workshop.title, "the course title"), (look.issuer, "the issuer")):
        if missing := missing_glyphs(text):
            warnings.append(f"{what} has characters the bundled font cannot draw ({', '.join(missing[:5])})")
    files: list[Path] = []
    eligible = [item for item in issued if item.file]
    for done, item in enumerate(eligible, start=1):
        entry = item.entry
        if missing := missing_glyphs(entry.person.name):
            warnings.append(
                f"the name of number {entry.number} on the roster has characters the bundled font cannot draw "
                f"({', '.join(missing[:5])}); they print blank on {item.file}"
            )
        page = Page(
            name=visible(entry.person.name),
            course=visible(workshop.title),
            organiser=visible(workshop.organiser),
            dates=date_range(first, last),
            location=visible(entry.location_name),
            hours=hours_attended(entry.minutes),
            issued=date_range(issued_on, issued_on),
            code=item.code,
            look=Look(
                issuer=visible(look.issuer),
                signatory=visible(look.signatory),
                logo=look.logo,
                signature=look.signature,
                verify_url=look.verify_url,
            ),
        )
        path = folder / item.file
        path.write_bytes(draw(page, now))
        files.append(path)
        if progress is not None:
            progress(done, len(eligible))
    writer = CsvWriter(folder)
    table = roll_table(issued)
    sink = writer.table(table)
    for row in table.rows:
        sink.row(row)
    sink.close()
    files.extend(writer.close())
    return files, Batch(issued, warnings)
