"""interval/too-short: an interval below the configured minimum for its kind.

A HelmRelease's ``spec.chart.spec.interval`` is the interval of the HelmChart
helm-controller makes for it, so it is held to the HelmChart minimum. Files
``flux bootstrap`` writes (gotk-sync.yaml) are checked like any other: the
generated intervals (1m0s, 10m0s) meet the default minimum, so what is found
there is a user's edit.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.config import DEFAULT_MINIMUM_INTERVALS, DEFAULT_RECOMMENDED_INTERVALS
from checks.durations import parse_duration
from checks.edits import replace_value_fix
from checks.findings import Finding, Severity, drop_repeats
from checks.model import KubeObject
from checks.rules.base import Rule, RuleContext
from checks.rules.interval._shared import field_seconds, flux_bodies, interval_table
from checks.yaml_docs import Pos

RULE = Rule(
    id="interval/too-short",
    severity=Severity.WARNING,
    summary="An interval below the configured minimum for its kind",
    fixable=True,
    doc="""
        Each reconciliation costs API calls to the cluster and to the source
        (Git host, registry, chart repository); very short intervals lead to
        throttling and rate limits, and Flux's own docs ask for at least 60 s on
        Kustomizations. The minimum defaults to 1m for every kind; set
        `intervals.minimum` (or the rule's `options.minimum`) per kind.

        Fix: the kind's recommended interval (GitRepository and OCIRepository
        10m, HelmRepository 30m, Kustomization 10m, HelmRelease 15m; configurable
        under `intervals.recommended`).

        Failing:
            kind: OCIRepository
            spec:
              interval: 30s

        Passing:
            kind: OCIRepository
            spec:
              interval: 10m
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    minimum = interval_table(ctx, "minimum", ctx.config.minimum_intervals, DEFAULT_MINIMUM_INTERVALS)
    recommended = interval_table(ctx, "recommended", ctx.config.recommended_intervals, DEFAULT_RECOMMENDED_INTERVALS)

    floors = {kind: parse_duration(value) for kind, value in minimum.items()}  # read once, not per object

    def findings() -> Iterator[Finding]:
        for obj in flux_bodies(ctx):  # body-only verdicts, repeats dropped
            fields = [(("spec", "interval"), obj.kind)]
            if obj.kind == "HelmRelease":
                fields.append((("spec", "chart", "spec", "interval"), "HelmChart"))
            for path, kind in fields:
                if kind not in minimum:
                    continue
                seconds = field_seconds(obj, *path)
                floor = floors[kind]
                if seconds is None or floor is None or seconds >= floor:
                    continue
                yield _too_short(ctx, obj, path, kind, minimum[kind], recommended.get(kind), obj.key_pos(*path))

    return drop_repeats(findings())


def _too_short(ctx: RuleContext, obj: KubeObject, path: tuple[str, ...], kind: str, floor: str,
               advised: str | None, pos: Pos) -> Finding:
    value = obj.get(*path)
    field = ".".join(path[1:])
    subject = "reconciles" if len(path) == 2 else "checks its chart"
    advice = f", recommended {advised}" if advised else ""
    what = "" if kind == obj.kind else f" (`{field}`, the interval of its {kind})"
    fix = replace_value_fix(ctx.model, pos, path[-1], advised) if advised else None
    return Finding(
        "interval/too-short", Severity.WARNING, pos.path, pos.line,
        f"{obj.id} {subject} every {value}{what}; minimum {floor}{advice}. Short intervals spend API "
        "calls and risk rate limits for little gain: changes are picked up by webhooks or "
        "`flux reconcile` anyway.",
        object=obj.id, key=field, fix=fix,
    )
