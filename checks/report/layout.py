"""`flux-review layout`: what the model inferred about a repository, cluster by cluster.

A finding that surprises a user usually comes from a misread layout: a
cluster not found, a root taken from the wrong place, a Flux version not
known. This report shows every inference with where it came from, so a
user can see it and correct it in .github/flux-review.yml.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from checks.config import DEFAULT_FLUX_VERSION
from checks.findings import counted
from checks.layout import ARCHIVE_FOLDERS
from checks.repo import Cluster, RepoModel

VERSION = 1
MAX_LISTED = 20


def describe(model: RepoModel) -> dict[str, Any]:
    """The layout as plain data (the JSON form)."""
    facts = model.facts
    unrendered = sorted({o.path for o in model.unrendered_objects()})
    return {
        "version": VERSION,
        "repository": {
            "sources": sorted("/".join(source) for source in model.repository_sources),
            "oci_artifact_root": facts.oci_root,
            "oci_artifact_pushed_at": ([] if model.config.artifact_root is not None
                                       else [f"{p.path}:{p.line}" for p in facts.pushed]),
            "checkout_prefix": facts.prefix or None,
            "ignored_folders": _ignored_folders(model),
            "archive_folders": _archive_folders(model),
        },
        "clusters": [_cluster(model, cluster) for cluster in model.clusters],
        "unrendered_files": unrendered,
        "unapplied_files": sorted(facts.unapplied),
    }


def _cluster(model: RepoModel, cluster: Cluster) -> dict[str, Any]:
    children = {child for node in cluster.renders.values() for child in node.children
                if child != node.kustomization.id}
    roots = [node.kustomization for node in cluster.renders.values() if node.kustomization.id not in children]
    version = cluster.flux_version
    configured = model.config.flux_version
    return {
        "name": cluster.name,
        "folder": cluster.root or cluster.folder or None,
        "found_as": cluster.origin or None,
        "named_from": cluster.named_from or None,
        "roots": [f"{ks.id} ({'implicit, ' if ks.implicit else ''}{ks.path}"
                  + (f":{ks.line})" if not ks.implicit else ")") for ks in roots],
        "flux_version": configured or (version.text if version else DEFAULT_FLUX_VERSION),
        "flux_version_from": ("configuration" if configured else version.where if version else None),
        "flux_version_basis": ("from the configuration" if configured else version.basis if version
                               else "the default: the repository names no version"),
        "kustomizations": sum(1 for node in cluster.renders.values() if not node.kustomization.implicit),
        "external_kustomizations": sum(1 for node in cluster.renders.values() if node.external),
        "objects": sum(1 for obj in cluster.objects if not obj.implicit),
    }


def _ignored_folders(model: RepoModel) -> list[str]:
    """Folders (two levels deep) the source's ignore rules leave out of the artifact."""
    folders = sorted({"/".join(path.split("/")[:depth]) for path in model.snapshot.sizes
                      for depth in (1, 2) if path.count("/") >= depth})
    ignored = [f for f in folders if f != ".git" and not f.startswith(".git/") and model.ignore.ignored(f + "/")]
    outermost = [f for f in ignored if posixpath.dirname(f) not in ignored]
    return outermost[:MAX_LISTED]


def _archive_folders(model: RepoModel) -> list[str]:
    folders = {"/".join(path.split("/")[:index + 1]) for path in model.snapshot.sizes
               for index, part in enumerate(path.split("/")[:-1]) if part in ARCHIVE_FOLDERS}
    return sorted(f for f in folders if not any(f.startswith(other + "/") for other in folders))[:MAX_LISTED]


def render_json(model: RepoModel) -> str:
    return json.dumps(describe(model), indent=2) + "\n"


def render_text(model: RepoModel) -> str:
    """The layout for a terminal: the repository's facts, then each cluster."""
    data = describe(model)
    repo = data["repository"]
    lines = [f"This repository is read from: {', '.join(repo['sources'])}"]
    if repo["oci_artifact_root"] is not None:
        where = ", ".join(repo["oci_artifact_pushed_at"])
        said = f"pushed at {where}" if where else "from the configuration"
        lines.append(f"OCI artifact built from: ./{repo['oci_artifact_root']} ({said})")
    if repo["checkout_prefix"]:
        lines.append(f"Paths carry the prefix: {repo['checkout_prefix']}/ (a snapshot of a subfolder)")
    if repo["ignored_folders"]:
        lines.append(f"Ignored by the source: {', '.join(f + '/' for f in repo['ignored_folders'])}")
    if repo["archive_folders"]:
        lines.append(f"Archive folders (no roots taken there): {', '.join(f + '/' for f in repo['archive_folders'])}")
    if not data["clusters"]:
        lines.append("No clusters found: no cluster folder, no FluxInstance sync, no root Kustomization with a "
                     "local path. Every object is checked as written (another repository applies this one).")
    for cluster in data["clusters"]:
        lines.append("")
        lines.append(f"cluster {cluster['name']}" + (f" ({cluster['folder']}/)" if cluster["folder"] else ""))
        if cluster["found_as"]:
            lines.append(f"  found as:     {cluster['found_as']}")
        if cluster["named_from"]:
            lines.append(f"  named after:  {cluster['named_from']}")
        lines.append(f"  roots:        {'; '.join(cluster['roots']) or 'none'}")
        lines.append(f"  Flux version: {cluster['flux_version']} ({cluster['flux_version_basis']})")
        lines.append(f"  rendered:     {counted(cluster['kustomizations'], 'Kustomization')}, "
                     f"{counted(cluster['objects'], 'object')}"
                     + (f", {cluster['external_kustomizations']} reading sources outside this repository"
                        if cluster["external_kustomizations"] else ""))
    unrendered = data["unrendered_files"]
    if unrendered:
        lines.append("")
        shown = unrendered[:MAX_LISTED]
        more = f" and {len(unrendered) - MAX_LISTED} more" if len(unrendered) > MAX_LISTED else ""
        lines.append(f"Files no cluster renders ({len(unrendered)}): {', '.join(shown)}{more}")
    if data["unapplied_files"]:
        lines.append("Of those, never applied by their folder's kustomization.yaml (patches, or files it does "
                     f"not list), so not judged as objects: {', '.join(data['unapplied_files'][:MAX_LISTED])}")
    return "\n".join(lines) + "\n"
