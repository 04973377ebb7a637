"""The participant page's QR code: the half-block renderer, and the code read off a real terminal by zbarimg.

Decoding is done by a real decoder (Debian's zbar-tools) on an image drawn from the characters, exactly
as a phone's camera would see the screen: ▀ ▄ █ are dark halves of a cell, everything else is light.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from facilitator.participant_page.qr import (
    HALF_BLOCKS,
    QUIET_ZONE,
    fitting_scale,
    half_blocks,
    matrix,
    read_half_blocks,
    render,
    scaled,
)
from facilitator.participant_page.tokens import load_settings, save_settings, verify
from facilitator.record.store import Store
from facilitator.script.loading import load_workshop
from tests.tools import BIN, Tmux, require

DEMO = Path(__file__).resolve().parent.parent / "exercises"
URL = "http://127.0.0.1:8765/p/abcdefghijkl"
MODULE_PIXELS = 6


def image_of(lines: Sequence[str], path: Path) -> Path:
    """A PNG of ``lines`` of text as the screen shows them: each cell two modules tall, one wide."""
    from PIL import Image

    modules = read_half_blocks(lines)
    width = max((len(row) for row in modules), default=0)
    margin = QUIET_ZONE  # light paper around the whole screen, as around a terminal window
    image = Image.new("L", ((width + 2 * margin) * MODULE_PIXELS, (len(modules) + 2 * margin) * MODULE_PIXELS), 255)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                left, top = (x + margin) * MODULE_PIXELS, (y + margin) * MODULE_PIXELS
                image.paste(0, (left, top, left + MODULE_PIXELS, top + MODULE_PIXELS))
    image.save(path)
    return path


def decode(lines: Sequence[str], tmp_path: Path) -> list[str]:
    """What zbarimg reads in ``lines``: one string per code found."""
    zbarimg = require("zbarimg")
    png = image_of(lines, tmp_path / f"screen-{uuid.uuid4().hex[:6]}.png")
    result = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.stdout.splitlines()


# -- the renderer ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        URL,
        "https://wps-training.example.org/p/a2b3c4d5e6f7",
        "https://facilitator.peacekeeping-training.example.org/workshop/p/zzzzzzzzzzzz",
    ],
)
def test_the_rendered_code_decodes_to_the_url(url: str, tmp_path: Path) -> None:
    assert decode(render(url), tmp_path) == [url]


def test_a_code_drawn_larger_still_decodes(tmp_path: Path) -> None:
    lines = render(URL, scale=2)
    assert (len(lines[0]), len(lines)) == (74, 37)
    assert read_half_blocks(lines)[:74] == scaled(matrix(URL), 2)
    assert decode(lines, tmp_path) == [URL]


def test_the_scale_is_the_largest_that_fits() -> None:
    assert fitting_scale(37, 80, 20) == 1  # 80×24 less title, keys and two lines of text
    assert fitting_scale(37, 74, 37) == 2
    assert fitting_scale(37, 73, 37) == 1  # one column short
    assert fitting_scale(37, 74, 36) == 1  # one row short
    assert fitting_scale(37, 200, 60) == 3
    assert fitting_scale(37, 10, 5) == 1  # too small for any: the smallest, clipped, rather than nothing


def test_a_damaged_code_does_not_decode(tmp_path: Path) -> None:
    """The decoder really reads the modules: wiping the three finder patterns leaves nothing to read."""
    lines = render(URL)
    size = len(lines[0])
    wiped = [" " * 12 + line[12 : size - 12] + " " * 12 if y < 7 else line for y, line in enumerate(lines)]
    assert decode(wiped, tmp_path) == []


def test_a_short_link_fits_an_80_by_24_terminal_with_room_for_the_text() -> None:
    lines = render(URL)
    assert len(lines[0]) <= 37 and len(lines) <= 19  # version 3 at most, quiet zone included
    assert all(len(line) == len(lines[0]) for line in lines)
    assert set("".join(lines)) <= HALF_BLOCKS


def test_the_smallest_version_and_lowest_correction_are_chosen() -> None:
    # Byte capacities at level L: version 1 holds 17, version 2 holds 32 (26 at level M), version 3 holds 53.
    assert len(matrix("x.org/p/abcdefgh", border=0)) == 21
    assert len(matrix("https://ab.org/p/abcdefghijkl/xy", border=0)) == 25  # 32 bytes: only level L fits v2
    assert len(matrix(URL, border=0)) == 29  # 36 bytes


def test_the_quiet_zone_is_four_light_modules_on_every_side() -> None:
    modules = matrix(URL)
    size = len(modules)
    assert QUIET_ZONE == 4 and size == 29 + 2 * 4  # the standard asks for four modules
    for i in range(QUIET_ZONE):
        assert not any(modules[i]) and not any(modules[size - 1 - i])
        assert not any(row[i] for row in modules) and not any(row[size - 1 - i] for row in modules)
    assert any(modules[QUIET_ZONE]) and any(row[QUIET_ZONE] for row in modules)


def test_half_blocks_draw_two_rows_per_line_and_read_back() -> None:
    modules = [[True, False, True, False], [True, True, False, False], [False, True, True, False]]
    assert half_blocks(modules) == ["█▄▀ ", " ▀▀ "]  # an odd last row pairs with a light one
    assert read_half_blocks(half_blocks(modules))[:3] == modules
    code = matrix(URL)
    assert read_half_blocks(half_blocks(code))[: len(code)] == code


def test_rendering_does_not_import_qrcode_at_start_up() -> None:
    """The core module loads without the qrcode library; it is imported when a code is drawn."""
    code = "import sys, facilitator.participant_page.qr; print('qrcode' in sys.modules)"
    result = subprocess.run([str(BIN / "python"), "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# -- the real terminal --------------------------------------------------------------------------------


@pytest.fixture
def tmux_factory() -> Iterator[list[Tmux]]:
    made: list[Tmux] = []
    yield made
    for terminal in made:
        terminal.kill()


def code_lines(screen: str) -> list[str]:
    """The screen's lines that hold part of a code: only half blocks and spaces, at least one block."""
    lines = screen.splitlines()
    rows = [y for y, line in enumerate(lines) if set(line) & HALF_BLOCKS and set(line) <= HALF_BLOCKS | {" "}]
    assert rows, f"no code on the screen:\n{screen}"
    return lines[rows[0] : rows[-1] + 1]


def wait_for_code(tmux: Tmux, text: str) -> str:
    """The first capture that shows ``text`` and a code, and is the same as the one before (not mid-repaint)."""
    screen = ""

    def shows() -> bool:
        nonlocal screen
        previous, screen = screen, tmux.screen()
        return text in screen and "/p/" in screen and "█" in screen and screen == previous

    from tests.tools import wait_for

    assert wait_for(shows, timeout=30), f"no code for {text!r} on screen:\n{screen}"
    return screen


@pytest.mark.slow
@pytest.mark.parametrize(("size", "scale"), [((80, 24), 1), ((132, 43), 2)])
def test_the_code_read_off_the_terminal_opens_the_page_of_that_location(
    tmux_factory: list[Tmux], tmp_path: Path, size: tuple[int, int], scale: int
) -> None:
    require("zbarimg")
    programme = load_workshop(DEMO).programme
    db = tmp_path / "run.db"
    public_url = "https://wps-training.example.org"
    with Store.create(db, programme, actor="lead") as store:
        save_settings(store, rotate=timedelta(minutes=30), grace=timedelta(minutes=5), public_url=public_url)
    width, height = size
    tmux = Tmux(f"facilitator-qr-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=width, height=height)
    tmux_factory.append(tmux)
    tmux.start(f"facilitator run --db {db} --as lead", cwd=tmp_path)
    tmux.wait_for_text("Press n to start")
    tmux.send("q")
    first = programme.workshop.locations[0]
    screen = wait_for_code(tmux, first.name)

    lines = code_lines(screen)
    dark_columns = [x for line in lines for x, ch in enumerate(line) if ch in HALF_BLOCKS - {" "}]
    assert max(dark_columns) - min(dark_columns) + 1 == 29 * scale  # a version-3 code, larger on a larger screen
    urls = decode(lines, tmp_path)
    assert len(urls) == 1 and urls[0].startswith(f"{public_url}/p/"), screen
    assert urls[0] in screen  # the short address is written beneath the code
    with Store.open(db) as store:
        settings = load_settings(store)
    grant = verify(settings, programme, urls[0].rsplit("/", 1)[1], datetime.now(UTC))
    assert grant is not None and grant.location == first.id

    typed = urls[0].rsplit("/", 1)[1]
    assert f"{typed[:4]}-{typed[4:8]}-{typed[8:]}" in screen  # the code to type, for those who cannot scan

    tmux.send("Right")  # the next location's code
    second = programme.workshop.locations[1]
    screen = wait_for_code(tmux, second.name)
    urls = decode(code_lines(screen), tmp_path)
    assert len(urls) == 1
    grant = verify(settings, programme, urls[0].rsplit("/", 1)[1], datetime.now(UTC))
    assert grant is not None and grant.location == second.id

    tmux.send("Escape")
    tmux.wait_for_text("Press n to start")
    tmux.send("C-q")
    tmux.wait_for_text("EXITED 0")


@pytest.mark.slow
def test_the_room_view_shows_the_code_of_its_location(tmux_factory: list[Tmux], tmp_path: Path) -> None:
    require("zbarimg")
    programme = load_workshop(DEMO).programme
    db = tmp_path / "run.db"
    Store.create(db, programme, actor="lead").close()
    tmux = Tmux(f"facilitator-qr-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=140, height=45)
    tmux_factory.append(tmux)
    tmux.start(f"facilitator present --db {db} --location unmiss --as room", cwd=tmp_path)
    screen = wait_for_code(tmux, "or type")
    urls = decode(code_lines_right_of(screen, "or type"), tmp_path)
    assert len(urls) == 1, screen
    with Store.open(db) as store:
        grant = verify(load_settings(store), programme, urls[0].rsplit("/", 1)[1], datetime.now(UTC))
    assert grant is not None and grant.location == "unmiss"
    tmux.send("C-q")
    tmux.wait_for_text("EXITED 0")


def code_lines_right_of(screen: str, marker: str) -> list[str]:
    """The code beside the step's text: the columns from the code's own left edge, on the lines that draw it."""
    lines = screen.splitlines()
    rows = [y for y, line in enumerate(lines) if "▀" in line or "▄" in line or "█" in line]
    assert rows, f"no code on the screen:\n{screen}"
    left = min(min(i for i, ch in enumerate(lines[y]) if ch in "▀▄█") for y in rows)
    return [lines[y][left:] for y in range(rows[0], rows[-1] + 1)]
