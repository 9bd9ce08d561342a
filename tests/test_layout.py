"""The house plan holds: envs/ stands alone, nothing imports the CLI, no file is a monolith."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"rl_lab": ROOT / "rl_lab", "rl_lab.envs": ROOT / "envs", "rl_lab.agents": ROOT / "agents"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    modules = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            modules[".".join((package, *parts))] = path
    return modules


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_envs_import_neither_agents_nor_the_core_nor_torch() -> None:
    for name, path in _modules().items():
        if not name.startswith("rl_lab.envs"):
            continue
        for imported in _imports(path):
            top = imported.split(".")[0]
            assert top not in ("torch", "stable_baselines3"), f"{path} imports {imported}"
            if top == "rl_lab":
                assert imported.startswith("rl_lab.envs"), f"{path} imports {imported}"


def test_agents_know_no_environment_and_no_core() -> None:
    for name, path in _modules().items():
        if name.startswith("rl_lab.agents"):
            for imported in _imports(path):
                if imported.startswith("rl_lab"):
                    assert imported.startswith("rl_lab.agents"), f"{path} imports {imported}"


def test_nothing_imports_the_cli() -> None:
    for name, path in _modules().items():
        if not name.startswith("rl_lab.cli"):
            assert not {i for i in _imports(path) if i.startswith("rl_lab.cli")}, f"{path} imports the CLI"


def test_no_source_file_exceeds_the_limit() -> None:
    long = {str(p): n for p in _modules().values() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines: {long}"


def test_the_layout_test_sees_every_package() -> None:
    # A guard for the guards above: they read the folders the wheel is built from.
    modules = _modules()
    expected_modules = ("rl_lab.cli", "rl_lab.config.validation", "rl_lab.envs.bicycle.env",
                        "rl_lab.agents.two_network")
    for expected in expected_modules:
        assert expected in modules


def test_the_core_packages_import_each_other_without_circles() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in _modules().items():
        parts = name.split(".")
        if len(parts) < 3 or parts[1] in ("envs", "agents"):
            continue
        package = parts[1]
        for imported in _imports(path):
            bits = imported.split(".")
            outside = bits[0] == "rl_lab" and len(bits) > 1 and bits[1] not in (package, "envs", "agents")
            if outside:
                graph.setdefault(package, set()).add(bits[1])
    visiting: list[str] = []

    def visit(package: str) -> None:
        assert package not in visiting, f"import circle: {' -> '.join([*visiting, package])}"
        visiting.append(package)
        for target in graph.get(package, ()):
            visit(target)
        visiting.pop()

    for package in graph:
        visit(package)
