"""api-version rules: removed versions, removed fields and deprecated fields, with their fixes."""

from __future__ import annotations

import textwrap

import yaml
from rule_support import apply_fix, findings, kustomization

from checks.config import Config

CLUSTER = kustomization()


def repo(**apps: str) -> dict[str, str]:
    """A one-cluster repository whose `apps` Kustomization renders the given files of apps/."""
    files = {"clusters/prod/apps.yaml": CLUSTER}
    files.update({f"apps/{name.replace('_', '-')}.yaml": textwrap.dedent(text) for name, text in apps.items()})
    return files


HELM_RELEASE_V2BETA1 = """\
apiVersion: "helm.toolkit.fluxcd.io/v2beta1"  # pinned by hand
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 15m
  chart:
    spec:
      chart: podinfo
      version: 6.x
      sourceRef:
        kind: HelmRepository
        name: podinfo
"""


# -- api-version/removed --------------------------------------------------------

def test_removed_api_version_is_reported_on_the_api_version_line() -> None:
    [finding] = findings(repo(podinfo=HELM_RELEASE_V2BETA1), "api-version/removed")
    assert (finding.path, finding.line) == ("apps/podinfo.yaml", 1)
    assert finding.object == "HelmRelease/apps/podinfo"
    assert "`helm.toolkit.fluxcd.io/v2beta1`, removed in Flux 2.7" in finding.message
    assert "`helm.toolkit.fluxcd.io/v2`" in finding.message


def test_removed_api_version_fix_keeps_quotes_and_comment_and_clears_the_finding() -> None:
    files = repo(podinfo=HELM_RELEASE_V2BETA1)
    [finding] = findings(files, "api-version/removed")
    assert finding.fix is not None
    assert finding.fix.replacement == 'apiVersion: "helm.toolkit.fluxcd.io/v2"  # pinned by hand\n'
    assert findings(apply_fix(files, finding), "api-version/removed") == []


def test_current_and_still_served_versions_are_not_reported() -> None:
    files = repo(
        podinfo=HELM_RELEASE_V2BETA1.replace('"helm.toolkit.fluxcd.io/v2beta1"', "helm.toolkit.fluxcd.io/v2"),
        # Alert and Provider stay on v1beta3: it is the newest version they have.
        alert="""\
            apiVersion: notification.toolkit.fluxcd.io/v1beta3
            kind: Provider
            metadata:
              name: slack
              namespace: apps
            spec:
              type: slack
        """,
    )
    assert findings(files, "api-version/removed") == []


def test_removed_api_version_respects_the_configured_flux_version() -> None:
    files = repo(alert="""\
        apiVersion: notification.toolkit.fluxcd.io/v1beta2
        kind: Provider
        metadata:
          name: slack
          namespace: apps
        spec:
          type: slack
    """)
    assert len(findings(files, "api-version/removed")) == 1  # default 2.9 removed v1beta2
    assert findings(files, "api-version/removed", Config(flux_version="2.8")) == []


def test_removed_api_version_ignores_look_alike_kinds_of_other_groups() -> None:
    files = repo(other="""\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        metadata:
          name: not-flux
        resources: []
        ---
        apiVersion: example.com/v1beta1
        kind: HelmRelease
        metadata:
          name: someone-elses
    """)
    assert findings(files, "api-version/removed") == []


def test_removed_api_version_checks_unrendered_files_once() -> None:
    files = repo()
    files["attic/old.yaml"] = CLUSTER.replace("kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1beta2")
    [finding] = findings(files, "api-version/removed")
    assert finding.path == "attic/old.yaml"


# -- api-version/removed-field ------------------------------------------------------

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


# -- api-version/deprecated-field ---------------------------------------------------

def test_skip_crds_is_reported_and_fixed_to_crds_skip() -> None:
    files = repo(podinfo="""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: apps
        spec:
          interval: 15m
          chartRef:
            kind: OCIRepository
            name: podinfo
          install:
            skipCRDs: true  # the CRDs come from crds/
    """)
    [finding] = findings(files, "api-version/deprecated-field")
    assert (finding.line, finding.key) == (12, "spec.install.skipCRDs")
    assert finding.fix is not None
    assert finding.fix.replacement == "    crds: Skip  # the CRDs come from crds/\n"
    fixed = apply_fix(files, finding)
    assert findings(fixed, "api-version/deprecated-field") == []
    assert yaml.safe_load(fixed["apps/podinfo.yaml"])["spec"]["install"] == {"crds": "Skip"}


def test_alert_summary_moves_to_event_metadata() -> None:
    files = repo(alert="""\
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata:
          name: on-call
          namespace: flux-system
        spec:
          providerRef:
            name: slack
          summary: "Production cluster"
          eventSources:
            - kind: Kustomization
              name: '*'
    """)
    [finding] = findings(files, "api-version/deprecated-field")
    assert finding.key == "spec.summary"
    fixed = apply_fix(files, finding)
    assert findings(fixed, "api-version/deprecated-field") == []
    assert yaml.safe_load(fixed["apps/alert.yaml"])["spec"]["eventMetadata"] == {"summary": "Production cluster"}


def test_provider_proxy_is_reported_without_a_fix() -> None:
    files = repo(provider="""\
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Provider
        metadata:
          name: slack
          namespace: flux-system
        spec:
          type: slack
          proxy: https://proxy.internal:8080
    """)
    [finding] = findings(files, "api-version/deprecated-field")
    assert finding.fix is None
    assert "proxySecretRef" in finding.message


def test_deprecated_field_look_alikes_are_quiet() -> None:
    files = repo(others="""\
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: apps
        spec:
          interval: 15m
          chartRef:
            kind: OCIRepository
            name: podinfo
          install:
            crds: Skip
          values:
            summary: not an Alert
            proxy: http://proxy:3128
        ---
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata:
          name: on-call
          namespace: flux-system
        spec:
          providerRef:
            name: slack
          eventMetadata:
            summary: Production cluster
          eventSources:
            - kind: Kustomization
              name: '*'
    """)
    assert findings(files, "api-version/deprecated-field") == []


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
    [finding] = findings(files, "api-version/removed-field")
    assert (finding.line, finding.key, finding.fix) == (9, "spec.validation", None)
    assert len(findings(files, "api-version/removed")) == 1
