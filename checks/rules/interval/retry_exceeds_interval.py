"""interval/retry-exceeds-interval: a Kustomization that retries failures less often than it reconciles.

``retryInterval`` is only read by kustomize-controller; a value longer than the
interval is almost always a swapped pair, so no fix guesses which one was meant.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity, drop_repeats
from checks.model import bootstrap_generated
from checks.rules.base import Rule, RuleContext
from checks.rules.interval._shared import RETRYING_KINDS, field_seconds, flux_bodies

RULE = Rule(
    id="interval/retry-exceeds-interval",
    severity=Severity.WARNING,
    summary="A Kustomization's retryInterval is longer than its interval",
    doc="""
        `retryInterval` is how soon kustomize-controller tries again after a
        failure; it exists to be shorter than `interval`. A longer one makes a
        failed Kustomization wait longer than a healthy one, which is almost
        always a swapped pair of values.

        Failing:
            kind: Kustomization
            spec:
              interval: 5m
              retryInterval: 1h

        Passing:
            kind: Kustomization
            spec:
              interval: 1h
              retryInterval: 5m
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for obj in flux_bodies(ctx):  # body-only verdicts, repeats dropped
            if obj.kind not in RETRYING_KINDS or bootstrap_generated(obj.path):
                continue
            interval = field_seconds(obj, "spec", "interval")
            retry = field_seconds(obj, "spec", "retryInterval")
            if interval is None or retry is None or retry <= interval:
                continue
            pos = obj.key_pos("spec", "retryInterval")
            yield Finding(
                "interval/retry-exceeds-interval", Severity.WARNING, pos.path, pos.line,
                f"{obj.id} retries failures every {obj.get('spec', 'retryInterval')}, less often than it "
                f"reconciles (`interval: {obj.get('spec', 'interval')}`): a failed attempt waits longer "
                "than a healthy one. Make `retryInterval` shorter than `interval`.",
                object=obj.id, key="spec.retryInterval",
            )

    return drop_repeats(findings())
