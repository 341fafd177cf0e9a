"""interval/invalid: durations the CRDs reject, their look-alikes, and the rewritten duration."""

from __future__ import annotations

from rule_support import ROOT, findings, kustomization, round_trip, yaml

from ._support import platform_source, repo


def test_invalid_day_interval_is_an_error_with_the_hour_equivalent() -> None:
    files = repo(kustomization(spec="interval: 1d  # daily"))
    [finding] = findings(files, "interval/invalid")
    assert finding.path == f"{ROOT}/apps.yaml" and finding.line == 7
    assert "Kustomization/flux-system/apps" in finding.message and "`24h`" in finding.message
    fixed = round_trip(files, "interval/invalid")
    assert "  interval: 24h  # daily\n" in fixed[f"{ROOT}/apps.yaml"]


def test_invalid_source_timeout_in_hours_is_rewritten_in_minutes() -> None:
    source = platform_source('interval: 10m\ntimeout: "1h"\n')
    files = repo(kustomization(), {f"{ROOT}/sources.yaml": source})
    [finding] = findings(files, "interval/invalid")
    assert "spec.timeout" not in finding.message and "`timeout: 1h`" in finding.message
    fixed = round_trip(files, "interval/invalid")
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


def test_a_document_several_clusters_render_is_judged_once_and_each_patch_on_its_own() -> None:
    # dev and staging render apps/source.yaml as written (one body, one finding); production's own
    # patch writes another invalid interval, reported where the patch writes it.
    source = platform_source("interval: 1d\n")
    patch = yaml("""
        patches:
          - patch: |
              - op: replace
                path: /spec/interval
                value: 2d
            target:
              kind: GitRepository
        """)
    files = {
        "clusters/dev/apps.yaml": kustomization(),
        "clusters/staging/apps.yaml": kustomization(),
        "clusters/production/apps.yaml": kustomization(extra=patch),
        "apps/source.yaml": source,
    }
    found = sorted((f.path, f.line, f.message.split("`")[1]) for f in findings(files, "interval/invalid"))
    assert found == [("apps/source.yaml", 7, "interval: 1d"), ("clusters/production/apps.yaml", 17, "interval: 2d")]
