"""Graphs of a cluster: dependsOn edges, cycles, deployment order and its pictures."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from checks.graph import (
    ClusterGraph,
    cluster_graph,
    depends_on,
    render_dot,
    render_mermaid,
    render_text,
    short_name,
    source_id,
)
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.yaml_docs import load_yaml

Model = Callable[..., RepoModel]


def ks(name: str, depends: str = "", path: str = "./apps") -> str:
    deps = "\n  dependsOn:\n" + textwrap.indent(textwrap.dedent(depends), "    ") if depends else "\n"
    return (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
            f"  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
            f"  sourceRef:\n    kind: GitRepository\n    name: flux-system{deps.rstrip()}\n")


def graph_of(model_of: Model, *documents: str, extra: dict[str, str] | None = None) -> ClusterGraph:
    files = {"clusters/prod/flux.yaml": "---\n".join(documents), "apps/cm.yaml":
             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n", **(extra or {})}
    model = model_of(files)
    assert model.problems == []
    return cluster_graph(model.clusters[0])


def obj(text: str, namespace: str = "apps") -> KubeObject:
    return KubeObject(load_yaml("x.yaml", textwrap.dedent(text).encode()).docs[0].root, "x.yaml", 0, namespace)


# -- dependsOn ------------------------------------------------------------------------------------------

def test_depends_on_defaults_the_namespace_and_kind_to_the_dependents() -> None:
    release = obj("""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: web
        spec:
          dependsOn:
            - name: redis
            - name: postgres
              namespace: db
            - namespace: nameless
            - just-a-string
    """)
    refs = depends_on(release)
    assert [(r.index, r.name, r.namespace, r.target_id) for r in refs] == [
        (0, "redis", "apps", "HelmRelease/apps/redis"),
        (1, "postgres", "db", "HelmRelease/db/postgres"),
    ]
    assert refs[0].dependent is release


def test_depends_on_of_an_object_without_it() -> None:
    assert depends_on(obj("kind: Kustomization\nspec:\n  dependsOn: infra\n")) == []
    assert depends_on(obj("kind: Kustomization\n")) == []


def test_dependency_edges_point_from_dependency_to_dependent(model_of: Model) -> None:
    graph = graph_of(model_of, ks("infra"), ks("apps", "- name: infra\n"),
                     ks("db", "- name: apps\n- name: infra\n  namespace: flux-system\n"))
    assert sorted(graph.depends.edges()) == [
        ("Kustomization/flux-system/apps", "Kustomization/flux-system/db"),
        ("Kustomization/flux-system/infra", "Kustomization/flux-system/apps"),
        ("Kustomization/flux-system/infra", "Kustomization/flux-system/db"),
    ]
    assert graph.depends.nodes["Kustomization/flux-system/apps"]["path"] == "clusters/prod/flux.yaml"
    assert graph.cycles() == []


def test_render_and_source_edges(model_of: Model) -> None:
    graph = graph_of(model_of, ks("apps"), extra={"apps/release.yaml": """\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: web
        spec:
          chart:
            spec:
              chart: web
              sourceRef:
                kind: HelmRepository
                name: charts
                namespace: flux-system
        """})
    assert ("Kustomization/flux-system/flux-system", "Kustomization/flux-system/apps") in graph.renders.edges()
    assert ("HelmRepository/flux-system/charts", "HelmRelease/flux-system/web") in graph.sources.edges()
    assert ("GitRepository/flux-system/flux-system", "Kustomization/flux-system/apps") in graph.sources.edges()


@pytest.mark.parametrize(("text", "expected"), [
    ("kind: Kustomization\nspec:\n  sourceRef:\n    kind: OCIRepository\n    name: repo\n",
     "OCIRepository/apps/repo"),
    ("kind: Kustomization\nspec:\n  sourceRef:\n    name: repo\n    namespace: other\n",
     "GitRepository/other/repo"),
    ("kind: HelmRelease\nspec:\n  chartRef:\n    kind: OCIRepository\n    name: chart\n",
     "OCIRepository/apps/chart"),
    ("kind: HelmRelease\nspec:\n  chart:\n    spec:\n      sourceRef:\n        kind: HelmRepository\n"
     "        name: charts\n", "HelmRepository/apps/charts"),
    ("kind: HelmRelease\nspec: {}\n", None),
    ("kind: ConfigMap\nspec:\n  sourceRef:\n    name: x\n", None),
])
def test_source_id(text: str, expected: str | None) -> None:
    assert source_id(obj(text)) == expected


# -- cycles and deployment order ---------------------------------------------------------------------------

CYCLES = (
    ks("infra"),
    ks("apps", "- name: infra\n"),
    ks("a", "- name: b\n"),
    ks("b", "- name: c\n"),
    ks("c", "- name: a\n"),
    ks("self", "- name: self\n"),
    ks("after-cycle", "- name: a\n"),
)


def test_every_cycle_is_listed_from_its_smallest_member(model_of: Model) -> None:
    graph = graph_of(model_of, *CYCLES)
    # In edge order (what must come first): a is needed by c, c by b, b by a.
    assert graph.cycles() == [
        ["Kustomization/flux-system/a", "Kustomization/flux-system/c", "Kustomization/flux-system/b"],
        ["Kustomization/flux-system/self"],
    ]


def test_helm_release_cycles_are_listed_too(model_of: Model) -> None:
    release = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n"
               "spec:\n  dependsOn:\n    - name: {other}\n")
    graph = graph_of(model_of, ks("apps"), extra={
        "apps/releases.yaml": release.format(name="x", other="y") + "---\n" + release.format(name="y", other="x"),
    })
    assert graph.cycles() == [["HelmRelease/flux-system/x", "HelmRelease/flux-system/y"]]
    assert graph.blocked() == []  # only Kustomizations take part in the deployment order


def test_deployment_order_is_waves_and_leaves_cycles_out(model_of: Model) -> None:
    graph = graph_of(model_of, *CYCLES)
    assert graph.deployment_order() == [
        ["Kustomization/flux-system/flux-system"],
        ["Kustomization/flux-system/infra"],
        ["Kustomization/flux-system/apps"],
    ]
    assert graph.blocked() == [
        "Kustomization/flux-system/a", "Kustomization/flux-system/after-cycle", "Kustomization/flux-system/b",
        "Kustomization/flux-system/c", "Kustomization/flux-system/self",
    ]


def test_independent_kustomizations_share_a_wave(model_of: Model) -> None:
    graph = graph_of(model_of, ks("infra"), ks("crds"), ks("apps", "- name: infra\n- name: crds\n"))
    assert graph.deployment_order() == [
        ["Kustomization/flux-system/flux-system"],
        ["Kustomization/flux-system/crds", "Kustomization/flux-system/infra"],
        ["Kustomization/flux-system/apps"],
    ]


def test_a_missing_dependency_blocks_its_dependents(model_of: Model) -> None:
    graph = graph_of(model_of, ks("apps", "- name: ghost\n"), ks("db", "- name: apps\n"), ks("infra"))
    assert graph.missing() == ["Kustomization/flux-system/ghost"]
    assert graph.depends.nodes["Kustomization/flux-system/ghost"]["missing"] is True
    assert graph.deployment_order() == [["Kustomization/flux-system/flux-system"],
                                        ["Kustomization/flux-system/infra"]]
    assert graph.blocked() == ["Kustomization/flux-system/apps", "Kustomization/flux-system/db"]
    assert render_text(graph).splitlines()[-1] == (
        "  never applied (dependsOn flux-system/ghost, which does not exist): flux-system/apps, flux-system/db")


# -- pictures ------------------------------------------------------------------------------------------------

def test_text_rendering(model_of: Model) -> None:
    assert render_text(graph_of(model_of, *CYCLES)) == textwrap.dedent("""\
        cluster prod (clusters/prod/)
           1. flux-system/flux-system
           2. flux-system/infra
           3. flux-system/apps  after flux-system/infra
          never applied (dependsOn cycle): flux-system/a -> flux-system/c -> flux-system/b -> flux-system/a
          never applied (dependsOn cycle): flux-system/self -> flux-system/self
          waiting on a cycle: flux-system/after-cycle""")


def test_mermaid_rendering_marks_cycle_edges(model_of: Model) -> None:
    text = render_mermaid(graph_of(model_of, ks("infra"), ks("apps", "- name: infra\n"), ks("self", "- name: self\n")))
    assert text == textwrap.dedent("""\
        flowchart LR
          Kustomization_flux_system_flux_system["flux-system/flux-system"]
          Kustomization_flux_system_infra["flux-system/infra"]
          Kustomization_flux_system_apps["flux-system/apps"]
          Kustomization_flux_system_self["flux-system/self"]
          Kustomization_flux_system_infra --> Kustomization_flux_system_apps
          Kustomization_flux_system_self --> Kustomization_flux_system_self
          linkStyle 1 stroke:#d73a49,stroke-width:2px""")


def test_mermaid_rendering_of_a_part_keeps_direct_neighbours(model_of: Model) -> None:
    graph = graph_of(model_of, ks("infra"), ks("apps", "- name: infra\n"), ks("db", "- name: apps\n"), ks("other"))
    text = render_mermaid(graph, only={"Kustomization/flux-system/infra"})
    assert '["flux-system/infra"]' in text and '["flux-system/apps"]' in text
    assert "db" not in text and "other" not in text


def test_dot_rendering(model_of: Model) -> None:
    assert render_dot(graph_of(model_of, ks("infra"), ks("apps", "- name: infra\n"))) == textwrap.dedent("""\
        digraph "prod" {
          rankdir=LR;
          "flux-system/flux-system";
          "flux-system/infra";
          "flux-system/apps";
          "flux-system/infra" -> "flux-system/apps";
        }""")


def test_short_name() -> None:
    assert short_name("Kustomization/flux-system/apps") == "flux-system/apps"
    assert short_name("plain") == "plain"


def test_a_kustomization_that_renders_itself_is_not_a_cycle(model_of: Model) -> None:
    # flux bootstrap's Kustomization renders ./clusters/prod, the folder that defines it.
    graph = graph_of(model_of, ks("flux-system", path="./clusters/prod"), ks("apps"),
                     ks("cluster-apps", path="./clusters/prod"))
    assert ("Kustomization/flux-system/flux-system", "Kustomization/flux-system/flux-system") in graph.renders.edges()
    assert graph.cycles() == []
    assert graph.blocked() == []
    assert graph.deployment_order() == [
        ["Kustomization/flux-system/flux-system"],
        ["Kustomization/flux-system/apps", "Kustomization/flux-system/cluster-apps"],
    ]
    assert "waiting" not in render_text(graph)


def test_a_parent_that_depends_on_its_own_child_never_applies_it(model_of: Model) -> None:
    graph = graph_of(model_of, ks("parent", "- name: child\n", path="./parent"),
                     extra={"parent/child.yaml": ks("child")})
    assert graph.cycles() == []  # not a dependsOn cycle ...
    assert graph.blocked() == ["Kustomization/flux-system/child", "Kustomization/flux-system/parent"]  # ... a wait
