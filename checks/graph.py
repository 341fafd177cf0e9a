"""Graphs of a cluster: dependsOn, sources, the render tree, cycles and deployment order.

Edges point from what comes first to what waits for it: a dependency to its
dependent, a parent Kustomization to the children it renders, a source to
the objects that read it. Deployment order is the topological layering of
the dependsOn and render edges; members of a cycle are never applied, so
they are listed apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from checks.model import KubeObject, object_id
from checks.repo import Cluster

DEPENDS_ON_KINDS = ("Kustomization", "HelmRelease")
MAX_CYCLES = 100


@dataclass(frozen=True)
class DependsOnRef:
    """One ``dependsOn`` entry of an object, resolved to the id it names."""

    dependent: KubeObject
    index: int
    name: str
    namespace: str
    target_id: str


def depends_on(obj: KubeObject) -> list[DependsOnRef]:
    """The dependsOn entries of a Kustomization or HelmRelease (namespace defaults to its own)."""
    entries = obj.get("spec", "dependsOn")
    if not isinstance(entries, list):
        return []
    refs = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        namespace = str(entry.get("namespace") or obj.namespace or "")
        name = str(entry["name"])
        kind = str(entry.get("kind") or obj.kind)
        refs.append(DependsOnRef(obj, index, name, namespace, object_id(kind, namespace, name)))
    return refs


@dataclass
class ClusterGraph:
    """The networkx graphs of one cluster."""

    cluster: Cluster
    depends: nx.DiGraph = field(default_factory=nx.DiGraph)
    renders: nx.DiGraph = field(default_factory=nx.DiGraph)
    sources: nx.DiGraph = field(default_factory=nx.DiGraph)

    def cycles(self) -> list[list[str]]:
        """Every dependsOn cycle (self-dependencies included), each starting at its smallest id."""
        found = []
        for cycle in nx.simple_cycles(self.depends):
            start = cycle.index(min(cycle))
            found.append(cycle[start:] + cycle[:start])
            if len(found) >= MAX_CYCLES:
                break
        return sorted(found)

    def deployment_order(self) -> list[list[str]]:
        """Waves of Kustomizations: each wave waits for the ones before (cycle members left out)."""
        order = nx.DiGraph()
        kustomizations = [n for n, d in self.depends.nodes(data=True) if d.get("kind") == "Kustomization"]
        order.add_nodes_from(kustomizations)
        for dependency, dependent in self.depends.edges():
            if dependency in order and dependent in order:
                order.add_edge(dependency, dependent)
        for parent, child in self.render_tree_edges():
            if parent in order and child in order:
                order.add_edge(parent, child)
        stuck = {n for cycle in nx.simple_cycles(order) for n in cycle} if not nx.is_directed_acyclic_graph(
            order) else set()
        stuck |= {n for n in self.missing() if n in order}  # named in dependsOn, defined nowhere
        if stuck:
            stuck |= {d for n in stuck for d in nx.descendants(order, n)}
            order.remove_nodes_from(stuck)
        return [sorted(wave) for wave in nx.topological_generations(order)]

    def render_tree_edges(self) -> list[tuple[str, str]]:
        """Each Kustomization under the first Kustomization that rendered it.

        A Kustomization that renders itself (the bootstrap one, whose folder holds
        its own definition) or is rendered again further down is not waiting for
        itself: only the first render orders it, so the tree has no cycle.
        """
        seen = {ks_id for ks_id, node in self.cluster.renders.items() if node.kustomization.rendered_by is None}
        edges = []
        for parent, node in self.cluster.renders.items():
            for child in node.children:
                if child not in seen:
                    seen.add(child)
                    edges.append((parent, child))
        return edges

    def blocked(self) -> list[str]:
        """Kustomizations that never become ready: in or after a cycle, or after a missing dependency."""
        placed = {n for wave in self.deployment_order() for n in wave}
        return sorted(n for n, d in self.depends.nodes(data=True)
                      if d.get("kind") == "Kustomization" and n not in placed and not d.get("missing"))

    def missing(self) -> list[str]:
        """Ids named in a dependsOn that no object of the cluster has."""
        return sorted(n for n, d in self.depends.nodes(data=True) if d.get("missing"))


def cluster_graph(cluster: Cluster) -> ClusterGraph:
    """Build the dependsOn, render and source graphs of a cluster."""
    graph = ClusterGraph(cluster)
    for obj in cluster.objects:
        if obj.is_flux and obj.kind in DEPENDS_ON_KINDS:
            graph.depends.add_node(obj.id, kind=obj.kind, path=obj.path, line=obj.line)
    for obj in cluster.objects:
        if not (obj.is_flux and obj.kind in DEPENDS_ON_KINDS):
            continue
        for ref in depends_on(obj):
            if ref.target_id not in graph.depends:
                graph.depends.add_node(ref.target_id, kind=ref.target_id.split("/")[0], missing=True)
            graph.depends.add_edge(ref.target_id, obj.id)
        source = source_id(obj)
        if source:
            graph.sources.add_edge(source, obj.id)
    for parent_id, node in cluster.renders.items():
        for child in node.children:
            graph.renders.add_edge(parent_id, child)
    return graph


def source_id(obj: KubeObject) -> str | None:
    """The id of the source an object reads (Kustomization sourceRef, HelmRelease chart or chartRef)."""
    ref: Any = None
    if obj.kind == "Kustomization":
        ref = obj.get("spec", "sourceRef")
    elif obj.kind == "HelmRelease":
        ref = obj.get("spec", "chartRef") or obj.get("spec", "chart", "spec", "sourceRef")
    if not isinstance(ref, dict) or not ref.get("name"):
        return None
    kind = str(ref.get("kind") or "GitRepository")
    return object_id(kind, str(ref.get("namespace") or obj.namespace or ""), str(ref["name"]))


def short_name(node_id: str) -> str:
    """``Kustomization/flux-system/apps`` -> ``flux-system/apps`` for pictures."""
    return node_id.split("/", 1)[1] if "/" in node_id else node_id


def render_text(graph: ClusterGraph) -> str:
    """The deployment order as numbered waves, the way an operator reads it."""
    lines = [f"cluster {graph.cluster.name}" + (f" ({graph.cluster.root}/)" if graph.cluster.root else "")]
    for number, wave in enumerate(graph.deployment_order(), 1):
        for node in wave:
            after = sorted(short_name(p) for p in graph.depends.predecessors(node)) if node in graph.depends else []
            suffix = f"  after {', '.join(after)}" if after else ""
            lines.append(f"  {number:>2}. {short_name(node)}{suffix}")
    cycles = graph.cycles()
    for cycle in cycles:
        lines.append(f"  never applied (dependsOn cycle): {' -> '.join(map(short_name, [*cycle, cycle[0]]))}")
    blocked = [n for n in graph.blocked() if not any(n in c for c in cycles)]
    after_missing: set[str] = set()
    for missing in graph.missing():
        waiting = sorted(n for n in nx.descendants(graph.depends, missing) if n in blocked)
        if waiting:
            after_missing.update(waiting)
            lines.append(f"  never applied (dependsOn {short_name(missing)}, which does not exist): "
                         f"{', '.join(map(short_name, waiting))}")
    blocked = [n for n in blocked if n not in after_missing]
    if blocked:
        lines.append(f"  waiting on a cycle: {', '.join(map(short_name, blocked))}")
    return "\n".join(lines)


def _mermaid_id(node: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", node)


def render_mermaid(graph: ClusterGraph, only: set[str] | None = None) -> str:
    """A Mermaid flowchart of dependsOn between Kustomizations (cycle edges in red)."""
    nodes = [n for wave in graph.deployment_order() for n in wave] + graph.blocked()
    if only is not None:
        keep = set(only)
        for node in list(only):
            if node in graph.depends:
                keep |= set(graph.depends.predecessors(node)) | set(graph.depends.successors(node))
        nodes = [n for n in nodes if n in keep]
    lines = ["flowchart LR"]
    for node in nodes:
        lines.append(f'  {_mermaid_id(node)}["{short_name(node)}"]')
    cycle_edges = {(c[i], c[(i + 1) % len(c)]) for c in graph.cycles() for i in range(len(c))}
    edge_index, red = 0, []
    for dependency, dependent in sorted(graph.depends.edges()):
        if dependency in nodes and dependent in nodes:
            lines.append(f"  {_mermaid_id(dependency)} --> {_mermaid_id(dependent)}")
            if (dependent, dependency) in cycle_edges or (dependency, dependent) in cycle_edges:
                red.append(str(edge_index))
            edge_index += 1
    if red:
        lines.append(f"  linkStyle {','.join(red)} stroke:#d73a49,stroke-width:2px")
    return "\n".join(lines)


def render_dot(graph: ClusterGraph) -> str:
    """Graphviz dot of dependsOn between Kustomizations."""
    nodes = [n for wave in graph.deployment_order() for n in wave] + graph.blocked()
    lines = [f'digraph "{graph.cluster.name}" {{', "  rankdir=LR;"]
    lines += [f'  "{short_name(n)}";' for n in nodes]
    for dependency, dependent in sorted(graph.depends.edges()):
        if dependency in nodes and dependent in nodes:
            lines.append(f'  "{short_name(dependency)}" -> "{short_name(dependent)}";')
    lines.append("}")
    return "\n".join(lines)
