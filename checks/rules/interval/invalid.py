"""interval/invalid: an interval, retryInterval or timeout that is not a duration Flux's CRDs accept.

The CRDs narrow Go durations to ``^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$`` (no days, no
spaces, a string), and the timeouts of source-controller and image-reflector kinds
follow a pattern without hours. The API server rejects the whole object, so the
Kustomization that applies it fails. ``${...}`` values are left to substitution.
The fix writes the same duration in units the field accepts, and is offered only
when the value can be read as a duration at all (a bare number has no unit to guess).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.durations import format_duration, is_flux_duration, parse_duration, parse_friendly
from checks.edits import replace_value_fix
from checks.findings import Finding, Severity, drop_repeats
from checks.model import KubeObject
from checks.rules.base import Rule, RuleContext
from checks.rules.interval._shared import REQUIRES_INTERVAL, TIMEOUT_WITH_HOURS, flux_bodies, substituted
from checks.yaml_docs import Pos

RULE = Rule(
    id="interval/invalid",
    severity=Severity.ERROR,
    summary="An interval, retryInterval or timeout that is not a Go duration Flux accepts",
    fixable=True,
    doc="""
        Flux durations are Go durations restricted by the CRDs to
        `^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$`: there is no day or week unit, no
        space, and the value must be a string. Source and image-scan timeouts
        accept no hours at all. The API server rejects the whole object, so the
        Kustomization that applies it fails. Checked on `spec.interval`,
        `spec.retryInterval`, `spec.timeout` and a HelmRelease's
        `spec.chart.spec.interval`; `${VAR}` values are left to substitution.

        Fix: the same duration in hours (`1d` becomes `24h`).

        Failing:
            kind: Kustomization
            spec:
              interval: 1d

        Passing:
            kind: Kustomization
            spec:
              interval: 24h
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for obj in flux_bodies(ctx):  # body-only verdicts, repeats dropped
            for path, hours in _duration_fields(obj):
                value = obj.get(*path)
                if value is None or substituted(value) or (isinstance(value, str) and is_flux_duration(value, hours)):
                    continue  # unset, left to postBuild, or valid: where it was written is needed only if not
                field = ".".join(path[1:])
                yield _invalid_finding(ctx, obj, path, field, value, obj.key_pos(*path), hours)

    return drop_repeats(findings())


def _duration_fields(obj: KubeObject) -> list[tuple[tuple[str, ...], bool]]:
    """The duration fields of an object's kind, each with whether the CRD accepts hours."""
    fields: list[tuple[tuple[str, ...], bool]] = []
    if obj.kind in HAS_INTERVAL:
        fields.append((("spec", "interval"), True))
    if obj.kind == "Kustomization":
        fields.append((("spec", "retryInterval"), True))
    if obj.kind == "HelmRelease":
        fields.append((("spec", "chart", "spec", "interval"), True))
    if obj.kind in TIMEOUT_WITH_HOURS:
        fields.append((("spec", "timeout"), True))
    elif obj.kind in TIMEOUT_WITHOUT_HOURS:
        fields.append((("spec", "timeout"), False))
    return fields


def _invalid_finding(ctx: RuleContext, obj: KubeObject, path: tuple[str, ...], field: str, value: Any,
                     pos: Pos, hours: bool) -> Finding:
    written = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
    units = "units ms, s, m, h" if hours else "units ms, s, m; no hours for this timeout"
    seconds = None
    if isinstance(value, str):
        seconds = parse_duration(value)
        if seconds is None:
            seconds = parse_friendly(value)
    replacement = None
    if seconds is not None and seconds > 0:
        replacement = format_duration(seconds)
        if not hours and "h" in replacement:
            replacement = _without_hours(seconds)
    if isinstance(value, str):
        what = f"`{field}: {written}` is not a duration Flux accepts ({units})"
    else:
        kind = "a number" if isinstance(value, int | float) and not isinstance(value, bool) else "not text"
        what = f"`{field}: {written}` is {kind}, not a duration with a unit"
    advice = f" Use `{replacement}`." if replacement else " Write it with a unit, for example `10m`."
    fix = replace_value_fix(ctx.model, pos, path[-1], replacement) if replacement else None
    return Finding(
        "interval/invalid", Severity.ERROR, pos.path, pos.line,
        f"{obj.id}: {what}; the API server rejects the object.{advice}",
        object=obj.id, key=field, fix=fix,
    )


def _without_hours(seconds: float) -> str:
    minutes, rest = divmod(round(seconds * 1000), 60_000)
    return f"{minutes}m" + (format_duration(rest / 1000) if rest else "")


# Kinds with a `spec.interval` field at all (required or not).
HAS_INTERVAL = REQUIRES_INTERVAL | {"HelmRepository", "Receiver", "Provider", "ImagePolicy"}
# Timeouts of these kinds follow a pattern without hours (source-controller, image-reflector).
TIMEOUT_WITHOUT_HOURS = frozenset(("GitRepository", "OCIRepository", "HelmRepository", "Bucket",
                                   "ImageRepository"))
