"""What several structure rules share: findings gathered per cluster, the Kustomization as
the cluster sees it, which roots are only guessed, and where intent is written down."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from checks.edits import line_text
from checks.findings import Finding
from checks.model import KubeObject
from checks.repo import Cluster, RepoModel
from checks.yaml_docs import Pos


class PerCluster:
    """Findings gathered over clusters: one per problem, naming the clusters it occurs in."""

    def __init__(self, model: RepoModel) -> None:
        self.multi = len(model.clusters) > 1
        self.found: dict[Finding, list[str]] = {}

    def add(self, cluster: str | None, finding: Finding) -> None:
        clusters = self.found.setdefault(finding, [])
        if cluster and cluster not in clusters:
            clusters.append(cluster)

    def findings(self) -> Iterator[Finding]:
        for finding, clusters in self.found.items():
            if self.multi and clusters:
                label = "cluster" if len(clusters) == 1 else "clusters"
                finding = replace(finding, message=f"{finding.message} ({label} {', '.join(sorted(clusters))})")
            yield finding


def effective_kustomization(cluster: Cluster, ks_id: str) -> KubeObject | None:
    """The Kustomization that rendered objects, as the cluster sees it after patches.

    The model renders a cluster from an implicit bootstrap root; when the
    repository writes that root (gotk-sync.yaml), the written one carries the
    real postBuild and patches, so prefer it.
    """
    node = cluster.renders.get(ks_id)
    if node is None:
        return None
    ks = node.kustomization
    if ks.implicit:
        written = [o for o in cluster.find(ks.kind, ks.namespace, ks.name) if not o.implicit and o.is_flux]
        if written:
            return written[0]
    return ks


def guessed_whole_repository(model: RepoModel, cluster: Cluster, ks_id: str) -> bool:
    """True for a Kustomization the model only guesses renders this whole repository.

    Without cluster folders the model takes the sources of root Kustomizations as
    this repository; a root on ``path: ./`` whose source was not named as this
    repository (bootstrap, configuration) may well be another artifact (the
    upstream Flux manifests, say). What it seems to render is not evidence.
    """
    node = cluster.renders.get(ks_id)
    if node is None or node.folder != "" or node.kustomization.implicit:
        return False
    ref = node.kustomization.get("spec", "sourceRef")
    if not isinstance(ref, dict):
        return True
    kind = str(ref.get("kind") or "GitRepository")
    namespace = str(ref.get("namespace") or node.kustomization.namespace or "flux-system")
    name = str(ref.get("name") or "")
    if (namespace, name) == ("flux-system", "flux-system") or model.config.repository_url:
        return False
    return not any(entry.split("/")[-1] == name and (len(entry.split("/")) < 3 or entry.split("/")[0] == kind)
                   for entry in model.config.repository_sources)


def name_pos(obj: KubeObject) -> Pos:
    """Where an object's name was written: a finding about the whole object points there."""
    pos = obj.key_pos("metadata", "name")
    return pos if pos.path == obj.path else obj.body.pos


def commented(model: RepoModel, pos: Pos) -> bool:
    """A comment on the line of a value, or on the line just above it, records intent."""
    line = line_text(model, pos.path, pos.line)
    if line is None:
        return True  # written somewhere we cannot read: give it the benefit of the doubt
    if re.search(r"\s#\s*\S", line):
        return True
    above = line_text(model, pos.path, pos.line - 1) if pos.line > 1 else None
    return above is not None and above.strip().startswith("#") and len(above.strip().lstrip("#").strip()) > 0
