"""The TUI's modules import each other without a cycle: screens depend on a small protocol, not on the app.

Every import counts, wherever it is written: at the top, inside a function (the lazy imports that keep
start-up fast) and under ``TYPE_CHECKING``. Only the app wires screens together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import facilitator.tui

PACKAGE = "facilitator.tui"
ROOT = Path(facilitator.tui.__file__).resolve().parent


def tui_modules() -> dict[str, Path]:
    """Every module of the package by dotted name (``facilitator.tui.app``), the package itself included."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((PACKAGE, *parts))] = path
    return found


def imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of the package that ``module`` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's package, one level up per extra dot
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            names = [source, *(f"{source}.{alias.name}" for alias in node.names)]
        for name in names:
            # The longest known prefix: `facilitator.tui.app.FacilitatorApp` is the module `facilitator.tui.app`.
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in known:
                    if candidate not in (module, PACKAGE):
                        out.add(candidate)
                    break
    return out


def import_graph() -> dict[str, set[str]]:
    modules = tui_modules()
    known = set(modules)
    return {module: imported(module, path, known) for module, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    graph = import_graph()
    assert "facilitator.tui.app" in graph
    # The app imports the lead screen inside on_mount (start-up time), which the graph must still see.
    assert "facilitator.tui.screens.lead" in graph["facilitator.tui.app"]


def test_the_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_in_the_tui() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles in facilitator/tui: " + "; ".join(" <-> ".join(c) for c in found)


def test_only_the_app_imports_the_app() -> None:
    graph = import_graph()
    importers = sorted(module for module, targets in graph.items() if "facilitator.tui.app" in targets)
    assert importers == []


def screen_modules() -> set[str]:
    """The modules that define a screen: a class whose base names a Screen (``Screen[None]``, ``ModalScreen[str]``)."""
    found = set()
    for module, path in tui_modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
            if any("Screen" in ast.unparse(base) for base in cls.bases):
                found.add(module)
    return found


def test_only_the_app_wires_screens_together() -> None:
    """A screen opens another by what the app passed it (or the one generic question, Choice), not by import."""
    screens = screen_modules()
    assert {
        "facilitator.tui.screens.attendance",
        "facilitator.tui.modals.pickers",
        "facilitator.tui.modals.choice",
    } <= screens
    graph = import_graph()
    allowed = {"facilitator.tui.modals.choice"}
    wiring = {
        module: sorted((targets & screens) - allowed)
        for module, targets in graph.items()
        if module != "facilitator.tui.app" and (targets & screens) - allowed
    }
    assert wiring == {}
