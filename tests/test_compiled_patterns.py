"""Regular expressions compiled once and kept between runs (facilitator.compiled_patterns; issue 14, start-up)."""

from __future__ import annotations

import marshal
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from facilitator import compiled_patterns, user_cache
from facilitator.compiled_patterns import Patterns, read
from tests.tools import two_starts

# re's own compiler and _sre, whether or not a test before this one imported the command line (which installs).
_INSTALLED = compiled_patterns._installed
SRE: Any = _INSTALLED[0]._recording.sre if _INSTALLED else re._compiler._sre  # type: ignore[attr-defined]
ORIGINAL_COMPILE: Any = _INSTALLED[0]._compile if _INSTALLED else re._compiler.compile  # type: ignore[attr-defined]

PATTERNS: list[tuple[str | bytes, int]] = [
    (r"(?P<day>\d{4}-\d{2}-\d{2})T(?P<time>\d\d:\d\d)", 0),
    (r"^\s*#.*$", re.MULTILINE),
    (r"caf[ée]|crème", re.IGNORECASE),
    (r"(a)(b)?(?:c|d)+(?<=d)\1", 0),
    (r"  \d+  # digits\n  [a-z]*  # then letters", re.VERBOSE),
    (r".+", re.DOTALL | re.ASCII),
    (rb"\x00[\x01-\xff]{2,}(?P<tail>end)$", 0),
    (r"[\u0600-\u06ff]+", 0),
]


@pytest.fixture
def patterns(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A Patterns of this test's own (kept: what it starts with), recording what re's compiler compiles."""

    def make(kept: dict[Any, Any] | None = None) -> Patterns:
        recording = compiled_patterns._Recording(SRE)
        monkeypatch.setattr(re._compiler, "_sre", recording)  # type: ignore[attr-defined]
        return Patterns(dict(kept or {}), ORIGINAL_COMPILE, recording)

    return make


def same(a: re.Pattern[Any], b: re.Pattern[Any]) -> bool:
    # Patterns are equal when their text, flags and matcher's code are (CPython compares all three).
    return a == b and a.groupindex == b.groupindex and a.groups == b.groups and a.flags == b.flags


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_a_kept_pattern_is_the_very_pattern_compiling_it_makes(patterns: Any, pattern: Any, flags: int) -> None:
    first = patterns()
    made = first.compile(pattern, flags)
    assert (pattern, flags) in first.made
    again = patterns(first.to_keep())
    built = again.compile(pattern, flags)
    assert not again.made and (pattern, flags) in again.used  # built from what was kept, not compiled
    fresh = ORIGINAL_COMPILE(pattern, flags)
    assert same(built, fresh) and same(made, fresh)
    sample = "x 2026-12-06T09:30 café Crème ab d ad" if isinstance(pattern, str) else b"\x00\x01\x02end"
    assert [m.span() for m in built.finditer(sample)] == [m.span() for m in fresh.finditer(sample)]


def test_every_pattern_this_process_has_compiled_builds_back_the_same(patterns: Any) -> None:
    import textual.app  # noqa: F401 (its tokenizers: the patterns a start compiles most)

    texts = [(key[1], key[2]) for key in list(re._cache) if key[0] in (str, bytes)]  # type: ignore[attr-defined]
    first = patterns()
    for pattern, flags in texts:
        first.compile(pattern, flags)
    kept = marshal.loads(marshal.dumps(first.to_keep() or {}))  # noqa: S302 (the test's own), as the file holds it
    again = patterns(kept)
    for pattern, flags in texts:
        if flags & (re.DEBUG | re.LOCALE):
            continue
        assert same(again.compile(pattern, flags), ORIGINAL_COMPILE(pattern, flags)), pattern
    assert len(texts) > 20 and not again.made


def test_a_damaged_entry_is_compiled_again(patterns: Any) -> None:
    key = PATTERNS[0]
    first = patterns()
    first.compile(*key)
    pattern, flags, code, groups, groupindex, indexgroup = marshal.loads((first.to_keep() or {})[key])  # noqa: S302
    for damaged in (
        marshal.dumps((pattern, flags, [*code[:-3], 999_999], groups, groupindex, indexgroup)),  # code _sre refuses
        marshal.dumps((r"other", flags, code, groups, groupindex, indexgroup)),  # another pattern's
        marshal.dumps((pattern, flags)),
        b"\x00not marshal",
    ):
        again = patterns({key: damaged})
        built = again.compile(*key)
        assert same(built, ORIGINAL_COMPILE(*key)) and key in again.made  # compiled, and kept right next time


def test_debugging_and_locale_patterns_are_never_kept(patterns: Any, capsys: pytest.CaptureFixture[str]) -> None:
    kept = patterns()
    kept.compile(r"a+b", re.DEBUG)
    kept.compile(rb"[a-z]+", re.LOCALE)
    assert not kept.made and "LITERAL" in capsys.readouterr().out  # DEBUG printed as it compiled


def test_compiles_on_several_threads_at_once_each_keep_their_own(patterns: Any) -> None:
    kept = patterns()
    texts = [f"(?P<n{n}>x{n})+y" for n in range(40)]

    def compile_some(start: int) -> None:
        for text in texts[start::4]:
            kept.compile(text, 0)

    threads = [threading.Thread(target=compile_some, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(kept.made) == {(text, 0) for text in texts}
    for (text, _), blob in kept.made.items():
        arguments = marshal.loads(blob)  # noqa: S302 (the test's own)
        assert arguments[0] == text and same(SRE.compile(*arguments), ORIGINAL_COMPILE(text, 0))


def test_a_damaged_foreign_or_open_file_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "patterns.marshal"
    blob = marshal.dumps(("a+", 32, [1, 2, 3], 0, {}, (None,)))
    user_cache.write_marshalled(path, {("a+", 0): blob})
    assert read(path) == {("a+", 0): blob}
    path.write_bytes(marshal.dumps({("a+", 0): blob})[:-3])  # cut short
    assert read(path) == {}
    path.write_bytes(marshal.dumps({("a+", 0): ("a+", 32, [1], 0, {}, (None,))}))  # the arguments not marshalled
    assert read(path) == {}
    path.write_bytes(marshal.dumps({"a+": blob}))  # no flags
    assert read(path) == {}
    path.write_bytes(marshal.dumps([blob]))
    assert read(path) == {}
    user_cache.write_marshalled(path, {("a+", 0): blob})
    path.chmod(0o620)  # others may write it: facilitator.user_cache.read_own (tests/test_user_cache.py)
    assert read(path) == {}
    assert read(tmp_path / "missing") == {}


def test_past_the_limit_only_what_this_process_used_is_kept(patterns: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = patterns()
    for n in range(3):
        first.compile(f"x{n}+", 0)
    monkeypatch.setattr(compiled_patterns, "MOST_PATTERNS", 3)
    again = patterns(first.to_keep())
    again.compile("x0+", 0)
    assert again.to_keep() is None  # nothing new: the file is left as it is
    again.compile("y+", 0)
    assert set(again.to_keep() or {}) == {("x0+", 0), ("y+", 0)}


def test_the_next_process_compiles_nothing_it_has_seen(tmp_path: Path) -> None:
    script = (
        "from facilitator import entry, compiled_patterns; import facilitator.tui.app; "
        "p = compiled_patterns._installed[0]; print(len(p.made), len(p.used))"
    )
    (made, used), second, files = two_starts(tmp_path, script, "patterns.*.marshal")
    assert made > 40 and used >= made  # the lead's modules: Textual's tokenizers, ours, the standard library's
    assert len(files) == 1 and (files[0].stat().st_mode & 0o777) == 0o600
    assert second == (0, used)


def test_a_compile_the_recording_did_not_see_is_not_kept(patterns: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another hand on re's compiler after the install (as a test's own): no pattern is kept with another's code."""
    kept = patterns()
    kept.compile("first+", 0)
    monkeypatch.setattr(re._compiler, "_sre", SRE)  # type: ignore[attr-defined]
    assert kept.compile("second+", 0).match("secondd")
    assert set(kept.made) == {("first+", 0)}


def test_only_the_patterns_asked_for_are_read_back(patterns: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = patterns()
    for pattern, flags in PATTERNS:
        first.compile(pattern, flags)
    again = patterns(first.to_keep())
    read_back: list[bytes] = []
    loads = marshal.loads

    def counted(blob: bytes) -> Any:
        read_back.append(blob)
        return loads(blob)

    monkeypatch.setattr(marshal, "loads", counted)
    again.compile(*PATTERNS[2])  # once: re keeps the patterns a process compiled (re._cache)
    assert read_back == [again.kept[PATTERNS[2]]] and not again.made
