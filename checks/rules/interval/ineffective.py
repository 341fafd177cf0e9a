"""interval/ineffective: an interval Flux ignores (an OCI HelmRepository's, a v1beta3 Provider's).

An OCI HelmRepository is only a holder of URL and credentials: nothing polls it.
notification.toolkit v1beta1 and v1beta2 Providers still read ``interval``;
v1beta3 deprecated it as unused, so only v1beta3 and later are reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.edits import delete_line_fix, in_own_document
from checks.findings import Finding, Severity, drop_repeats
from checks.model import bootstrap_generated
from checks.rules.base import Rule, RuleContext
from checks.rules.interval._shared import flux_bodies

RULE = Rule(
    id="interval/ineffective",
    severity=Severity.INFO,
    summary="An interval Flux ignores (OCI HelmRepository, Provider)",
    fixable=True,
    doc="""
        A HelmRepository of `type: oci` produces no artifact and is not polled;
        how often a chart version is checked is the HelmRelease's (or
        HelmChart's) interval. A notification Provider (v1beta3) is not
        reconciled periodically either. The line only misleads readers.

        Fix: delete the line.

        Failing:
            kind: HelmRepository
            spec:
              type: oci
              interval: 5m
              url: oci://ghcr.io/org/charts

        Passing:
            kind: HelmRepository
            spec:
              type: oci
              url: oci://ghcr.io/org/charts
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for obj in flux_bodies(ctx):  # body-only verdicts, repeats dropped
            if obj.get("spec", "interval") is None or bootstrap_generated(obj.path):
                continue
            if obj.kind == "HelmRepository" and obj.get("spec", "type") == "oci":
                why = ("an OCI HelmRepository is only a holder of URL and credentials: nothing polls it, "
                       "the HelmRelease's chart (or HelmChart) interval decides when a new version is pulled")
            elif obj.kind == "Provider" and obj.api_version not in PROVIDER_INTERVAL_USED:
                why = f"{obj.api_version} Providers are not reconciled periodically (the field is deprecated)"
            else:
                continue
            pos = obj.key_pos("spec", "interval")
            if bootstrap_generated(pos.path):
                continue
            fix = delete_line_fix(ctx.model, pos, "interval") if in_own_document(obj, pos) else None
            yield Finding(
                "interval/ineffective", Severity.INFO, pos.path, pos.line,
                f"{obj.id} sets `interval: {obj.get('spec', 'interval')}`, which Flux does not use: {why}. "
                "Delete the line.",
                object=obj.id, key="spec.interval", fix=fix,
            )

    return drop_repeats(findings())


# Provider API versions where `interval` was still read (v1beta3 deprecated it as unused).
PROVIDER_INTERVAL_USED = frozenset(("notification.toolkit.fluxcd.io/v1beta1",
                                    "notification.toolkit.fluxcd.io/v1beta2"))
