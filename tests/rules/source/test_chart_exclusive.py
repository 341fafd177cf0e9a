"""source/chart-exclusive: a HelmRelease names its chart exactly once."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import flux_object as obj
from rule_support import helm_release, kustomization

APPS = kustomization()
HELM_REPO = obj("HelmRepository", "podinfo", "interval: 30m\nurl: https://stefanprodan.github.io/podinfo\n")


def release(source: str, namespace: str = "default", version: str | None = "1.2.3") -> str:
    """The HelmRelease podinfo of the chart podinfo from the HelmRepository ``source`` in flux-system."""
    return helm_release("podinfo", namespace, version=None if version is None else f'"{version}"', source=source,
                        source_namespace="flux-system")


def test_both_chart_and_chart_ref_is_reported() -> None:
    both = release("podinfo", "flux-system").replace("  values", "") + "  chartRef:\n    kind: OCIRepository\n" \
        "    name: podinfo\n"
    found = run({"clusters/prod/release.yaml": both, "clusters/prod/repo.yaml": HELM_REPO},
                "source/chart-exclusive")
    assert len(found) == 1 and "both" in found[0].message


def test_neither_is_reported_only_for_rendered_releases() -> None:
    neither = obj("HelmRelease", "podinfo", "interval: 15m\nvalues:\n  replicas: 2\n", "default")
    found = run({"clusters/prod/apps.yaml": APPS, "apps/release.yaml": neither}, "source/chart-exclusive")
    assert len(found) == 1 and "neither" in found[0].message
    assert run({"overlays/patch.yaml": neither}, "source/chart-exclusive") == []


def test_chart_or_chart_ref_alone_passes() -> None:
    chart_ref = obj("HelmRelease", "ref", "interval: 15m\nchartRef:\n  kind: OCIRepository\n  name: podinfo\n")
    files = {"clusters/prod/release.yaml": release("podinfo", "flux-system"), "clusters/prod/repo.yaml": HELM_REPO,
             "clusters/prod/ref.yaml": chart_ref}
    assert run(files, "source/chart-exclusive") == []
