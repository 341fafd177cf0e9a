"""structure/release-identity-change: a change of a HelmRelease's release name, namespace, storage
namespace or chart, which makes helm-controller uninstall the release and install a new one.

helm-controller identifies the release it manages by release name, release
namespace (``targetNamespace``, else the HelmRelease's own), storage namespace
and chart name; the default release name is ``[targetNamespace-]name``, so
adding a targetNamespace renames the release too. Only reported in a review:
each HelmRelease of the head (per cluster, and unrendered ones) is compared
with the same one at the base of the change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from checks.findings import Finding, Severity
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import name_pos
from checks.substitution import has_placeholder
from checks.yaml_docs import Pos

RULE = Rule(
    id="structure/release-identity-change",
    severity=Severity.ERROR,
    summary="A change of a HelmRelease's release name, namespace, storage namespace or chart",
    needs_base=True,
    doc="""
        helm-controller identifies the Helm release it manages by release name,
        release namespace (`targetNamespace`, else the HelmRelease's own),
        storage namespace and chart name. When a change alters any of them, it
        uninstalls the old release (deleting the objects its chart created, the
        PersistentVolumeClaims it templates included) and installs a new one. The default release name
        is `[targetNamespace-]name`, so adding a targetNamespace renames the
        release too. Only reported in a review, against the base of the change.

        Failing (the pull request changes):
            spec:
              chart:
                spec:
                  chart: podinfo      # was: podinfo-legacy

        Passing: keep the chart name; pin `releaseName` to the old name when
        moving a release to a targetNamespace is not the intent.
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    if ctx.previous is None:
        return
    base = _helm_releases(ctx.previous)
    seen: set[tuple[str, int, str]] = set()
    for key, obj in _helm_releases(ctx.model).items():
        before = base.get(key)
        if before is None:
            continue
        for finding in _identity_changes(before, obj):
            if (finding.path, finding.line, finding.message) not in seen:
                seen.add((finding.path, finding.line, finding.message))
                yield finding


def _helm_releases(model: RepoModel) -> dict[tuple[str | None, str], KubeObject]:
    """HelmReleases by cluster and id (unrendered ones under no cluster)."""
    releases: dict[tuple[str | None, str], KubeObject] = {}
    for cluster in model.clusters:
        for obj in cluster.objects:
            if obj.kind == "HelmRelease" and obj.is_flux and not obj.implicit:
                releases.setdefault((cluster.name, obj.id), obj)
    for obj in model.unrendered_objects():
        if obj.kind == "HelmRelease" and obj.is_flux:
            releases.setdefault((None, obj.id), obj)
    return releases


@dataclass(frozen=True)
class _Identity:
    """What helm-controller compares to decide a release is a different release."""

    release_name: str
    release_namespace: str
    storage_namespace: str
    chart: str | None
    explicit_name: bool


def _identity(obj: KubeObject) -> _Identity | None:
    spec = obj.spec
    values = [spec.get(k) for k in ("releaseName", "targetNamespace", "storageNamespace")]
    values.append(obj.get("spec", "chart", "spec", "chart"))
    if any(isinstance(v, str) and has_placeholder(v) for v in values):
        return None  # substituted: the effective value is not in the repository
    release_name, target, storage, chart = (str(v) if v not in (None, "") else None for v in values)
    namespace = obj.namespace or "default"
    name = release_name or (f"{target}-{obj.name}" if target else obj.name)
    return _Identity(name, target or namespace, storage or namespace, chart, release_name is not None)


def _identity_changes(before: KubeObject, after: KubeObject) -> Iterator[Finding]:
    old, new = _identity(before), _identity(after)
    if old is None or new is None:
        return
    reinstall = (f"helm-controller uninstalls the release `{old.release_name}`, deleting the objects its chart "
                 f"created, and installs `{new.release_name}` from scratch")
    changes = []
    if old.release_namespace != new.release_namespace:
        changes.append(("targetNamespace", "spec.targetNamespace", old.release_namespace, new.release_namespace))
    if old.release_name != new.release_name and (old.explicit_name or new.explicit_name
                                                 or old.release_namespace == new.release_namespace):
        changes.append(("releaseName", "spec.releaseName", old.release_name, new.release_name))
    if old.storage_namespace != new.storage_namespace:
        changes.append(("storageNamespace", "spec.storageNamespace", old.storage_namespace,
                        new.storage_namespace))
    if old.chart and new.chart and old.chart != new.chart:
        changes.append(("chart", "spec.chart.spec.chart", old.chart, new.chart))
    for name, field, was, now in changes:
        pos = _identity_pos(after, name)
        yield Finding(
            "structure/release-identity-change", Severity.ERROR, pos.path, pos.line,
            f"{after.id} changes its {_identity_label(name)} from `{was}` to `{now}`: {reinstall}. If a "
            f"fresh install is not intended, keep `{was}`.",
            object=after.id, key=field)


def _identity_label(name: str) -> str:
    return {"targetNamespace": "release namespace (`spec.targetNamespace`)",
            "releaseName": "release name (`spec.releaseName`)",
            "storageNamespace": "storage namespace (`spec.storageNamespace`)",
            "chart": "chart (`spec.chart.spec.chart`)"}[name]


def _identity_pos(obj: KubeObject, name: str) -> Pos:
    path = ("spec", "chart", "spec", "chart") if name == "chart" else ("spec", name)
    if obj.get(*path) is not None:
        return obj.key_pos(*path)
    if name == "releaseName" and obj.get("spec", "targetNamespace") is not None:
        return obj.key_pos("spec", "targetNamespace")
    return name_pos(obj)
