"""What several interval rules read the same way: Flux objects, literal durations, option tables.

Every rule of the group reads only Flux kinds (a ServiceMonitor's ``interval`` is
not a Flux interval) and leaves ``${...}`` values to postBuild substitution, so
those two decisions live here once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.durations import is_flux_duration, parse_duration
from checks.model import KubeObject
from checks.rules.base import RuleContext

# Kinds whose CRD marks `spec.interval` as required (Flux v1/v2 APIs, and their betas).
REQUIRES_INTERVAL = frozenset((
    "GitRepository", "OCIRepository", "Bucket", "HelmChart", "Kustomization", "HelmRelease",
    "ImageRepository", "ImageUpdateAutomation",
))
# Timeouts of these kinds follow a pattern with hours (kustomize-controller, helm-controller).
TIMEOUT_WITH_HOURS = frozenset(("Kustomization", "HelmRelease"))
# Kinds whose reconcile failures are retried after `retryInterval` (else after `interval`).
RETRYING_KINDS = frozenset(("Kustomization",))


def flux_objects(ctx: RuleContext) -> Iterator[KubeObject]:
    """Flux objects of every cluster as rendered (and as written in a repository another one applies).

    Listed once per model: every interval rule walks them.
    """
    found = ctx.model.memo.get("interval_flux_objects")
    if found is None:
        found = ctx.model.memo["interval_flux_objects"] = [
            obj for obj in ctx.model.applied_objects() if obj.is_flux and not obj.implicit]
    return iter(found)


def flux_bodies(ctx: RuleContext) -> Iterator[KubeObject]:
    """``flux_objects``, the first object of each body only.

    Clusters that render one document unpatched share its body. For a rule whose verdict
    reads the body alone and whose findings ``drop_repeats`` (the same line, the same key),
    every later object of that body repeats the first one's findings: not judged again.
    """
    found = ctx.model.memo.get("interval_flux_bodies")
    if found is None:
        firsts: dict[int, KubeObject] = {}
        for obj in flux_objects(ctx):
            firsts.setdefault(id(obj.body), obj)  # the model keeps every body alive: ids stay theirs
        found = ctx.model.memo["interval_flux_bodies"] = list(firsts.values())
    return iter(found)


def substituted(value: Any) -> bool:
    """True for a value postBuild substitution decides (it holds ``${``): not ours to judge."""
    return isinstance(value, str) and "${" in value


def field_seconds(obj: KubeObject, *path: str) -> float | None:
    """A duration field in seconds, when it is set, literal and a duration Flux accepts."""
    value = obj.get(*path)
    if not isinstance(value, str) or substituted(value) or not is_flux_duration(value):
        return None
    return parse_duration(value)


def interval_table(ctx: RuleContext, option: str, configured: dict[str, str],
                   defaults: dict[str, str]) -> dict[str, str]:
    """A per-kind table of durations: the defaults, then the configuration, then the rule's own option."""
    table = dict(defaults)
    table.update(configured)
    extra = ctx.options.get(option)
    if isinstance(extra, dict):
        table.update({str(k): str(v) for k, v in extra.items()})
    return table


def option_seconds(ctx: RuleContext, name: str, default: str) -> float:
    """A duration option of the rule in seconds; the default when it is unset or not a duration."""
    value = ctx.options.get(name)
    seconds = parse_duration(str(value)) if value is not None else None
    return seconds if seconds is not None else (parse_duration(default) or 0.0)
