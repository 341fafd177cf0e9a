"""dependency/deleted-target: the change deletes or renames an object that others still reference.

Reviews only (``needs_base``): a reference that resolved at the base of the
change and no longer resolves at its head is reported on the untouched
referencing object, because the change to look at is elsewhere. Besides
``dependsOn`` this follows the references whose target going missing stops
a Flux object (``_REFERENCE_FIELDS``). A target that never existed is
dependency/missing-target's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from checks.findings import Finding, Severity, drop_repeats
from checks.model import KubeObject, field_path, object_id
from checks.repo import Cluster
from checks.rules.base import Rule, RuleContext
from checks.rules.dependency._shared import base_cluster, dependencies

RULE = Rule(
    id="dependency/deleted-target",
    severity=Severity.ERROR,
    summary="The change deletes or renames an object that others still depend on or reference",
    needs_base=True,
    doc="""
        Reviews only. When a change deletes or renames a Kustomization,
        HelmRelease, source or Provider, the objects still naming it
        (`dependsOn`, `sourceRef`, `chartRef`, `chart.spec.sourceRef`, an
        Alert's `providerRef`, an ImagePolicy's `imageRepositoryRef`) break once
        it merges, though their own files are untouched. The finding sits on each
        such reference, so the review shows every place to update.

        Failing (the change renames GitRepository `platform` to `platform-repo`):
            kind: Kustomization
            spec:
              sourceRef:
                kind: GitRepository
                name: platform

        Passing: the same change also updates `sourceRef.name: platform-repo`.
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for cluster in ctx.model.clusters:
            base = base_cluster(ctx, cluster.name)
            if base is None:
                continue
            for obj in cluster.objects:
                for ref in references(obj):
                    if cluster.find(ref.kind, ref.namespace, ref.name):
                        continue
                    before = [o for o in base.find(ref.kind, ref.namespace, ref.name) if not o.implicit]
                    if not before:
                        continue
                    yield _deleted_target(ctx, ref, before[0], cluster, base)

    return drop_repeats(findings())


@dataclass(frozen=True)
class Reference:
    """A field of an object that names another object, and what breaks without it."""

    obj: KubeObject
    field: tuple[str | int, ...]
    kind: str
    namespace: str
    name: str
    what: str
    consequence: str

    @property
    def target_id(self) -> str:
        return object_id(self.kind, self.namespace, self.name)

    @property
    def label(self) -> str:
        return field_path(self.field[1:])


_SOURCE_FAILS = "its reconciliation fails with the source not found"
# Per kind: the reference field, the target's kind when the field has none, what the object does with it
# and what breaks without it.
_REFERENCE_FIELDS: dict[str, list[tuple[tuple[str, ...], str, str, str]]] = {
    "Kustomization": [(("spec", "sourceRef"), "GitRepository", "reads its source from", _SOURCE_FAILS)],
    "HelmRelease": [(("spec", "chartRef"), "", "takes its chart from", _SOURCE_FAILS),
                    (("spec", "chart", "spec", "sourceRef"), "", "takes its chart from", _SOURCE_FAILS)],
    "HelmChart": [(("spec", "sourceRef"), "", "takes its chart from", _SOURCE_FAILS)],
    "ImageUpdateAutomation": [(("spec", "sourceRef"), "GitRepository", "writes to", _SOURCE_FAILS)],
    "ImagePolicy": [(("spec", "imageRepositoryRef"), "ImageRepository", "reads tags from",
                     "it stops selecting images")],
    "Alert": [(("spec", "providerRef"), "Provider", "sends to", "its notifications stop")],
}


def references(obj: KubeObject) -> list[Reference]:
    """The objects a Flux object needs: dependsOn, sources, chart references, Alert providers."""
    if not obj.is_flux or obj.implicit:
        return []
    found = [Reference(obj, dep.path, dep.kind, dep.namespace, dep.name, "depends on",
                       "it waits for it forever and is never applied") for dep in dependencies(obj)]
    own = obj.namespace or ""
    for field, default_kind, what, consequence in _REFERENCE_FIELDS.get(obj.kind, []):
        ref = obj.get(*field)
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
            continue
        kind = str(ref.get("kind") or default_kind)
        # An Alert's providerRef is local: it has no namespace field.
        namespace = own if obj.kind == "Alert" else str(ref.get("namespace") or own)
        if not kind or "${" in ref["name"] or "${" in namespace:
            continue
        found.append(Reference(obj, field, kind, namespace, ref["name"], what, consequence))
    return found


def _deleted_target(ctx: RuleContext, ref: Reference, old: KubeObject, cluster: Cluster,
                    base: Cluster) -> Finding:
    obj = ref.obj
    pos = obj.key_pos(*ref.field, "name") if isinstance(obj.get(*ref.field), dict) else obj.key_pos(*ref.field)
    renamed = _renamed_to(old, cluster, base, obj)
    if renamed is not None:
        change = f"which this change renames to {renamed.id}"
        advice = f"Point `{ref.label}` at `{renamed.name}`."
    else:
        change = "which this change deletes"
        advice = f"Restore {old.kind} {ref.name}, or update `{ref.label}`."
    return Finding(
        "dependency/deleted-target", Severity.ERROR, pos.path, pos.line,
        f"{obj.id} still {ref.what} {ref.target_id} (`{ref.label}`), {change}: once merged, "
        f"{ref.consequence}. {advice}",
        object=obj.id, key=f"{ref.label}:{ref.target_id}",
    )


def _renamed_to(old: KubeObject, cluster: Cluster, base: Cluster, dependent: KubeObject) -> KubeObject | None:
    """The object that took the deleted one's place: same kind, file and document, a name new in this change.

    An object that already existed at base only moved up (an earlier document was
    deleted); calling that a rename would advise pointing at the wrong object.
    """
    for obj in cluster.objects:
        if (obj.kind == old.kind and obj.path == old.path and obj.doc_index == old.doc_index
                and obj.name != old.name and not obj.implicit and obj.id != dependent.id
                and not base.find(obj.kind, obj.namespace, obj.name)):
            return obj
    return None
