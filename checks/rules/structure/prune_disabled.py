"""structure/prune-disabled: a Kustomization with ``prune: false``, so objects removed from Git stay.

Pruning cascades for two kinds: deleting a CustomResourceDefinition deletes
every custom resource of that kind, deleting a Namespace everything in it. A
Kustomization that renders CRDs (as files, or through a HelmRelease of a chart that
templates them), or nothing but Namespaces (and the quotas and
limit ranges that go with them), keeps them on purpose; one that renders an
application together with its Namespace does not, and is reported (the
Namespace alone can be kept with Flux's per-object prune annotation). A
Kustomization whose content is not in the repository cannot be judged and is
not reported, nor is a ``prune: false`` with a comment saying why. The fix sets
``prune: true`` on the line as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from checks.chart_crds import release_crds
from checks.chart_crds import table as chart_table
from checks.edits import line_text
from checks.findings import Finding, Fix, Severity
from checks.repo import Cluster, RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import commented, effective_kustomization
from checks.yaml_docs import Pos

RULE = Rule(
    id="structure/prune-disabled",
    severity=Severity.WARNING,
    summary="A Kustomization with prune: false",
    fixable=True,
    doc="""
        With `prune: false`, objects removed from Git stay in the cluster,
        unmanaged and invisible in the repository. The exceptions are
        Kustomizations whose pruning would cascade: one that renders
        CustomResourceDefinitions (deleting a CRD deletes every custom resource
        of that kind), or a HelmRelease of a chart whose templates install CRDs
        (pruning it uninstalls the release, and Helm deletes those CRDs with it;
        the charts are those of dependency/missing-crd-order's table), or only Namespaces (deleting a Namespace deletes
        everything in it; ResourceQuotas and LimitRanges may sit beside them).
        Keeping those is deliberate, and they are not reported. A Kustomization
        that renders an application together with its Namespace is reported:
        to keep only the Namespace, label or annotate it with
        `kustomize.toolkit.fluxcd.io/prune: disabled` and let the rest be
        pruned. Kustomizations whose content is not in the repository
        (external sources) are not reported either.

        Failing:
            spec:
              prune: false

        Passing:
            spec:
              prune: true
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    seen: set[tuple[str, int]] = set()
    for cluster in model.clusters:
        releasing_crds = _releases_with_template_crds(cluster)
        for ks_id, node in cluster.renders.items():
            ks = effective_kustomization(cluster, ks_id)
            if ks is None or ks.implicit or not ks.is_flux or ks.get("spec", "prune") is not False:
                continue
            if node.build is None or _pruning_cascades(node.build) or ks_id in releasing_crds:
                continue  # content unknown (external, missing path), or kept on purpose
            pos = ks.pos("spec", "prune")
            if (pos.path, pos.line) in seen or commented(model, pos):
                continue
            seen.add((pos.path, pos.line))
            yield Finding(
                "structure/prune-disabled", Severity.WARNING, pos.path, pos.line,
                f"{ks.id} has `prune: false`: objects removed from Git stay in the cluster, unmanaged, "
                f"until someone deletes them by hand. Set `prune: true` (keep `prune: false` only for a "
                f"Kustomization that installs CRDs){_keep_namespace_hint(node.build)}.",
                object=ks.id, key="spec.prune", fix=_prune_fix(model, pos))


_PRUNE_LINE = re.compile(r"^(?P<head>\s*(?:-\s+)?prune:\s*)(?P<value>false|False|FALSE)(?P<tail>\s*(?:#.*)?)$")


# What may sit beside Namespaces in a Kustomization that only sets namespaces up: objects that
# live and die with their Namespace and hold nothing of an application.
_NAMESPACE_SETUP = frozenset(("Namespace", "ResourceQuota", "LimitRange"))


def _pruning_cascades(build: Any) -> bool:
    """True when pruning what the Kustomization renders would delete more than it names.

    Deleting a CRD deletes every custom resource of its kind, deleting a
    Namespace everything in it: a Kustomization that renders CRDs, or nothing
    but Namespaces, keeps them on purpose. A Namespace rendered beside the
    application that lives in it is no such reason: the application's own
    objects should still be pruned, and the Namespace can be kept by annotation.
    Remote resources are not fetched: what they hold is unknown (release bundles
    such as Gateway API's `standard-install.yaml` are CRDs), so a Kustomization
    rendering one is given the benefit of the doubt.
    """
    kinds = {o.body.get("kind") for o in build.objects}
    if "CustomResourceDefinition" in kinds or build.remote:
        return True
    return "Namespace" in kinds and kinds <= _NAMESPACE_SETUP


def _releases_with_template_crds(cluster: Cluster) -> set[str]:
    """Kustomizations rendering a HelmRelease whose chart installs CRDs as templates.

    Pruning such a HelmRelease uninstalls the release, and Helm deletes the CRDs
    its templates created with it (only CRDs from a chart's ``crds/`` folder
    outlive an uninstall): the same cascade as a CRD file, one step removed.
    """
    found: set[str] = set()
    for obj in cluster.objects:
        if obj.kind == "HelmRelease" and obj.rendered_by and obj.rendered_by not in found:
            installed = release_crds(obj, cluster)
            if installed is not None and chart_table()[installed.chart].location != "crds-directory":
                found.add(obj.rendered_by)
    return found


def _keep_namespace_hint(build: Any) -> str:
    """How to keep the Namespaces of a Kustomization that is reported although it renders them."""
    if not any(o.body.get("kind") == "Namespace" for o in build.objects):
        return ""
    return ("; to keep its Namespace when the rest is pruned, label or annotate the Namespace with "
            "`kustomize.toolkit.fluxcd.io/prune: disabled`")


def _prune_fix(model: RepoModel, pos: Pos) -> Fix | None:
    match = _PRUNE_LINE.match(line_text(model, pos.path, pos.line) or "")
    if not match:
        return None
    return Fix(pos.path, pos.line, pos.line, f"{match['head']}true{match['tail']}\n")
