"""The code modules compile from text (dataclasses' methods, named tuples, forward references), compiled once and
kept between runs (facilitator.compiled_code; issue 14, start-up)."""

from __future__ import annotations

import dataclasses
import inspect
import marshal
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from facilitator import compiled_code, compiled_patterns, user_cache
from facilitator.compiled_code import Code, read
from facilitator.tui import kept_styles
from tests.tools import two_starts

FIELDS = {"a": int, "b": "str | None", "c": tuple[int, ...]}


def make(methods: Code | None, **options: Any) -> type:
    """A dataclass made with ``methods`` as dataclasses' exec (None: the interpreter's own)."""
    previous = dataclasses.__dict__.get("exec")
    if methods is not None:
        dataclasses.exec = methods.exec  # type: ignore[attr-defined]
    elif previous is not None:
        del dataclasses.exec  # type: ignore[attr-defined]
    try:
        namespace = {"__annotations__": dict(FIELDS), "b": None, "c": ()}
        return dataclasses.dataclass(type("Row", (), namespace), **options)
    finally:
        if previous is not None:
            dataclasses.exec = previous  # type: ignore[attr-defined]
        elif "exec" in dataclasses.__dict__:
            del dataclasses.exec  # type: ignore[attr-defined]


@pytest.mark.parametrize("options", [{}, {"frozen": True}, {"frozen": True, "slots": True}, {"order": True}])
def test_a_class_gets_the_very_methods_it_would_get_without_them(options: dict[str, Any]) -> None:
    methods = Code({})
    first, again, plain = make(methods, **options), make(methods, **options), make(None, **options)
    assert methods.made and set(methods.used) == set(methods.made)  # compiled once, then looked up
    for name in ("__init__", "__repr__", "__eq__", "__setattr__", "__delattr__", "__hash__", "__lt__"):
        ours, theirs, looked_up = (vars(cls).get(name) for cls in (first, plain, again))
        assert (ours is None) == (theirs is None) == (looked_up is None), name
        if ours is None or not hasattr(ours, "__code__"):
            continue
        assert ours.__code__.co_code == theirs.__code__.co_code == looked_up.__code__.co_code, name
        # Compiled without this module's `from __future__ import annotations`: the types, not their names.
        assert ours.__annotations__ == theirs.__annotations__, name
    assert inspect.signature(first) == inspect.signature(plain)
    assert repr(first(1, "x")) == repr(plain(1, "x")) == "Row(a=1, b='x', c=())"
    assert first(1, "x") == first(1, "x") != first(2, "x")


def test_the_next_process_compiles_nothing_it_has_seen(tmp_path: Path) -> None:
    script = (
        "from facilitator import entry, compiled_code; import facilitator.tui.app, dataclasses; "
        "m = dataclasses.exec.__self__; print(len(m.made), len(m.used))"
    )
    (made, used), second, files = two_starts(tmp_path, script, "compiled-code.*.marshal")
    assert made > 100 and used >= made  # the lead's modules: Textual's, pydantic's and ours
    assert len(files) == 1 and (files[0].stat().st_mode & 0o777) == 0o600
    assert second == (0, used)


def test_nothing_is_written_where_bytecode_is_not(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-c", "import facilitator.entry, facilitator.tui.app"], env=env, check=True)
    assert not (tmp_path / "facilitator").exists()


def test_a_named_tuple_and_a_forward_reference_get_the_very_code_they_would_get() -> None:
    code = Code({})
    namespace: dict[str, Any] = {}
    mine = code.eval("lambda _cls, a, b: _tuple_new(_cls, (a, b))", {"_tuple_new": tuple.__new__})
    theirs = eval("lambda _cls, a, b: _tuple_new(_cls, (a, b))", {"_tuple_new": tuple.__new__})  # noqa: S307
    assert mine.__code__.co_code == theirs.__code__.co_code and mine(tuple, 1, 2) == (1, 2)
    reference = code.compile("list['Widget']", "<string>", "eval")
    # As typing compiles it, with none of this test module's `from __future__` flags.
    assert reference == compile("list['Widget']", "<string>", "eval", dont_inherit=True) and set(code.made) == {
        ("eval", "lambda _cls, a, b: _tuple_new(_cls, (a, b))"),
        ("eval", "list['Widget']"),
    }
    with pytest.raises(SyntaxError):
        code.compile("not an expression =", "<string>", "eval")  # as typing expects, to say so in its own words
    other = compile("x = 1", "<module>", "exec", dont_inherit=True)
    assert code.compile("x = 1", "<module>", "exec") == other  # anything else: compiled as asked
    code.exec("y = 2", namespace)
    assert namespace["y"] == 2 and len(code.made) == 3


def test_the_modules_that_compile_from_text_are_given_it_and_their_classes_work(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    script = (
        "from facilitator import entry; import collections, dataclasses, typing\n"
        "code = dataclasses.exec.__self__\n"
        "assert collections.eval.__self__ is code and typing.compile.__self__ is code\n"
        "Point = collections.namedtuple('Point', 'x y')\n"
        "assert Point(1, y=2) == (1, 2) and repr(Point(1, 2)) == 'Point(x=1, y=2)'\n"
        "A = type('A', (), {'__annotations__': {'p': 'Point'}})\n"
        "assert typing.get_type_hints(A, {'Point': Point}) == {'p': Point}\n"
        "B = dataclasses.make_dataclass('B', [('x', int)])\n"
        "assert B(1) == B(x=1) and repr(B(1)) == 'B(x=1)'\n"
        "print(sorted({mode for mode, _ in code.made}))"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["['eval',", "'exec']"]


def test_a_damaged_foreign_or_open_file_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "code.marshal"
    blob = marshal.dumps(compile("x = 1", "<string>", "exec"))
    user_cache.write_marshalled(path, {("exec", "x = 1"): blob})
    assert read(path) == {("exec", "x = 1"): blob}
    path.write_bytes(marshal.dumps({("exec", "x = 1"): blob})[:-3])  # cut short
    assert read(path) == {}
    path.write_bytes(marshal.dumps({("exec", "x = 1"): "not code"}))
    assert read(path) == {}
    path.write_bytes(marshal.dumps({"x = 1": blob}))  # the methods' form: the text alone
    assert read(path) == {}
    path.write_bytes(marshal.dumps({("single", "x = 1"): blob}))
    assert read(path) == {}
    path.write_bytes(marshal.dumps([blob]))
    assert read(path) == {}
    user_cache.write_marshalled(path, {("exec", "x = 1"): blob})
    path.chmod(0o620)  # others may write it: facilitator.user_cache.read_own (tests/test_user_cache.py)
    assert read(path) == {}
    assert read(tmp_path / "missing") == {}


def test_only_the_code_a_class_asks_for_is_unmarshalled_and_a_damaged_one_is_compiled_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = {("exec", f"x = {n}"): marshal.dumps(compile(f"x = {n}", "<string>", "exec")) for n in range(3)}
    kept["exec", "x = 7"] = kept["exec", "x = 0"][:-2]  # cut short
    kept["exec", "x = 8"] = marshal.dumps("not code")
    unmarshalled: list[bytes] = []
    loads = marshal.loads

    def counted(blob: bytes) -> Any:
        unmarshalled.append(blob)
        return loads(blob)

    monkeypatch.setattr(marshal, "loads", counted)
    code = Code(kept)
    namespace: dict[str, Any] = {}
    code.exec("x = 1", namespace)
    code.exec("x = 1", namespace)
    assert namespace["x"] == 1 and unmarshalled == [kept["exec", "x = 1"]] and not code.made
    for text in ("x = 7", "x = 8"):
        code.exec(text, namespace)
        assert namespace["x"] == int(text[-1])
    assert set(code.made) == {("exec", "x = 7"), ("exec", "x = 8")}
    assert loads((code.to_keep() or {})["exec", "x = 7"]).co_consts[0] == 7  # kept whole this time


def test_past_the_limit_only_what_this_process_used_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_code, "MOST_TEXTS", 3)
    old = {("exec", f"x = {n}"): marshal.dumps(compile(f"x = {n}", "<string>", "exec")) for n in range(3)}
    code = Code(dict(old))
    code.exec("x = 0", {})
    assert code.to_keep() is None  # nothing new: the file is left as it is
    code.exec("x = 9", {})
    assert set(code.to_keep() or {}) == {("exec", "x = 0"), ("exec", "x = 9")}


def test_what_was_kept_stays_kept_when_more_is_compiled_later(tmp_path: Path) -> None:
    path = tmp_path / "code.marshal"
    code = Code({}, path)
    code.exec("x = 1", {})
    code.keep()  # after the first frame
    code.eval("2", {})
    code.keep()  # as the process exits
    assert set(read(path)) == {("exec", "x = 1"), ("eval", "2")}


@pytest.mark.slow
def test_the_lead_keeps_them_once_its_first_frame_is_up(tmp_path: Path) -> None:
    """Killed right after its first frame (a terminal gone, kill -9), the lead has left the next start faster:
    the dataclasses' methods, the compiled patterns (facilitator.compiled_patterns) and the parsed stylesheets
    (facilitator.tui.kept_styles) are kept."""
    from facilitator.record.store import Store
    from facilitator.script.loading import load_workshop
    from tests.tools import Tmux, end_processes_running, processes_running, wait_for

    db = tmp_path / "run.db"
    Store.create(db, load_workshop(Path(__file__).resolve().parent.parent / "exercises").programme, actor="t").close()
    cache = tmp_path / "cache"
    terminal = Tmux(f"facilitator-methods-{os.getpid()}-{uuid.uuid4().hex[:6]}", width=100, height=30)
    try:
        terminal.start(f"env -u PYTHONDONTWRITEBYTECODE XDG_CACHE_HOME={cache} facilitator run --db {db}", tmp_path)
        terminal.wait_for_text("Press n to start")
        assert wait_for(lambda: any((cache / "facilitator").glob("compiled-code.*.marshal")), 10.0)
        assert wait_for(lambda: any((cache / "facilitator").glob("textual-styles.*.pickle")), 10.0)
        assert wait_for(lambda: any((cache / "facilitator").glob("patterns.*.marshal")), 10.0)
        for pid in processes_running(str(db)):
            os.kill(pid, signal.SIGKILL)  # no exit handlers: what is kept was kept after the first frame
    finally:
        terminal.kill()
        end_processes_running(str(db))
    (kept,) = (cache / "facilitator").glob("compiled-code.*.marshal")
    assert len(read(kept)) > 100
    (styles,) = (cache / "facilitator").glob("textual-styles.*.pickle")
    assert len(kept_styles.read(styles)) > 20  # the lead's sheet and its widgets' defaults
    (patterns,) = (cache / "facilitator").glob("patterns.*.marshal")
    assert len(compiled_patterns.read(patterns)) > 40  # Textual's tokenizers' and the others the start compiled
