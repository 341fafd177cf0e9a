"""The interval rules on small repositories: each failing case, its look-alikes, and fix round trips."""

from __future__ import annotations

import textwrap

from checks.config import Config, RuleSettings
from checks.engine import analyze
from checks.findings import Finding, Fix
from checks.fixes import apply_fixes
from checks.source import RepoSnapshot

ROOT = "clusters/prod"


def yaml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def findings(files: dict[str, str], rule: str, config: Config | None = None) -> list[Finding]:
    result = analyze(RepoSnapshot.from_mapping(files), config)
    return [f for f in result.findings if f.rule == rule]


def apply_fix(files: dict[str, str], fix: Fix) -> dict[str, str]:
    text, applied, _skipped = apply_fixes(files[fix.path], [fix])
    assert applied == [fix]
    return {**files, fix.path: text}


def assert_fixed(files: dict[str, str], rule: str, config: Config | None = None) -> dict[str, str]:
    """Apply the single finding's fix and prove the finding is gone (and the file still parses)."""
    found = findings(files, rule, config)
    assert len(found) == 1, found
    assert found[0].fix is not None
    fixed = apply_fix(files, found[0].fix)
    result = analyze(RepoSnapshot.from_mapping(fixed), config)
    assert not [f for f in result.findings if f.rule == rule]
    assert not [f for f in result.findings if f.rule == "structure/yaml-invalid"]
    return fixed


def kustomization(name: str = "apps", spec: str = "interval: 10m", path: str = "./apps") -> str:
    return yaml(f"""
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: {name}
          namespace: flux-system
        spec:
          {textwrap.indent(yaml(spec), "          ").strip()}
          path: {path}
          prune: true
          sourceRef:
            kind: GitRepository
            name: flux-system
        """)


def repo(cluster_file: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A one-cluster repository: clusters/prod/apps.yaml renders ./apps, which holds a ConfigMap."""
    files = {f"{ROOT}/apps.yaml": cluster_file, "apps/configmap.yaml": yaml("""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: default
        """)}
    files.update(extra or {})
    return files


# -- interval/invalid --------------------------------------------------------------------------------

def test_invalid_day_interval_is_an_error_with_the_hour_equivalent() -> None:
    files = repo(kustomization(spec="interval: 1d  # daily"))
    [finding] = findings(files, "interval/invalid")
    assert finding.path == f"{ROOT}/apps.yaml" and finding.line == 7
    assert "Kustomization/flux-system/apps" in finding.message and "`24h`" in finding.message
    fixed = assert_fixed(files, "interval/invalid")
    assert "  interval: 24h  # daily\n" in fixed[f"{ROOT}/apps.yaml"]


def test_invalid_source_timeout_in_hours_is_rewritten_in_minutes() -> None:
    source = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: platform
          namespace: flux-system
        spec:
          interval: 10m
          timeout: "1h"
          url: https://github.com/org/platform
          ref: {branch: main}
        """)
    files = repo(kustomization(), {f"{ROOT}/sources.yaml": source})
    [finding] = findings(files, "interval/invalid")
    assert "spec.timeout" not in finding.message and "`timeout: 1h`" in finding.message
    fixed = assert_fixed(files, "interval/invalid")
    assert 'timeout: "60m"' in fixed[f"{ROOT}/sources.yaml"]


def test_invalid_number_has_no_guessed_fix() -> None:
    [finding] = findings(repo(kustomization(spec="interval: 5")), "interval/invalid")
    assert finding.fix is None and "is a number, not a duration with a unit" in finding.message


def test_invalid_ignores_substitutions_and_non_flux_kinds() -> None:
    monitor = yaml("""
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata:
          name: app
          namespace: default
        spec:
          endpoints:
            - interval: 1d
          interval: 1d
        """)
    files = repo(kustomization(spec="interval: ${APPS_INTERVAL:=10m}"), {"apps/monitor.yaml": monitor})
    assert findings(files, "interval/invalid") == []


# -- interval/missing --------------------------------------------------------------------------------

def test_missing_interval_on_a_git_repository_is_added() -> None:
    source = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: platform
          namespace: flux-system
        spec:
          url: https://github.com/org/platform
          ref:
            branch: main
        """)
    files = repo(kustomization())
    files[f"{ROOT}/sources.yaml"] = source
    [finding] = findings(files, "interval/missing")
    assert finding.line == 6 and "GitRepository/flux-system/platform" in finding.message
    fixed = assert_fixed(files, "interval/missing")
    assert "spec:\n  interval: 10m\n  url:" in fixed[f"{ROOT}/sources.yaml"]


def test_missing_interval_set_by_a_parent_patch_is_not_reported() -> None:
    parent = kustomization(name="apps", path="./apps", spec="""
        interval: 1h
        patches:
          - patch: |
              apiVersion: kustomize.toolkit.fluxcd.io/v1
              kind: Kustomization
              metadata:
                name: not-used
              spec:
                interval: 30m
            target:
              kind: Kustomization
        """)
    child = yaml("""
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: child
          namespace: flux-system
        spec:
          path: ./child
          prune: true
          sourceRef:
            kind: GitRepository
            name: flux-system
        """)
    files = repo(parent, {"apps/child.yaml": child})
    assert findings(files, "interval/missing") == []
    unpatched = repo(kustomization(name="apps", path="./apps"), {"apps/child.yaml": child})
    [finding] = findings(unpatched, "interval/missing")
    assert "Kustomization/flux-system/child" in finding.message


def test_missing_is_not_reported_for_kinds_that_need_no_interval_or_for_patch_files() -> None:
    optional = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: charts
          namespace: flux-system
        spec:
          url: https://charts.example.com
        ---
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata:
          name: on-call
          namespace: flux-system
        spec:
          providerRef:
            name: slack
          eventSources:
            - kind: Kustomization
              name: '*'
        """)
    overlay = {
        "overlay/kustomization.yaml": yaml("""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - ../base
            patches:
              - path: values.yaml
            """),
        "overlay/values.yaml": yaml("""
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: podinfo
            spec:
              values:
                replicas: 2
            """),
    }
    files = repo(kustomization()) | overlay
    files[f"{ROOT}/optional.yaml"] = optional
    assert findings(files, "interval/missing") == []


# -- interval/too-short ------------------------------------------------------------------------------

OCI = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: platform
      namespace: flux-system
    spec:
      interval: {interval}
      url: oci://ghcr.io/org/platform
      ref:
        tag: 1.0.0
    """


def test_too_short_reports_minimum_and_recommended_and_fixes_to_recommended() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/oci.yaml"] = yaml(OCI.format(interval="30s"))
    [finding] = findings(files, "interval/too-short")
    assert finding.line == 7
    assert "OCIRepository/flux-system/platform reconciles every 30s; minimum 1m, recommended 10m" in finding.message
    fixed = assert_fixed(files, "interval/too-short")
    assert "  interval: 10m\n" in fixed[f"{ROOT}/oci.yaml"]


def test_too_short_follows_the_configured_minimum() -> None:
    files = repo(kustomization(spec="interval: 5m"))
    assert findings(files, "interval/too-short") == []
    strict = Config(rules={"interval/too-short": RuleSettings(options={"minimum": {"Kustomization": "10m"}})})
    [finding] = findings(files, "interval/too-short", strict)
    assert "minimum 10m" in finding.message


def test_too_short_ignores_bootstrap_files_and_non_flux_intervals() -> None:
    gotk = yaml(OCI.format(interval="30s")).replace("OCIRepository", "GitRepository")
    monitor = yaml("""
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata:
          name: app
          namespace: default
        spec:
          endpoints:
            - interval: 30s
        """)
    files = repo(kustomization(), {"apps/monitor.yaml": monitor})
    files[f"{ROOT}/flux-system/gotk-sync.yaml"] = gotk
    assert findings(files, "interval/too-short") == []


# -- interval/timeout-exceeds-interval ---------------------------------------------------------------

def test_timeout_longer_than_interval_is_lowered() -> None:
    files = repo(kustomization(spec="interval: 10m\ntimeout: 30m"))
    [finding] = findings(files, "interval/timeout-exceeds-interval")
    assert "`timeout: 30m`, longer than its `interval: 10m`" in finding.message
    assert_fixed(files, "interval/timeout-exceeds-interval")


def test_wait_without_timeout_on_a_long_interval_gets_a_timeout() -> None:
    files = repo(kustomization(spec="interval: 1h\nwait: true"))
    [finding] = findings(files, "interval/timeout-exceeds-interval")
    assert "59m30s" in finding.message
    fixed = assert_fixed(files, "interval/timeout-exceeds-interval")
    assert "  wait: true\n  timeout: 5m\n" in fixed[f"{ROOT}/apps.yaml"]


def test_health_checks_without_timeout_get_a_timeout_below_the_interval() -> None:
    spec = ("interval: 2h\nhealthChecks:\n  - apiVersion: apps/v1\n    kind: Deployment\n"
            "    name: web\n    namespace: apps")
    files = repo(kustomization(spec=spec))
    [finding] = findings(files, "interval/timeout-exceeds-interval")
    assert "sets `healthChecks` with no `timeout`" in finding.message and "1h59m30s" in finding.message
    fixed = assert_fixed(files, "interval/timeout-exceeds-interval")
    assert "  interval: 2h\n  timeout: 5m\n" in fixed[f"{ROOT}/apps.yaml"]


def test_timeout_look_alikes_are_quiet() -> None:
    for spec in ("interval: 10m\nwait: true", "interval: 1h\ntimeout: 5m\nwait: true", "interval: 1h"):
        assert findings(repo(kustomization(spec=spec)), "interval/timeout-exceeds-interval") == [], spec


# -- interval/retry-exceeds-interval -----------------------------------------------------------------

def test_retry_interval_longer_than_interval_is_reported() -> None:
    [finding] = findings(repo(kustomization(spec="interval: 5m\nretryInterval: 1h")),
                         "interval/retry-exceeds-interval")
    assert finding.line == 8 and "retries failures every 1h" in finding.message


def test_retry_interval_shorter_than_interval_is_fine() -> None:
    assert findings(repo(kustomization(spec="interval: 1h\nretryInterval: 5m")),
                    "interval/retry-exceeds-interval") == []


# -- interval/no-retry -------------------------------------------------------------------------------

def test_no_retry_on_a_long_interval_adds_a_retry_interval() -> None:
    files = repo(kustomization(spec="interval: 1h"))
    [finding] = findings(files, "interval/no-retry")
    assert finding.severity.name == "INFO"
    fixed = assert_fixed(files, "interval/no-retry")
    assert "  interval: 1h\n  retryInterval: 2m\n" in fixed[f"{ROOT}/apps.yaml"]


def test_no_retry_look_alikes_are_quiet() -> None:
    release = yaml("""
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: default
        spec:
          interval: 1h
          chartRef:
            kind: OCIRepository
            name: podinfo
        """)
    files = repo(kustomization(spec="interval: 10m"), {"apps/release.yaml": release})
    assert findings(files, "interval/no-retry") == []
    assert findings(repo(kustomization(spec="interval: 1h\nretryInterval: 2m")), "interval/no-retry") == []


# -- interval/ineffective ----------------------------------------------------------------------------

HELM_REPOSITORY = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: HelmRepository
    metadata:
      name: charts
      namespace: flux-system
    spec:
      {type}interval: 30m
      url: {url}
    """


def test_interval_on_an_oci_helm_repository_is_deleted() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/charts.yaml"] = yaml(HELM_REPOSITORY).format(type="type: oci\n  ", url="oci://ghcr.io/org")
    fixed = assert_fixed(files, "interval/ineffective")
    assert "interval" not in fixed[f"{ROOT}/charts.yaml"]


def test_interval_on_a_v1beta3_provider_is_ineffective() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/provider.yaml"] = yaml("""
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Provider
        metadata:
          name: slack
          namespace: flux-system
        spec:
          type: slack
          interval: 10m
        """)
    [finding] = findings(files, "interval/ineffective")
    assert "Provider/flux-system/slack" in finding.message


def test_interval_on_an_http_helm_repository_is_used() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/charts.yaml"] = yaml(HELM_REPOSITORY).format(type="", url="https://charts.example.com")
    assert findings(files, "interval/ineffective") == []
