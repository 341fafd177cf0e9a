"""structure/missing-namespace: objects rendered into a namespace nothing in the cluster creates.

The apply fails with namespaces "..." not found. A namespace exists when the
cluster renders a Namespace for it, a HelmRelease installs into it with
``install.createNamespace: true``, or Kubernetes and Flux create it; a
Kustomization's ``targetNamespace`` does not create it. Only checked in a
cluster whose repository writes Namespace objects at all (one that writes none
has them made out of band) and whose content is all in the repository.

Repositories also create namespaces before Flux runs: helmfile releases of a
bootstrap (helmfile creates a release's namespace), or Namespace manifests that
no Flux Kustomization applies (bootstrap templates applied by a script). Those
namespaces exist; and where a repository visibly creates some namespaces that
way, any other missing one may be made the same way, so it is only info.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.model import CLUSTER_SCOPED, KubeObject
from checks.repo import Cluster, RepoModel
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
        Namespaces a bootstrap creates before Flux runs count too: the namespaces
        of helmfile releases, and Namespace manifests no Kustomization applies.
        Where a repository creates some namespaces that way, a missing one is
        only info (it may be made the same way).

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
    outside, evidence = _created_outside_flux(ctx.model)
    for cluster in ctx.model.clusters:
        if not _manages_namespaces(cluster) or _has_unknown_content(cluster):
            continue
        created = _created_namespaces(cluster) | outside
        severity = Severity.INFO if evidence else Severity.WARNING
        elsewhere = (f" This repository creates some namespaces outside Flux ({evidence}): if `{{namespace}}` is "
                     "one of them, this is fine." if evidence else "")
        # (path, line, namespace) -> objects applied into it from that place
        places: dict[tuple[str, int, str], list[KubeObject]] = {}
        for obj in cluster.objects:
            namespace = obj.namespace
            if (obj.implicit or not namespace or namespace in created or obj.kind in CLUSTER_SCOPED
                    or has_placeholder(namespace) or obj.namespace_source == "parent"
                    or cluster.find("Namespace", None, namespace)):  # a ResourceSet may create it
                continue
            pos = obj.pos("metadata", "namespace")
            places.setdefault((pos.path, pos.line, namespace), []).append(obj)
        for (path, line, namespace), objects in places.items():
            first = objects[0]
            more = f" and {len(objects) - 1} more object{'s' if len(objects) > 2 else ''}" if len(objects) > 1 else ""
            found.add(cluster.name, Finding(
                "structure/missing-namespace", severity, path, line,
                f"{first.id}{more} {'are' if more else 'is'} applied into namespace `{namespace}`, which nothing "
                f"in this cluster creates (no Namespace object, no HelmRelease with "
                f"`install.createNamespace: true`): the apply fails with namespaces \"{namespace}\" not found. "
                f"Add a Namespace manifest to a Kustomization that runs first, or correct the namespace."
                + elsewhere.format(namespace=namespace),
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


_HELMFILE = re.compile(r"(^|/)helmfile(\.d/[^/]+|[^/]*)\.ya?ml(\.gotmpl)?$")
_RELEASE_NAMESPACE = re.compile(r"^\s*namespace:\s*[\"']?(?P<name>[a-z0-9]([-a-z0-9]*[a-z0-9])?)[\"']?\s*$")


def _created_outside_flux(model: RepoModel) -> tuple[set[str], str]:
    """Namespaces the repository creates before or beside Flux, and a phrase naming how (empty: none).

    helmfile releases (helmfile creates each release's namespace unless told not
    to) and Namespace manifests no cluster renders (bootstrap templates).
    """
    names: set[str] = set()
    ways: list[str] = []
    helmfiles = [path for path in model.snapshot.paths() if _HELMFILE.search(path)]
    for path in helmfiles:
        try:
            text = model.snapshot.read(path).decode("utf-8", "replace")
        except (OSError, KeyError):
            continue
        names.update(m["name"] for line in text.splitlines() if (m := _RELEASE_NAMESPACE.match(line)))
    if helmfiles:
        ways.append(f"helmfile releases in {helmfiles[0]}" + (" and others" if len(helmfiles) > 1 else ""))
    manifests = [o for o in model.unrendered_objects() if o.kind == "Namespace" and o.api_version == "v1"]
    if manifests:
        names.update(o.name for o in manifests)
        ways.append(f"Namespace manifests no Kustomization applies, such as {manifests[0].path}")
    return names, " and ".join(ways)
