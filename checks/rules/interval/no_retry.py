"""interval/no-retry: a long-interval Kustomization with no retryInterval retries once per interval.

Each child is a ``Repeat``: many children of one parent at the same interval
become one finding on the parent (``_grouping``). The grouped fix adds the line to
the parent's patch for its children, which replaces what each reached
Kustomization says, so it is offered only when none sets its own
``retryInterval`` and none reconciles more often than the retry.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.durations import parse_duration
from checks.edits import add_sibling_fix, in_own_document
from checks.findings import Finding, Severity, drop_repeats
from checks.model import bootstrap_generated
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
    patch_spec_fix,
)
from checks.rules.interval._shared import RETRYING_KINDS, field_seconds, flux_objects, option_seconds

RULE = Rule(
    id="interval/no-retry",
    severity=Severity.INFO,
    summary="A long-interval Kustomization without retryInterval retries failures once per interval",
    fixable=True,
    doc="""
        When a Kustomization fails (a transient API error, a webhook not ready
        yet, a dependency that became ready a minute later), kustomize-controller
        tries again after `retryInterval`, which defaults to `interval`. With an
        interval of 30m or more (`options.threshold`) that leaves the cluster
        broken for a long time.

        When `options.group_at` (5) or more Kustomizations rendered by one
        parent Kustomization lack it at the same interval, one finding goes on
        the parent's `spec.patches` (or its name), naming the count and a few
        of them: set `retryInterval` once in the patch the parent gives its
        child Kustomizations (nested patches included: the finding goes to the
        Kustomization whose file holds the patch). Children at another interval
        keep their own finding; `group_at: 0` never groups.

        Fix: `retryInterval: 2m` (`options.retry_interval`) beside the child's
        interval; for a group, the same line under `spec:` of the parent's
        existing patch for Kustomizations, offered only when no Kustomization
        that patch reaches sets its own `retryInterval` or reconciles more often.

        Failing:
            kind: Kustomization
            spec:
              interval: 1h

        Passing:
            kind: Kustomization
            spec:
              interval: 1h
              retryInterval: 2m
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    threshold = option_seconds(ctx, "threshold", "30m")
    retry = str(ctx.options.get("retry_interval", "2m"))
    retry_seconds = parse_duration(retry)

    def findings() -> Iterator[Repeat]:
        for obj in flux_objects(ctx):
            if obj.kind not in RETRYING_KINDS or bootstrap_generated(obj.path):
                continue
            interval = field_seconds(obj, "spec", "interval")
            if interval is None or interval < threshold or obj.get("spec", "retryInterval") is not None:
                continue
            pos = obj.key_pos("spec", "interval")
            if bootstrap_generated(pos.path):
                continue
            fix = (add_sibling_fix(ctx.model, pos, "interval", "retryInterval", retry)
                   if in_own_document(obj, pos) else None)
            yield Repeat(obj, Finding(
                "interval/no-retry", Severity.INFO, pos.path, pos.line,
                f"{obj.id} reconciles every {obj.get('spec', 'interval')} and has no `retryInterval`, "
                f"so a failed apply is retried only after another {obj.get('spec', 'interval')}. "
                f"Add `retryInterval: {retry}`.",
                object=obj.id, key="spec.retryInterval", fix=fix,
            ), str(obj.get("spec", "interval")))

    def grouped(group: Group) -> Finding:
        pos = group_pos(group)
        # The patch replaces whatever the reached Kustomizations say: only fix when none sets its own
        # retryInterval and none reconciles more often than the retry (retry-exceeds-interval).
        safe = retry_seconds is not None and all(
            k.get("spec", "retryInterval") is None and (field_seconds(k, "spec", "interval") or 0.0) >= retry_seconds
            for k in group.reached)
        return Finding(
            "interval/no-retry", Severity.INFO, pos.path, pos.line,
            f"{group_subject(group)} {group_verb(group, 'reconciles', 'reconcile')} every {group.pattern} with no "
            f"`retryInterval`, so a failed apply is retried only after another {group.pattern}. "
            f"{group_advice(group, 'retryInterval', retry)}",
            object=group.anchor.owner.id, key=group_key("spec.retryInterval", group),
            fix=patch_spec_fix(ctx, group.anchor, "retryInterval", retry) if safe else None,
        )

    return drop_repeats(fold_repeats(ctx, findings(), grouped))
