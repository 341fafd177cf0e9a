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


CLUSTER_ISSUER = yaml("""
    apiVersion: cert-manager.io/v1
    kind: ClusterIssuer
    metadata:
      name: letsencrypt
    spec:
      acme:
        server: https://acme-v02.api.letsencrypt.org/directory
        privateKeySecretRef:
          name: letsencrypt
        solvers:
          - http01:
              gateway: {}
    ---
    apiVersion: cert-manager.io/v1
    kind: Certificate
    metadata:
      name: wildcard
      namespace: gateway
    spec:
      secretName: wildcard-tls
      dnsNames: ["*.example.com"]
      issuerRef:
        kind: ClusterIssuer
        name: letsencrypt
    """)

POSTGRES = yaml("""
    apiVersion: postgresql.cnpg.io/v1
    kind: Cluster
    metadata:
      name: postgres
      namespace: database
    spec:
      instances: 3
      storage:
        size: 10Gi
    """)


def test_custom_resources_that_report_ready_make_a_dependency_worth_waiting_for() -> None:
    # kstatus reads their Ready condition: with `wait: true` the dependents would wait for it.
    for label, text, named in (("issuers", CLUSTER_ISSUER, "Certificate and ClusterIssuer objects report Ready"),
                               ("postgres", POSTGRES, "Cluster objects report Ready")):
        files = cluster(ks("infra-configs", "./configs"),
                        ks("apps", "./apps", extra="dependsOn:\n  - name: infra-configs\n"),
                        **base_files(), **{"configs/objects.yaml": text})
        [finding] = findings(files, "dependency/not-ready-gate")
        assert finding.object == "Kustomization/flux-system/infra-configs", label
        assert f"start before its {named}." in finding.message, finding.message
        fixed = round_trip(files, "dependency/not-ready-gate")
        assert "  wait: true\n" in fixed[f"{ROOT}/ks.yaml"], label


def test_workloads_beside_ready_custom_resources_are_named_as_workloads() -> None:
    files = cluster(ks("infra", "./infra"), ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"),
                    **base_files(), **{"infra/issuers.yaml": CLUSTER_ISSUER})
    [finding] = findings(files, "dependency/not-ready-gate")
    assert "start before its workloads run." in finding.message


def test_dependencies_with_nothing_that_reports_ready_are_quiet() -> None:
    config_only = yaml("""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-a
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: token
          namespace: team-a
        stringData:
          token: ${TOKEN}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: team-a
          namespace: team-a
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: edit
        subjects:
          - kind: ServiceAccount
            name: team-a
            namespace: team-a
        """)
    statusless = yaml("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: web
          namespace: apps
        spec:
          parentRefs: [{name: gateway, namespace: gateway}]
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata:
          name: web
          namespace: apps
        spec:
          endpoints: [{port: http}]
          selector: {matchLabels: {app: web}}
        ---
        apiVersion: example.com/v1
        kind: Cluster
        metadata:
          name: not-postgres
          namespace: apps
        """)
    sources = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: charts
          namespace: flux-system
        spec:
          interval: 1h
          url: https://charts.example.com
        """)
    for label, text in (("config", config_only), ("no status", statusless), ("sources", sources)):
        files = cluster(ks("setup", "./setup"), ks("apps", "./apps", extra="dependsOn:\n  - name: setup\n"),
                        **base_files(), **{"setup/objects.yaml": text})
        assert findings(files, "dependency/not-ready-gate") == [], label


def test_health_check_expressions_alone_are_no_gate() -> None:
    # kustomize-controller runs no health check without `wait` or `healthChecks`: the CEL is never read.
    exprs = yaml("""
        healthCheckExprs:
          - apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            failed: status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')
            current: status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')
        """)
    files = cluster(ks("postgres", "./postgres", extra=exprs),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: postgres\n"),
                    **base_files(), **{"postgres/cluster.yaml": POSTGRES})
    [finding] = findings(files, "dependency/not-ready-gate")
    assert "its `healthCheckExprs` only say how to judge" in finding.message
    round_trip(files, "dependency/not-ready-gate")
    with_wait = cluster(ks("postgres", "./postgres", extra=exprs + "wait: true\n"),
                        ks("apps", "./apps", extra="dependsOn:\n  - name: postgres\n"),
                        **base_files(), **{"postgres/cluster.yaml": POSTGRES})
    assert findings(with_wait, "dependency/not-ready-gate") == []
