"""structure/missing-namespace: objects rendered into a namespace nothing in the cluster creates.

The apply fails with namespaces "..." not found. A namespace exists when the
cluster renders a Namespace for it, a HelmRelease installs into it with
``install.createNamespace: true``, or Kubernetes and Flux create it; a
Kustomization's ``targetNamespace`` does not create it. Only checked in a
cluster whose repository writes Namespace objects at all (one that writes none
has them made out of band) and whose content is all in the repository.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.model import CLUSTER_SCOPED, KubeObject
from checks.repo import Cluster
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import PerCluster
from checks.substitution import has_placeholder

RULE = Rule(
    id="structure/missing-namespace",
    severity=Severity.WARNING,
    summary="Objects rendered into a namespace nothing in the cluster creates",
    doc="""
        Applying a namespaced object into a namespace that does not exist fails
        ("namespaces not found"). A namespace exists when the cluster renders a
        Namespace object for it, a HelmRelease installs into it with
        `install.createNamespace: true`, or it is one Kubernetes and Flux create
        (`default`, `kube-system`, `kube-public`, `kube-node-lease`,
        `flux-system`). A Kustomization's `targetNamespace` does not create it.

        Failing:
            metadata:
              name: podinfo
              namespace: podinfo     # no Namespace podinfo in this cluster

        Passing:
            apiVersion: v1
            kind: Namespace
            metadata:
              name: podinfo
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    found = PerCluster(ctx.model)
    for cluster in ctx.model.clusters:
        if not _manages_namespaces(cluster) or _has_unknown_content(cluster):
            continue
        created = _created_namespaces(cluster)
        # (path, line, namespace) -> objects applied into it from that place
        places: dict[tuple[str, int, str], list[KubeObject]] = {}
        for obj in cluster.objects:
            namespace = obj.namespace
            if (obj.implicit or not namespace or namespace in created or obj.kind in CLUSTER_SCOPED
                    or has_placeholder(namespace) or obj.namespace_source == "parent"):
                continue
            pos = obj.pos("metadata", "namespace")
            places.setdefault((pos.path, pos.line, namespace), []).append(obj)
        for (path, line, namespace), objects in places.items():
            first = objects[0]
            more = f" and {len(objects) - 1} more object{'s' if len(objects) > 2 else ''}" if len(objects) > 1 else ""
            found.add(cluster.name, Finding(
                "structure/missing-namespace", Severity.WARNING, path, line,
                f"{first.id}{more} {'are' if more else 'is'} applied into namespace `{namespace}`, which nothing "
                f"in this cluster creates (no Namespace object, no HelmRelease with "
                f"`install.createNamespace: true`): the apply fails with namespaces \"{namespace}\" not found. "
                f"Add a Namespace manifest to a Kustomization that runs first, or correct the namespace.",
                object=first.id, key=f"namespace:{namespace}"))
    yield from found.findings()


# Namespaces every cluster has before Flux applies anything.
BUILTIN_NAMESPACES = frozenset(("default", "kube-system", "kube-public", "kube-node-lease", "flux-system"))


def _manages_namespaces(cluster: Cluster) -> bool:
    """A cluster whose repository writes Namespace objects creates its namespaces in Git;
    one that writes none has them made out of band (by the platform, Terraform, a script)."""
    return any(o.kind == "Namespace" and not o.implicit and o.name not in BUILTIN_NAMESPACES
               for o in cluster.objects)


def _has_unknown_content(cluster: Cluster) -> bool:
    """External sources and remote bases may create namespaces the model cannot see."""
    return any(node.external or (node.build is not None and node.build.remote) for node in cluster.renders.values())


def _created_namespaces(cluster: Cluster) -> set[str]:
    created = set(BUILTIN_NAMESPACES)
    for obj in cluster.objects:
        if obj.kind == "Namespace":
            created.add(obj.name)
        elif obj.kind == "HelmRelease" and obj.is_flux and obj.get("spec", "install", "createNamespace") is True:
            target = obj.get("spec", "targetNamespace")
            created.add(str(target) if isinstance(target, str) and target else str(obj.namespace))
    return created
