"""The arrows of the house, read from the source: no import cycle, views that
import no experiment, jax, click or optax, a core that imports no click, rich
or plotext; and the commands that must not import jax."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "actlab"
EXPERIMENTS = {"train", "sweep", "stability", "gradflow", "lessons"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts).removesuffix(".__init__")] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Every module an import statement names, function-level imports included."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".")[: None if path.name == "__init__.py" else -1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + [base] if base else pkg)
            out |= {base} | {f"{base}.{a.name}" for a in node.names}
    return out


MODULES = _modules()
GRAPH = {name: {m for m in _imports(name, path) if m in MODULES and m != name}
         for name, path in MODULES.items()}
OUTSIDE = {name: {m.split(".")[0] for m in _imports(name, path)} for name, path in MODULES.items()}


def _cycle(graph) -> list[str] | None:
    state, stack = {}, []

    def visit(v):
        state[v] = "open"
        stack.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == "open":
                return stack[stack.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        state[v] = "done"
        stack.pop()
        return None

    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_the_walker_finds_a_cycle_when_there_is_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    assert _cycle(GRAPH) is None


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("actlab.render")))
def test_views_import_results_only(name):
    assert not OUTSIDE[name] & {"jax", "click", "optax"}
    # (a view of an experiment, such as render.train, may build on another view)
    assert not {m for m in GRAPH[name] if m.rsplit(".", 1)[-1] in EXPERIMENTS and not m.startswith("actlab.render")}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith(("actlab.render", "actlab.cli"))
                                        and n != "actlab.__main__"))
def test_the_core_imports_no_terminal_library(name):
    assert not OUTSIDE[name] & {"click", "rich", "plotext"}


@pytest.mark.parametrize("args, absent", [
    (["--help"], ("jax", "numpy", "optax")),
    (["train", "--help"], ("jax", "numpy", "optax")),
    (["list", "--json"], ("jax", "optax")),
])
def test_commands_that_stay_light(args, absent):
    code = ("import sys; from actlab.cli import cli; "
            f"cli.main({args!r}, standalone_mode=False); "
            "print('imported:', sorted(m for m in ('jax', 'numpy', 'optax') if m in sys.modules))")
    env = {**os.environ, "ACTLAB_NO_PLUGINS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    imported = proc.stdout.rsplit("imported:", 1)[1]
    assert not [m for m in absent if repr(m) in imported]
