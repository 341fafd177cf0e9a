"""api-version/removed-field: fields the GA versions dropped, and the fixes that move them."""

from __future__ import annotations

import yaml
from rule_support import apply_fix, findings, kustomization
from rule_support import apps_repository as repo

from checks.config import Config


def test_values_file_is_reported_and_fixed_into_values_files() -> None:
    files = repo(podinfo="""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: apps
        spec:
          interval: 15m
          chart:
            spec:
              chart: podinfo
              valuesFile: values-prod.yaml  # prod sizing
              sourceRef:
                kind: HelmRepository
                name: podinfo
    """)
    [finding] = findings(files, "api-version/removed-field")
    assert (finding.path, finding.line) == ("apps/podinfo.yaml", 11)
    assert "`spec.chart.spec.valuesFile`" in finding.message
    assert finding.fix is not None
    assert finding.fix.replacement == "      valuesFiles:\n        - values-prod.yaml  # prod sizing\n"
    fixed = apply_fix(files, finding)
    assert findings(fixed, "api-version/removed-field") == []
    assert yaml.safe_load(fixed["apps/podinfo.yaml"])["spec"]["chart"]["spec"]["valuesFiles"] == ["values-prod.yaml"]


def test_values_file_beside_a_values_files_list_gets_no_fix() -> None:
    files = repo(chart="""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmChart
        metadata:
          name: podinfo
          namespace: apps
        spec:
          interval: 15m
          chart: podinfo
          sourceRef:
            kind: HelmRepository
            name: podinfo
          valuesFile: values-prod.yaml
          valuesFiles:
            - values.yaml
    """)
    [finding] = findings(files, "api-version/removed-field")
    assert (finding.line, finding.key) == (12, "spec.valuesFile")
    assert finding.fix is None


def test_patches_strategic_merge_is_rewritten_as_patches() -> None:
    files = repo(infra=kustomization("infra", "./infra", extra="""\
        patchesStrategicMerge:
          - apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: 2

        timeout: 5m
    """))
    files["infra/deploy.yaml"] = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
    [finding] = findings(files, "api-version/removed-field")
    assert (finding.line, finding.fix.start_line, finding.fix.end_line) == (13, 13, 19)
    fixed = apply_fix(files, finding)
    assert findings(fixed, "api-version/removed-field") == []
    spec = yaml.safe_load(fixed["apps/infra.yaml"])["spec"]
    assert spec["timeout"] == "5m"
    assert yaml.safe_load(spec["patches"][0]["patch"]) == {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}}


def test_patches_json6902_is_rewritten_with_its_target() -> None:
    files = repo(infra=kustomization("infra", extra="""\
        patchesJson6902:
          - target:
              kind: Deployment
              name: web
            patch:
              - op: replace
                path: /spec/replicas
                value: 3
    """))
    [finding] = findings(files, "api-version/removed-field")
    fixed = apply_fix(files, finding)
    assert findings(fixed, "api-version/removed-field") == []
    [patch] = yaml.safe_load(fixed["apps/infra.yaml"])["spec"]["patches"]
    assert patch["target"] == {"kind": "Deployment", "name": "web"}
    assert yaml.safe_load(patch["patch"]) == [{"op": "replace", "path": "/spec/replicas", "value": 3}]


def test_patch_list_with_comments_gets_no_fix() -> None:
    files = repo(infra="""\
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: infra
          namespace: flux-system
        spec:
          interval: 10m
          path: ./apps
          patchesStrategicMerge:
            # scale down at night
            - apiVersion: apps/v1
              kind: Deployment
              metadata:
                name: web
          sourceRef:
            kind: GitRepository
            name: flux-system
    """)
    [finding] = findings(files, "api-version/removed-field")
    assert finding.fix is None


def test_git_implementation_and_post_renderer_patches_are_reported() -> None:
    files = repo(sources="""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: app
          namespace: apps
        spec:
          interval: 10m
          url: https://example.com/app.git
          gitImplementation: go-git
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: web
          namespace: apps
        spec:
          interval: 15m
          chartRef:
            kind: OCIRepository
            name: web
          postRenderers:
            - kustomize:
                patchesJson6902:
                  - target: {kind: Deployment, name: web}
                    patch: [{op: remove, path: /spec/replicas}]
    """)
    found = {f.key: f for f in findings(files, "api-version/removed-field")}
    assert set(found) == {"spec.gitImplementation", "spec.postRenderers[0].kustomize.patchesJson6902"}
    assert found["spec.gitImplementation"].line == 9


def test_access_from_is_reported_even_when_empty() -> None:
    files = repo(source="""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: app
          namespace: apps
        spec:
          interval: 10m
          url: https://example.com/app.git
          accessFrom:
    """)
    [finding] = findings(files, "api-version/removed-field")
    assert (finding.line, finding.key, finding.fix) == (9, "spec.accessFrom", None)
    assert "the field was never used" in finding.message


def test_removed_field_look_alikes_are_quiet() -> None:
    files = repo(others="""\
        # a beta version the configured Flux still serves may keep its own fields
        apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
        kind: Kustomization
        metadata:
          name: legacy
          namespace: flux-system
        spec:
          interval: 10m
          path: ./apps
          validation: client
          sourceRef:
            kind: GitRepository
            name: flux-system
        ---
        # kustomize's own Kustomization keeps patchesStrategicMerge
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        metadata:
          name: overlay
        patchesStrategicMerge:
          - deploy.yaml
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: web
          namespace: apps
        spec:
          interval: 15m
          chartRef:
            kind: OCIRepository
            name: web
          values:
            validation: strict
            gitImplementation: libgit2
    """)
    assert findings(files, "api-version/removed-field", Config(flux_version="2.7")) == []


def test_removed_field_on_a_removed_version_is_reported_beside_the_version() -> None:
    files = repo(legacy="""\
        apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
        kind: Kustomization
        metadata:
          name: legacy
          namespace: flux-system
        spec:
          interval: 10m
          path: ./apps
          validation: client
          sourceRef:
            kind: GitRepository
            name: flux-system
    """)
    # A change that adds it to clusters whose base writes nothing old: judged against the default 2.9.
    [finding] = findings(files, "api-version/removed-field", base=repo())
    assert (finding.line, finding.key, finding.fix) == (9, "spec.validation", None)
    assert len(findings(files, "api-version/removed", base=repo())) == 1
    # Without a base the object itself shows a Flux before 2.8, where v1beta2 still has the field.
    assert findings(files, "api-version/removed-field") == []
