"""dependency/not-ready-gate: dependencies ready as soon as applied, the wait fix, and gates that mean ready."""

from __future__ import annotations

from rule_support import ROOT, findings, round_trip, yaml

from ._builders import base_files, cluster, ks, release


def test_dependency_without_wait_is_reported_once_on_the_dependency_with_a_wait_fix() -> None:
    files = cluster(ks("infra", "./infra"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"),
                    ks("jobs", "./apps", namespace="flux-system", extra="dependsOn:\n  - name: infra\n"),
                    **base_files())
    [finding] = findings(files, "dependency/not-ready-gate")
    assert finding.object == "Kustomization/flux-system/infra"
    assert "dependsOn of apps, jobs" in finding.message
    fixed = round_trip(files, "dependency/not-ready-gate")
    assert "spec:\n  wait: true\n  interval: 10m\n" in fixed[f"{ROOT}/ks.yaml"]


def test_explicit_wait_false_is_turned_on() -> None:
    files = cluster(ks("infra", "./infra", extra="wait: false\n"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files())
    fixed = round_trip(files, "dependency/not-ready-gate")
    assert "  wait: true\n" in fixed[f"{ROOT}/ks.yaml"]


def test_gates_that_mean_ready_are_quiet() -> None:
    health = ("healthChecks:\n  - apiVersion: apps/v1\n    kind: Deployment\n"
              "    name: controller\n    namespace: infra\n")
    patched_parent = ks("infra", "./infra-parent", extra=yaml("""
        patches:
          - patch: |
              - op: add
                path: /spec/wait
                value: true
            target:
              kind: Kustomization
        """))
    cases = {
        "wait": cluster(ks("infra", "./infra", extra="wait: true\n"),
                        ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files()),
        "healthChecks": cluster(ks("infra", "./infra", extra=health),
                                ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files()),
        "readyExpr": cluster(ks("infra", "./infra"), ks("apps", "./apps", extra=(
            "dependsOn:\n  - name: infra\n    readyExpr: dep.status.conditions.all(c, c.status == 'True')\n")),
            **base_files()),
        "only config": cluster(ks("settings", "./apps"),
                               ks("apps", "./apps", extra="dependsOn:\n  - name: settings\n"), **base_files()),
        "wait from a parent patch": cluster(
            patched_parent, ks("apps", "./apps", extra="dependsOn:\n  - name: child\n"),
            **base_files(), **{"infra-parent/child.yaml": ks("child", "./infra")}),
    }
    for label, files in cases.items():
        assert findings(files, "dependency/not-ready-gate") == [], label


def test_helm_release_dependencies_are_not_readiness_gates() -> None:
    releases = release("redis") + release("app", extra="dependsOn:\n  - name: redis\n")
    files = cluster(ks("releases", "./releases"), **base_files(), **{"releases/all.yaml": releases})
    assert findings(files, "dependency/not-ready-gate") == []


def test_a_helm_release_renderer_is_a_workload_renderer() -> None:
    # A Kustomization that only applies a HelmRelease is ready before Helm has installed anything.
    files = cluster(ks("releases", "./releases"), ks("apps", "./apps", extra="dependsOn:\n  - name: releases\n"),
                    **base_files(), **{"releases/redis.yaml": release("redis")})
    [finding] = findings(files, "dependency/not-ready-gate")
    assert finding.object == "Kustomization/flux-system/releases"
    assert "is in the dependsOn of apps, but" in finding.message
