"""The apps' stylesheets parsed once and kept between runs (facilitator.tui.kept_styles; issue 14, start-up)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.css import stylesheet as textual_stylesheet
from textual.css.stylesheet import StylesheetParseError
from textual.widgets import Static

from facilitator.tui import kept_styles
from facilitator.tui.kept_styles import KeptParses, read, unpickled, write


class Styled(App[None]):
    CSS = "#hello { color: $accent; padding: 0 1; } Static.quiet { text-style: italic; }"

    def compose(self) -> ComposeResult:
        yield Static("hello", id="hello")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The CSS texts Textual parses (rather than finds in a cache)."""
    parsed: list[str] = []
    real = textual_stylesheet.parse

    def counting(scope: str, css: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(css)
        return real(scope, css, *args, **kwargs)

    monkeypatch.setattr(textual_stylesheet, "parse", counting)
    return parsed


async def run(app: App[None], path: Path) -> list[tuple[str, object]]:
    """Run ``app`` with its parses kept in ``path``; the rules it styled with: selectors and styles."""
    kept = KeptParses(app.stylesheet, path)
    app.stylesheet._parse_cache = kept  # type: ignore[assignment]
    async with app.run_test() as pilot:
        await pilot.pause()
        # As text: a layout (``<vertical>``) is an object of its own in every parse, equal only to itself.
        rules = [(str(rule.selector_set), repr(rule.styles.get_rules())) for rule in app.stylesheet.rules]
    kept.keep()
    return rules


async def test_a_second_start_parses_nothing_the_first_did(tmp_path: Path, parses: list[str]) -> None:
    path = tmp_path / "styles.pickle"
    first = await run(Styled(), path)
    assert any("$accent" in css or "#hello" in css for css in parses)  # parsed, and kept
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    parses.clear()
    second = await run(Styled(), path)
    assert parses == []  # every sheet, ours and Textual's widgets' defaults, read back
    assert second == first  # the same rules, in the same order


def test_other_variables_are_parsed_again(tmp_path: Path, parses: list[str]) -> None:
    """A theme's variables are substituted as a sheet is parsed: other variables, another parse."""
    path = tmp_path / "styles.pickle"

    def colour(variables: dict[str, str]) -> object:
        sheet = textual_stylesheet.Stylesheet(variables=variables)
        kept = KeptParses(sheet, path)
        sheet._parse_cache = kept  # type: ignore[assignment]
        sheet.add_source("#hello { color: $accent; }", ("", "test"))
        sheet.parse()
        kept.keep()
        return sheet.rules[0].styles.color

    dark, light = {"accent": "#ff0000"}, {"accent": "#00ff00"}
    assert str(colour(dark)) != str(colour(light))
    assert len(parses) == 2
    assert str(colour(dark)) == str(colour({"accent": "#ff0000"}))
    assert len(parses) == 2  # both kept, each for its own variables


def test_rules_with_errors_are_never_kept(tmp_path: Path) -> None:
    path = tmp_path / "styles.pickle"
    sheet = textual_stylesheet.Stylesheet()
    kept = KeptParses(sheet, path)
    sheet._parse_cache = kept  # type: ignore[assignment]
    sheet.add_source("#hello { color: red; }", ("", "fine"))
    sheet.add_source("#hello { colour: red; }", ("", "broken"))
    with pytest.raises(StylesheetParseError):
        sheet.parse()
    kept.keep()
    assert [key[0][1] for key in read(path)] == [("", "fine")]  # type: ignore[index]


def test_a_damaged_foreign_or_open_file_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "styles.pickle"
    rules = textual_stylesheet.Stylesheet()._parse_rules("#a { color: red; }", ("", "test"))
    write(path, {"key": pickle.dumps(rules)})
    blob = read(path)["key"]
    assert [rule.css for rule in unpickled(blob) or []] == [rule.css for rule in rules]
    assert unpickled(blob[:-5]) is None  # one parse cut short
    assert unpickled(pickle.dumps(["not a rule"])) is None
    path.write_bytes(path.read_bytes()[:-5])  # the file cut short
    assert read(path) == {}
    path.write_bytes(pickle.dumps({"key": ["not", "pickled"]}))
    assert read(path) == {}
    path.write_bytes(pickle.dumps(["not", "a", "dict"]))
    assert read(path) == {}
    write(path, {"key": blob})
    path.chmod(0o620)  # others may write it: facilitator.user_cache.read_own (tests/test_user_cache.py)
    assert read(path) == {}
    assert read(tmp_path / "missing") == {}


def test_a_damaged_parse_is_parsed_again(tmp_path: Path, parses: list[str]) -> None:
    path = tmp_path / "styles.pickle"
    sheet = textual_stylesheet.Stylesheet()
    sheet._parse_cache = KeptParses(sheet, path)  # type: ignore[assignment]
    sheet.add_source("#hello { color: red; }", ("", "test"))
    sheet.parse()
    sheet._parse_cache.keep()  # type: ignore[attr-defined]
    write(path, {key: blob[:-3] for key, blob in read(path).items()})
    again = textual_stylesheet.Stylesheet()
    again._parse_cache = KeptParses(again, path)  # type: ignore[assignment]
    again.add_source("#hello { color: red; }", ("", "test"))
    again.parse()
    assert len(parses) == 2 and str(again.rules[0].styles.color) == str(sheet.rules[0].styles.color)


def test_past_the_limit_only_what_this_process_used_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept_styles, "MOST_PARSES", 3)
    path = tmp_path / "styles.pickle"
    blob = pickle.dumps(textual_stylesheet.Stylesheet()._parse_rules("#a { color: red; }", ("", "a")))
    write(path, {f"old-{n}": blob for n in range(3)})
    sheet = textual_stylesheet.Stylesheet()
    kept = KeptParses(sheet, path)
    sheet._parse_cache = kept  # type: ignore[assignment]
    sheet.add_source("#b { color: blue; }", ("", "b"))
    sheet.parse()
    kept.keep()
    assert [key[0][1] for key in read(path)] == [("", "b")]  # type: ignore[index]


def test_the_file_is_named_by_the_textual_that_parses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    name = kept_styles.cache_file()
    assert name.parent == tmp_path / "facilitator"
    parse_py = Path(textual_stylesheet.__file__).with_name("parse.py")
    status = parse_py.stat()
    os.utime(parse_py, ns=(status.st_atime_ns, status.st_mtime_ns + 1))  # as a new install would leave it
    try:
        assert kept_styles.cache_file() != name
    finally:
        os.utime(parse_py, ns=(status.st_atime_ns, status.st_mtime_ns))
