"""No two modules of ``data`` import each other, directly or through others.

A cycle means neither module can be read, tested or moved without the other, and it is how a
split module grows back into one: the CSV reader is split by job (lines, cells, file rules) and
the generator's propensity model is kept apart from the hidden truth that computes with it.
The graph is built with grimp, the library import-linter is built on.
"""

from __future__ import annotations

from collections.abc import Iterable

import grimp


def import_cycles(graph: grimp.ImportGraph, modules: Iterable[str]) -> list[list[str]]:
    """The import cycles among ``modules``: each strongly connected set of two or more, sorted.

    Tarjan's algorithm, iterative so that a deep package cannot hit the recursion limit. A
    module importing itself is not a cycle (Python allows it and it binds nothing new).
    """
    names = sorted(modules)
    inside = set(names)
    edges = {name: sorted(graph.find_modules_directly_imported_by(name) & inside) for name in names}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in names:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if child < len(edges[node]):
                work.append((node, child + 1))
                target = edges[node][child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(cycles)


def _describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    """One cycle as the chain of imports that closes it, for the failure message."""
    first, second = cycle[0], cycle[1]
    there = graph.find_shortest_chain(importer=first, imported=second) or (first, second)
    back = graph.find_shortest_chain(importer=second, imported=first) or (second, first)
    return " -> ".join([*there, *back[1:]])


def test_no_module_of_data_takes_part_in_an_import_cycle() -> None:
    graph = grimp.build_graph("data")
    cycles = import_cycles(graph, graph.find_descendants("data") | {"data"})
    assert not cycles, "import cycles in data:\n" + "\n".join(_describe(graph, cycle) for cycle in cycles)


def test_the_cycle_check_finds_a_cycle_through_several_modules_and_ignores_a_chain() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("pkg.lines", "pkg.findings"),
        ("pkg.cells", "pkg.findings"),
        ("pkg.reader", "pkg.cells"),
        ("pkg.rules", "pkg.reader"),
        ("pkg.cells", "pkg.rules"),  # closes reader -> cells -> rules -> reader
        ("pkg.truth", "pkg.propensity"),
    ]:
        graph.add_import(importer=importer, imported=imported)
    cycles = import_cycles(graph, graph.modules)
    assert cycles == [["pkg.cells", "pkg.reader", "pkg.rules"]]
    assert _describe(graph, cycles[0]) == "pkg.cells -> pkg.rules -> pkg.reader -> pkg.cells"
