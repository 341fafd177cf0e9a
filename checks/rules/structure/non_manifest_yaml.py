"""structure/non-manifest-yaml: a YAML file that is not a Kubernetes object, in a folder Flux renders
without a kustomization.yaml.

kustomize-controller then generates a kustomization.yaml that takes every
``.yaml``/``.yml`` file of the folder, subfolders included; one file that does
not decode as an object fails the whole Kustomization. The model's build
(``checks.kustomize``) records those files and the generated folders; a file
is reported once, naming every Kustomization that fails on it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import guessed_whole_repository

RULE = Rule(
    id="structure/non-manifest-yaml",
    severity=Severity.ERROR,
    summary="A YAML file that is not a Kubernetes object in a folder Flux renders without a kustomization.yaml",
    doc="""
        Without a kustomization.yaml, kustomize-controller generates one that
        takes every `.yaml`/`.yml` file of the folder (subfolders included). Each
        must decode as a Kubernetes object with `kind` and `metadata.name`, or the
        whole Kustomization fails with "failed to decode Kubernetes YAML". Helm
        values files and notes are the usual culprits. Files left out by
        `.sourceignore` or the GitRepository's `spec.ignore` are not reported.

        Failing (apps/podinfo/ has no kustomization.yaml):
            # apps/podinfo/values.yaml
            replicaCount: 2

        Passing: move values.yaml elsewhere, list it in .sourceignore, or add
            # apps/podinfo/kustomization.yaml
            resources:
              - release.yaml
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    # path -> (line, reason, folder, Kustomizations that fail)
    found: dict[str, tuple[int, str, str, set[str]]] = {}
    for cluster in ctx.model.clusters:
        for ks_id, node in cluster.renders.items():
            if node.build is None:
                continue
            if guessed_whole_repository(ctx.model, cluster, ks_id):
                continue
            for item in node.build.non_manifests:
                folder = _generated_folder(item.path, node.build.generated_folders)
                line, reason, _, failing = found.setdefault(item.path, (item.line, item.reason, folder, set()))
                failing.add(ks_id)
    for path, (line, reason, folder, failing) in sorted(found.items()):
        names = ", ".join(sorted(failing))
        where = f"`{folder}/`" if folder else "the repository root"
        yield Finding(
            "structure/non-manifest-yaml", Severity.ERROR, path, line,
            f"{path} is in {where}, which Flux renders without a kustomization.yaml, so it takes every "
            f".yaml file there; {reason}, so {names} fail{'s' if len(failing) == 1 else ''} to build "
            f"(\"failed to decode Kubernetes YAML\"). Move the file out of the folder, list it in "
            f".sourceignore, or add a kustomization.yaml naming the manifests.")


def _generated_folder(path: str, folders: set[str]) -> str:
    """The folder whose generated kustomization took ``path`` (the deepest that holds it)."""
    holding = [f for f in folders if f == "" or path.startswith(f + "/")]
    return max(holding, key=len) if holding else posixpath.dirname(path)
