"""structure/duplicate-object: the same object (group, kind, namespace, name) rendered twice in one cluster.

Two Kustomizations applying one object fight over it, and the prune of either
deletes it; twice in one build, kustomize refuses to build ("may not add
resource with an already registered id"). Objects whose name or namespace is
substituted, and generated ConfigMaps/Secrets (hashed names), are not compared.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.model import KubeObject
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import PerCluster, guessed_whole_repository, name_pos
from checks.substitution import has_placeholder

RULE = Rule(
    id="structure/duplicate-object",
    severity=Severity.ERROR,
    summary="The same object rendered twice in one cluster",
    doc="""
        Two Kustomizations applying the same object (same group, kind, namespace
        and name) fight over it: each apply overwrites the other's fields, and
        when one stops rendering it, its prune deletes the object the other still
        wants. Twice in one build, kustomize refuses to build at all. Objects
        whose name or namespace is substituted (`${APP}`), and generated
        ConfigMaps/Secrets (hashed names), are not compared.

        Failing:
            # apps/podinfo.yaml, rendered by Kustomization apps
            # infra/podinfo.yaml, rendered by Kustomization infra
            kind: Namespace
            metadata:
              name: podinfo

        Passing: keep the Namespace in one of the two folders.
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    found = PerCluster(ctx.model)
    for cluster in ctx.model.clusters:
        groups: dict[tuple[str, str, str | None, str], list[KubeObject]] = {}
        for obj in cluster.objects:
            if obj.implicit or obj.doc_index < 0 or obj.rendered_by is None:
                continue  # bootstrap objects; generated ConfigMaps/Secrets get distinct hashed names
            if has_placeholder(obj.name) or has_placeholder(obj.namespace or ""):
                continue  # substitution gives each render its own name
            groups.setdefault((obj.group, obj.kind, obj.namespace, obj.name), []).append(obj)
        for objects in groups.values():
            if len(objects) < 2 or any(guessed_whole_repository(ctx.model, cluster, o.rendered_by or "")
                                       for o in objects):
                continue
            for finding in _duplicates(objects):
                found.add(cluster.name, finding)
    yield from found.findings()


def _duplicates(objects: list[KubeObject]) -> Iterator[Finding]:
    places = [(o.rendered_by or "", o.path, name_pos(o).line) for o in objects]
    owners = sorted({owner for owner, _, _ in places})
    listing = "; ".join(f"{path}:{line} by {owner}" for owner, path, line in sorted(places))
    obj = objects[0]
    if len(owners) > 1:
        message = (f"{obj.id} is rendered by {len(owners)} Kustomizations ({listing}): they fight over it, "
                   f"each apply overwrites the other and pruning either one deletes it. Keep it in one.")
    else:
        message = (f"{obj.id} is rendered twice by {owners[0]} ({listing}): kustomize refuses the build "
                   f"(\"may not add resource with an already registered id\"). Keep one.")
    seen = set()
    for candidate in objects:
        pos = name_pos(candidate)
        if (pos.path, pos.line) in seen:
            continue
        seen.add((pos.path, pos.line))
        yield Finding("structure/duplicate-object", Severity.ERROR, pos.path, pos.line, message,
                      object=candidate.id, key=candidate.path)
