"""interval/timeout-exceeds-interval: a timeout longer than the interval, or a long implicit one.

An explicit ``timeout`` above the interval is lowered to ``options.timeout``
when that fits below the interval. With ``wait: true`` or ``healthChecks`` and no
``timeout``, kustomize-controller waits the interval minus 30 s; that implicit
case is a ``Repeat``, so many children of one parent at the same interval become
one finding on the parent (``_grouping``), which has no fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.durations import format_duration, parse_duration
from checks.edits import add_sibling_fix, in_own_document, replace_value_fix
from checks.findings import Finding, Severity, drop_repeats
from checks.layout import enabled_feature_gates
from checks.model import KubeObject, bootstrap_generated
from checks.rules.base import Rule, RuleContext
from checks.rules.interval._grouping import (
    Group,
    Repeat,
    fold_repeats,
    group_advice,
    group_key,
    group_pos,
    group_subject,
    group_verb,
)
from checks.rules.interval._shared import TIMEOUT_WITH_HOURS, field_seconds, flux_objects, option_seconds

RULE = Rule(
    id="interval/timeout-exceeds-interval",
    severity=Severity.WARNING,
    summary="A timeout longer than the interval, or health checks waiting interval minus 30s",
    fixable=True,
    doc="""
        A Kustomization or HelmRelease whose `timeout` is longer than its
        `interval` can spend more than a whole period on one stuck attempt (a
        Kustomization only waits with `wait: true` or `healthChecks`; without
        them its timeout holds nothing and is not reported).
        A Kustomization with `wait: true` or `healthChecks` and no `timeout`
        waits up to its interval minus 30 s: with `interval: 1h` a stuck
        rollout fails the health checks, and the Kustomization is marked not
        Ready, only after up to 59m30s. Until then it applies no new revision
        (a fix included; unless kustomize-controller's CancelHealthCheckOnNewRevision
        feature gate is on), and Kustomizations that `dependsOn` it keep waiting
        for it to be Ready. The implicit case is reported when that wait
        exceeds `options.max_default_timeout` (10m by default).

        When `options.group_at` (5) or more Kustomizations rendered by one
        parent Kustomization wait with no `timeout` at the same interval, one
        finding goes on the parent's `spec.patches` (or its name), naming the
        count and a few of them: set `timeout` once in the patch the parent
        gives its child Kustomizations. Children at another interval keep their
        own finding; `group_at: 0` never groups.

        Fix: `timeout: 5m` (`options.timeout`) on the child; none for the group.

        Failing:
            kind: Kustomization
            spec:
              interval: 1h
              wait: true

        Passing:
            kind: Kustomization
            spec:
              interval: 1h
              wait: true
              timeout: 5m
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    cancelled = CANCEL_GATE in enabled_feature_gates(ctx.model.files)
    stuck = _STUCK_CANCELLED if cancelled else _STUCK
    blocks = "holds the Kustomization not Ready, and its dependents waiting," if cancelled else "blocks new revisions"
    suggested = str(ctx.options.get("timeout", "5m"))
    suggested_seconds = parse_duration(suggested) or 300.0
    ceiling = option_seconds(ctx, "max_default_timeout", "10m")

    def findings() -> Iterator[Finding | Repeat]:
        for obj in flux_objects(ctx):
            if obj.kind not in TIMEOUT_WITH_HOURS or bootstrap_generated(obj.path):
                continue
            interval = field_seconds(obj, "spec", "interval")
            if interval is None:
                continue
            if obj.get("spec", "timeout") is not None:
                timeout = field_seconds(obj, "spec", "timeout")
                if timeout is None or timeout <= interval or not _waits(obj):
                    continue
                pos = obj.key_pos("spec", "timeout")
                if bootstrap_generated(pos.path):
                    continue
                fix = (replace_value_fix(ctx.model, pos, "timeout", suggested)
                       if suggested_seconds <= interval else None)
                advice = (f"Lower it to `{suggested}`" if suggested_seconds <= interval
                          else "Lower it below the interval")
                yield Finding(
                    "interval/timeout-exceeds-interval", Severity.WARNING, pos.path, pos.line,
                    f"{obj.id} has `timeout: {obj.get('spec', 'timeout')}`, longer than its "
                    f"`interval: {obj.get('spec', 'interval')}`: one stuck attempt {blocks} for longer than a "
                    f"whole interval. {advice}.",
                    object=obj.id, key="spec.timeout", fix=fix,
                )
            elif obj.kind == "Kustomization":
                yield from _implicit_timeout(ctx, obj, interval, ceiling, suggested, stuck)

    def grouped(group: Group) -> Finding:
        interval = parse_duration(group.pattern) or 0.0
        pos = group_pos(group)
        return Finding(
            "interval/timeout-exceeds-interval", Severity.WARNING, pos.path, pos.line,
            f"{group_subject(group)} {group_verb(group, 'sets', 'set')} `wait: true` or `healthChecks` with no "
            f"`timeout` and {group_verb(group, 'reconciles', 'reconcile')} every {group.pattern}, so health checks "
            f"wait up to {format_duration(max(interval - 30, 30))} (interval minus 30s) before {stuck} "
            f"{group_advice(group, 'timeout', suggested)}",
            object=group.anchor.owner.id, key=group_key("spec.timeout", group),
        )

    return drop_repeats(fold_repeats(ctx, findings(), grouped))


# What kustomize-controller does while health checks wait: the reconcile holds the Kustomization (a new
# revision waits for it to end, unless the CancelHealthCheckOnNewRevision feature gate is on), and dependsOn
# lets a dependent proceed only once its dependency is Ready.
_STUCK = ("a stuck rollout fails them and the Kustomization is marked not Ready; until then it applies no new "
          "revision, and Kustomizations that depend on it keep waiting for it to be Ready.")
_STUCK_CANCELLED = ("a stuck rollout fails them and the Kustomization is marked not Ready (a new revision cancels "
                    "the wait: the CancelHealthCheckOnNewRevision feature gate is on); until then Kustomizations "
                    "that depend on it keep waiting for it to be Ready.")
CANCEL_GATE = "CancelHealthCheckOnNewRevision"


def _implicit_timeout(ctx: RuleContext, obj: KubeObject, interval: float, ceiling: float,
                      suggested: str, stuck: str = _STUCK) -> Iterator[Repeat]:
    waits = obj.get("spec", "wait") is True
    checks = obj.get("spec", "healthChecks")
    if not waits and not (isinstance(checks, list) and checks):
        return
    implied = max(interval - 30, 30)
    if implied <= ceiling:
        return
    key = "wait" if waits else "healthChecks"
    pos = obj.key_pos("spec", key)
    if bootstrap_generated(pos.path):
        return
    anchor_key = "wait" if waits else "interval"
    anchor = pos if waits else obj.key_pos("spec", "interval")
    fix = add_sibling_fix(ctx.model, anchor, anchor_key, "timeout", suggested) if in_own_document(obj, anchor) else None
    finding = Finding(
        "interval/timeout-exceeds-interval", Severity.WARNING, pos.path, pos.line,
        f"{obj.id} sets `{key}` with no `timeout`, so health checks wait up to "
        f"{format_duration(implied)} (interval {obj.get('spec', 'interval')} minus 30s) before {stuck} "
        f"Add `timeout: {suggested}`.",
        object=obj.id, key="spec.timeout", fix=fix,
    )
    yield Repeat(obj, finding, str(obj.get("spec", "interval")))


def _waits(obj: KubeObject) -> bool:
    """Whether the timeout bounds a wait: Helm actions wait for the release's resources (unless
    ``disableWait``), a Kustomization only with ``wait: true`` or ``healthChecks``; without them its
    apply returns at once and a long timeout holds nothing."""
    if obj.kind != "Kustomization":
        return True
    checks = obj.get("spec", "healthChecks")
    return obj.get("spec", "wait") is True or (isinstance(checks, list) and bool(checks))

