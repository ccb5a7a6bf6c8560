"""The package tree follows the data flow: each stage imports only from itself and the stages
before it, there are no import cycles, and no private name is taken from another module."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "thermal"
# the stages, in the order data flows through them (and the order of who may import whom)
STAGES = ["constants", "errors", "threads", "memory", "model", "physics", "input", "build", "kernels", "solvers", "output", "apps",
          "cli", "__init__"]


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield path, "thermal." + ".".join(parts)


def _stage(module: str) -> int:
    first = module.split(".")[1] if "." in module else "__init__"
    return STAGES.index(first)


def _resolve(target: str, name: str | None) -> str:
    """``from target import name``: the submodule when ``name`` is one, else the module itself."""
    if name:
        sub = PACKAGE.joinpath(*target.split(".")[1:], name)
        if sub.with_suffix(".py").exists() or (sub / "__init__.py").exists():
            return f"{target}.{name}"
    return target


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("thermal"):
            assert node.level == 0, f"{path}: relative import (the house style is absolute)"
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("thermal"):
                    yield alias.name, None


@pytest.mark.parametrize("path, module", list(_modules()), ids=lambda v: str(v).split("thermal/")[-1])
def test_imports_run_down_the_data_flow_and_take_no_private_names(path, module):
    mine = _stage(module)
    for target, name in _imports(path):
        full = _resolve(target, name)
        assert _stage(full) <= mine, f"{module} imports {full}: a later stage ({STAGES[_stage(full)]})"
        assert not (name or "").startswith("_") or name == "__version__", f"{module} takes {target}.{name}"


def test_no_import_cycles():
    graph = {}
    for path, module in _modules():
        module = module.removesuffix(".__init__")
        graph[module] = set()
        for target, name in _imports(path):
            graph[module].add(_resolve(target, name))
    state = {}

    def visit(node, trail):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", "import cycle: " + " -> ".join(trail + [node])
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if nxt != node:
                visit(nxt, trail + [node])
        state[node] = "done"

    for node in sorted(graph):
        visit(node, [])
