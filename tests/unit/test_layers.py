"""The layers of docs/architecture.md, checked on the imports themselves: no import runs up a layer,
and no two modules import each other (directly or round a longer circle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What each room may import from the app; anything else in aftersales.* is a step up the layers.
ALLOWED = {
    "domain": {"domain"},
    "adapters": {"domain", "adapters", "config"},
    "service": {"domain", "adapters", "service", "config"},
    "bootstrap": {"domain", "adapters", "service", "config"},
    "demo": {"domain", "adapters", "service", "config"},
    "config": set(),
    "entrypoints": {"domain", "adapters", "service", "entrypoints", "bootstrap", "config", "demo"},
    "actions": {"domain", "adapters", "service", "bootstrap", "config"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("aftersales", "actions"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[dotted] = path
    return found


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _room(module: str) -> str:
    parts = module.split(".")
    return "actions" if parts[0] == "actions" else (parts[1] if len(parts) > 1 else "aftersales")


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _room(m) in ALLOWED))
def test_no_import_runs_up_a_layer(module: str) -> None:
    room = _room(module)
    upward = sorted(name for name in _imports(MODULES[module], top_level_only=False)
                    if name.startswith("aftersales.") and _room(name) not in ALLOWED[room] | {room})
    assert not upward, f"{module} ({room}) imports {upward}"


def test_every_room_has_a_rule() -> None:
    assert {_room(m) for m in MODULES} - {"aftersales"} <= set(ALLOWED)


def test_no_import_circle() -> None:
    # Every import, those inside functions too: a circle hidden in a function is a circle all the same.
    graph = {module: {name for name in _imports(path, top_level_only=False) if name in MODULES and name != module}
             for module, path in MODULES.items()}
    circles = []
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append(trail[trail.index(target):] + [target] if target in trail else [module, target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, circles


# A module a newcomer reads in one sitting (issue 14); tests and migrations aside.
MAX_LINES = 400


def test_no_module_is_over_400_lines():
    long = {str(path.relative_to(ROOT)): lines for package in ("aftersales", "actions", "bot_extensions", "scripts",
                                                               "bench")
            for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts
            and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
