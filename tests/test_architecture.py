"""The layering of the design card holds: data -> profiles -> recommender -> matching -> webapi.

Inside ``webapi`` the CLI and the HTTP app stand on the Flask-free services, and no module of
``webapi`` or ``data`` takes part in an import cycle (a cycle makes import order matter and hides
which module owns what).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping, Set
from pathlib import Path

import grimp
import pytest

from tests.conftest import REPO_ROOT


def test_no_package_imports_one_to_its_right_and_only_the_recommender_uses_model_libraries() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the test extras"
    result = subprocess.run([lint_imports], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def import_cycles(imports: Mapping[str, Set[str]]) -> list[list[str]]:
    """Every group of modules that import each other, directly or not (Tarjan's strong components).

    ``imports`` maps each module to the modules it imports (function-level imports included, as
    grimp reports them); a module importing itself counts too. Iterative, so deep chains are fine.
    """
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(imports):
        if root in order:
            continue
        work = [(root, iter(sorted(imports[root])))]
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            target = next((t for t in targets if t in imports), None)
            if target is not None:
                if target not in order:
                    order[target] = low[target] = len(order)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(imports[target]))))
                elif target in on_stack:
                    low[module] = min(low[module], order[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == order[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1 or module in imports[module]:
                    cycles.append(sorted(group))
    return cycles


def test_the_cycle_finder_reports_direct_indirect_and_self_imports_only() -> None:
    imports = {
        "app": {"api"},
        "api": {"context", "app"},  # app -> api -> app
        "context": set(),
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "context"},  # a -> b -> c -> a
        "lonely": {"lonely"},
        "leaf": {"context", "outside"},  # outside the package: ignored
    }
    assert sorted(import_cycles(imports)) == [["a", "b", "c"], ["api", "app"], ["lonely"]]


@pytest.mark.parametrize("package", ["webapi", "data"])
def test_no_module_of_the_package_takes_part_in_an_import_cycle(package: str) -> None:
    graph = grimp.build_graph(package)
    modules = graph.modules
    imports = {module: graph.find_modules_directly_imported_by(module) & modules for module in modules}
    assert import_cycles(imports) == []
