"""tenancy/cross-namespace-ref: a tenant's object that points its source, chart or event source at another namespace.

Under ``--no-cross-namespace-refs`` Flux refuses source references that leave
the object's namespace. ``dependsOn`` is not such a reference: Flux allows it
across namespaces even then, so it is not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from checks.findings import Finding, Severity
from checks.model import KubeObject, field_path
from checks.rules.base import Rule, RuleContext
from checks.rules.tenancy._shared import tenant_objects

RULE = Rule(
    id="tenancy/cross-namespace-ref",
    severity=Severity.ERROR,
    summary="A tenant's source, chart or Alert event source in another namespace",
    fixable=False,
    needs_base=False,
    doc="""
        Under multi-tenancy lockdown the controllers run with
        `--no-cross-namespace-refs`: a tenant's Kustomization may only read a
        source in its own namespace, a HelmRelease only a chart source there, an
        Alert only events from there. Otherwise one tenant could deploy from, or
        listen to, another tenant's sources. `dependsOn` may cross namespaces
        (Flux allows it even then) and is not reported.

        On only when .github/flux-review.yml declares `tenants`; an object
        belongs to a tenant when its file is in one of the tenant's `paths`.

        Failing (tenant dev-team, namespace apps):
            kind: Kustomization
            metadata:
              name: web
              namespace: apps
            spec:
              sourceRef:
                kind: GitRepository
                name: platform
                namespace: flux-system

        Passing:
            spec:
              sourceRef:
                kind: GitRepository
                name: dev-team        # a GitRepository in apps
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    """Every namespaced reference of a tenant's Flux object that names a namespace other than its own."""
    for obj, tenant in tenant_objects(ctx.model):
        if not obj.namespace:
            continue  # an unrendered object without a namespace: nothing to compare with
        for path, what in _references(obj):
            namespace = obj.get(*path)
            if not isinstance(namespace, str) or not namespace or "${" in namespace:
                continue
            if namespace == obj.namespace:
                continue
            pos = obj.key_pos(*path)
            field = field_path(path)
            target = "every namespace" if namespace == "*" else f"namespace `{namespace}`"
            yield Finding(
                "tenancy/cross-namespace-ref", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} (tenant {tenant.name}) points its {what} at {target} (`{field}`); with "
                "`--no-cross-namespace-refs` Flux refuses references that leave the object's namespace. "
                f"Keep the {what} in `{obj.namespace}`.",
                object=obj.id, key=field,
            )


def _references(obj: KubeObject) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """``(path of the namespace field, what it points at)`` for each namespaced reference.

    dependsOn is left out on purpose: Flux allows it across namespaces even
    under ``--no-cross-namespace-refs`` (only source references are guarded).
    """
    if obj.kind in ("Kustomization", "ImageUpdateAutomation"):
        yield ("spec", "sourceRef", "namespace"), "source"
    elif obj.kind == "HelmRelease":
        yield ("spec", "chart", "spec", "sourceRef", "namespace"), "chart source"
        yield ("spec", "chartRef", "namespace"), "chart"
    elif obj.kind == "ImagePolicy":
        yield ("spec", "imageRepositoryRef", "namespace"), "image repository"
    elif obj.kind == "Alert":
        sources = obj.get("spec", "eventSources")
        for index in range(len(sources) if isinstance(sources, list) else 0):
            yield ("spec", "eventSources", index, "namespace"), "event source"
