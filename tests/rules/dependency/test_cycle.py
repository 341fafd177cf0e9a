"""dependency/cycle: dependsOn loops and self-dependencies, and chains that are not loops."""

from __future__ import annotations

from rule_support import findings

from ._builders import base_files, cluster, ks


def test_cycle_is_reported_on_every_member_with_the_whole_loop() -> None:
    files = cluster(ks("monitoring", "./apps", extra="dependsOn:\n  - name: databases\n"),
                    ks("databases", "./infra", extra="dependsOn:\n  - name: monitoring\n"), **base_files())
    found = findings(files, "dependency/cycle")
    assert {f.object for f in found} == {"Kustomization/flux-system/monitoring", "Kustomization/flux-system/databases"}
    monitoring = next(f for f in found if f.object.endswith("/monitoring"))
    assert monitoring.message.startswith(
        "Kustomization/flux-system/monitoring -> databases -> monitoring: a dependsOn cycle")
    assert monitoring.line == 16
    assert len({f.key for f in found}) == 1


def test_self_dependency_is_a_cycle() -> None:
    files = cluster(ks("apps", "./apps", extra="dependsOn:\n  - name: apps\n"), **base_files())
    [finding] = findings(files, "dependency/cycle")
    assert "depends on itself" in finding.message


def test_cycle_across_namespaces_names_members_with_their_namespace() -> None:
    files = cluster(ks("web", "./apps", namespace="apps", extra=(
                        "dependsOn:\n  - name: db\n    namespace: data\n")),
                    ks("db", "./infra", namespace="data", extra=(
                        "dependsOn:\n  - name: web\n    namespace: apps\n")), **base_files())
    found = findings(files, "dependency/cycle")
    web = next(f for f in found if f.object == "Kustomization/apps/web")
    assert web.message.startswith("Kustomization/apps/web -> data/db -> web: a dependsOn cycle")
    assert len(found) == 2


def test_a_chain_is_not_a_cycle() -> None:
    files = cluster(ks("infra", "./infra"), ks("db", "./infra", extra="dependsOn:\n  - name: infra\n"),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: db\n  - name: infra\n"), **base_files())
    assert findings(files, "dependency/cycle") == []


def test_the_cycle_check_before_enumerating() -> None:
    from checks.rules.dependency.cycle import _has_cycle

    assert not _has_cycle({}) and not _has_cycle({"a": ["b"], "b": ["c"], "x": ["c"]})
    assert _has_cycle({"a": ["a"]}) and _has_cycle({"a": ["b"], "b": ["c"], "c": ["a"]})
    assert _has_cycle({"x": ["a"], "a": ["b"], "b": ["a"]})
