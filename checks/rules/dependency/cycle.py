"""dependency/cycle: a dependsOn cycle, self-dependency included, so Flux applies no member.

Each member waits for another member to become ready first. The cycles are
found per cluster on the graph from dependency to dependent, among objects
that exist there; a missing target is dependency/missing-target's, not a
cycle. At most ``MAX_CYCLES`` cycles are enumerated per cluster.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity, drop_repeats
from checks.model import KubeObject
from checks.repo import Cluster
from checks.rules.base import Rule, RuleContext
from checks.rules.dependency._shared import dependencies, dependents, entry_pos, short_name

RULE = Rule(
    id="dependency/cycle",
    severity=Severity.ERROR,
    summary="A dependsOn cycle (self-dependency included): Flux applies no member",
    doc="""
        Each member of a dependsOn cycle waits for another member to become
        ready first, so none is ever applied, and everything that depends on
        them waits too. Reported on every member's dependsOn entry that closes
        the cycle, naming the whole loop.

        Failing:
            kind: Kustomization
            metadata: {name: monitoring}
            spec:
              dependsOn: [{name: databases}]
            ---
            kind: Kustomization
            metadata: {name: databases}
            spec:
              dependsOn: [{name: monitoring}]

        Passing: remove one of the two entries (usually the one added last).
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for cluster in ctx.model.clusters:
            edges, objects = _depends_edges(cluster)
            if not _has_cycle(edges):
                continue  # the usual case: no need for networkx's cycle enumeration
            from networkx import DiGraph, simple_cycles

            graph = DiGraph()
            graph.add_nodes_from(objects)
            graph.add_edges_from((source, target) for source, targets in edges.items() for target in targets)
            for count, cycle in enumerate(simple_cycles(graph)):
                if count >= MAX_CYCLES:
                    break
                yield from _cycle_findings(cycle, objects)

    return drop_repeats(findings())


# The cycles enumerated per cluster at most: their number can grow exponentially with a dense graph.
MAX_CYCLES = 100


def _depends_edges(cluster: Cluster) -> tuple[dict[str, list[str]], dict[str, KubeObject]]:
    """Edges from dependency to dependent, between objects that exist in the cluster."""
    objects: dict[str, KubeObject] = {}
    for obj in dependents(cluster):
        objects.setdefault(obj.id, obj)
    edges: dict[str, list[str]] = {}
    for obj in dependents(cluster):
        for dep in dependencies(obj):
            if dep.target_id in objects:
                edges.setdefault(dep.target_id, []).append(obj.id)
    return edges, objects


def _has_cycle(edges: dict[str, list[str]]) -> bool:
    """Whether the graph has a cycle (an iterative depth-first search: grey nodes are on the path)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in edges:
        if start in state:
            continue
        stack = [(start, iter(edges.get(start, ())))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(edges.get(child, ()))))
    return False


def _cycle_findings(cycle: list[str], objects: dict[str, KubeObject]) -> Iterator[Finding]:
    members = sorted(cycle)
    for position, member_id in enumerate(cycle):
        obj = objects[member_id]
        target_id = cycle[position - 1]  # the member this one depends on
        dep = next((d for d in dependencies(obj) if d.target_id == target_id), None)
        if dep is None:
            continue
        pos = entry_pos(dep)
        if len(cycle) == 1:
            message = (f"{obj.id} depends on itself, so Flux never applies it. Remove this dependsOn entry.")
        else:
            # Follow "depends on" from this member round the cycle back to it.
            chain = [cycle[(position - step) % len(cycle)] for step in range(len(cycle) + 1)]
            names = [short_name(objects[node], obj) for node in chain[1:]]
            message = (f"{obj.id} -> {' -> '.join(names)}: a dependsOn cycle; Flux applies none of "
                       f"{', '.join(short_name(objects[m], obj) for m in members)}. Remove one of these entries.")
        yield Finding(
            "dependency/cycle", Severity.ERROR, pos.path, pos.line, message,
            object=obj.id, key="cycle:" + ",".join(members),
        )
