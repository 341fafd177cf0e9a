"""source/chart-exclusive: a HelmRelease that sets both or neither of `spec.chart` and `spec.chartRef`.

helm.toolkit.fluxcd.io/v2 requires exactly one of them. Parent patches are
applied before the check (the rendered objects are read); "neither" is only
reported for rendered HelmReleases, since a patch file holds part of one on
purpose.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity, merge_repeats
from checks.rules.base import Rule, RuleContext
from checks.rules.source._shared import checked_objects

RULE = Rule(
    id="source/chart-exclusive",
    severity=Severity.ERROR,
    summary="A HelmRelease sets both or neither of chart and chartRef",
    fixable=False,
    needs_base=False,
    doc="""
        helm.toolkit.fluxcd.io/v2 requires exactly one of `spec.chart` (a chart
        template Flux turns into a HelmChart) and `spec.chartRef` (an existing
        OCIRepository, HelmChart or ExternalArtifact). Parent patches are applied
        before the check; "neither" is only reported for rendered HelmReleases
        (a patch file holds part of one on purpose).

        Failing:
            spec:
              chart:
                spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}
              chartRef:
                kind: OCIRepository
                name: podinfo

        Passing:
            spec:
              chartRef:
                kind: OCIRepository
                name: podinfo
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_chart_exclusive(ctx))


def _chart_exclusive(ctx: RuleContext) -> Iterator[Finding]:
    rendered = ctx.model.rendered_files
    for obj in checked_objects(ctx.model):
        if obj.kind != "HelmRelease" or not obj.is_flux or obj.implicit:
            continue
        has_chart = obj.get("spec", "chart") not in (None, {}, "")
        has_ref = obj.get("spec", "chartRef") not in (None, {}, "")
        if has_chart and has_ref:
            pos = obj.key_pos("spec", "chartRef")
            yield Finding(
                "source/chart-exclusive", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} sets both `spec.chart` and `spec.chartRef`; the API server rejects a HelmRelease "
                "with both. Keep one.",
                object=obj.id, key="spec.chart")
        elif not has_chart and not has_ref and obj.path in rendered and isinstance(obj.get("spec"), dict):
            pos = obj.key_pos("spec")
            yield Finding(
                "source/chart-exclusive", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} has neither `spec.chart` nor `spec.chartRef`: it names no chart, and the API "
                "server rejects it. Add `chartRef` (an OCIRepository or HelmChart) or `chart.spec`.",
                object=obj.id, key="spec.chart")
