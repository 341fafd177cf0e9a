"""source/wildcard-alert: an Alert following every object of a kind in every namespace (`name: '*'`, `namespace: '*'`).

The namespace wildcard is an opt-in of notification-controller and is
denied under ``--no-cross-namespace-refs``, where such an Alert silently
matches nothing. Option ``min_kinds`` reports only Alerts whose
all-namespace wildcards cover at least that many kinds.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity, merge_repeats
from checks.model import KubeObject
from checks.rules.base import Rule, RuleContext
from checks.rules.source._shared import checked_objects

RULE = Rule(
    id="source/wildcard-alert",
    severity=Severity.INFO,
    summary="An Alert event source with name: '*' across all namespaces",
    fixable=False,
    needs_base=False,
    doc="""
        An event source with both `name: '*'` and `namespace: '*'` forwards the
        events of every object of that kind in the whole cluster, including
        objects other teams add later. The namespace wildcard is an opt-in of
        notification-controller and is denied when cross-namespace references
        are disabled, in which case the Alert silently matches nothing.

        `name: '*'` within one namespace (the Alert's own, or a named one) is
        the usual pattern and is not reported; neither is a wildcard narrowed
        with `matchLabels`. Option `min_kinds` (default 1): report only Alerts
        whose all-namespace wildcards cover at least that many kinds.

        Failing:
            eventSources:
              - kind: Kustomization
                name: '*'
                namespace: '*'

        Passing:
            eventSources:
              - kind: Kustomization
                name: '*'
              - kind: HelmRelease
                name: '*'
                namespace: apps
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_wildcard_alerts(ctx))


def _wildcard_alerts(ctx: RuleContext) -> Iterator[Finding]:
    minimum = int(ctx.options.get("min_kinds", 1))
    for obj in checked_objects(ctx.model):
        if obj.kind != "Alert" or not obj.is_flux:
            continue
        kinds = _wildcard_kinds(obj)
        if not kinds or len(kinds) < minimum:
            continue
        pos = obj.key_pos("spec", "eventSources")
        yield Finding(
            "source/wildcard-alert", Severity.INFO, pos.path, pos.line,
            f"{obj.id} follows every {', '.join(kinds)} of every namespace (`name: '*'` with `namespace: '*'`): "
            "each new object of any team alerts without review, and the wildcard namespace works only where "
            "notification-controller allows it (never under `--no-cross-namespace-refs`). Prefer explicit "
            "namespaces and names, or `matchLabels`.",
            object=obj.id, key="spec.eventSources")


def _wildcard_kinds(obj: KubeObject) -> list[str]:
    """Kinds an Alert follows for every object of every namespace (`name: '*'`, `namespace: '*'`)."""
    sources = obj.get("spec", "eventSources")
    if not isinstance(sources, list):
        return []
    return sorted({str(s.get("kind") or "?") for s in sources
                   if isinstance(s, dict) and s.get("name") == "*" and s.get("namespace") == "*"
                   and not s.get("matchLabels")})
