"""source/git-ignore-missing: the repository's own GitRepository has no `spec.ignore` block.

Only GitRepository objects written in the repository's files that are its
own sources (``RepoModel.repository_sources``: `flux-system`, the configured
ones, those whose URL is the configured repository URL) are checked, and
none when a root ``.sourceignore`` filters the artifact. A ``spec.ignore``
that a parent patch adds counts: the rendered object is read. The
``gotk-sync.yaml`` bootstrap writes is rewritten on every bootstrap, so it
gets no fix, only a hint to patch it from the kustomization.yaml next to it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from checks.edits import indentation, insert_below_fix, line_text
from checks.findings import Finding, Fix, Severity
from checks.model import KubeObject
from checks.repo import BOOTSTRAP_NAMESPACE, RepoModel
from checks.rules.base import Rule, RuleContext
from checks.yaml_docs import YMap

RULE = Rule(
    id="source/git-ignore-missing",
    severity=Severity.INFO,
    summary="The repository's own GitRepository has no ignore block",
    fixable=True,
    needs_base=False,
    doc="""
        Without `spec.ignore` (or a `.sourceignore`) the artifact holds the whole
        repository: larger downloads on every change and, with a Kustomization
        whose path has no kustomization.yaml, stray YAML files Flux tries to
        apply. Only the GitRepository objects of this repository written in its
        files are checked (the one bootstrap creates implicitly is not), and
        none when a root `.sourceignore` filters the artifact.

        The fix adds an ignore block that excludes everything and keeps the
        top-level folders the clusters render.

        Failing:
            kind: GitRepository
            spec:
              url: https://github.com/acme/fleet
              ref: {branch: main}

        Passing:
            spec:
              ignore: |
                /*
                !/clusters
                !/apps
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    if ".sourceignore" in ctx.model.snapshot:
        return  # the repository filters its artifact with a root .sourceignore instead
    sources = ctx.model.repository_sources
    for obj in ctx.model.objects:
        if obj.kind != "GitRepository" or not obj.is_flux or obj.implicit:
            continue
        if (obj.kind, obj.namespace or BOOTSTRAP_NAMESPACE, obj.name) not in sources:
            continue
        if _effective_ignore(ctx.model, obj) not in (None, ""):
            continue
        pos = obj.key_pos("spec") if isinstance(obj.get("spec"), dict) else obj.key_pos()
        generated = posixpath.basename(obj.path) == _GENERATED_SYNC
        where = (" Bootstrap rewrites this file: add the block with a patch in the kustomization.yaml next to it."
                 if generated else "")
        yield Finding(
            "source/git-ignore-missing", Severity.INFO, pos.path, pos.line,
            f"{obj.id} is this repository's source and has no `spec.ignore`: every file (docs, scripts, "
            "CI, Terraform...) goes into the artifact Flux downloads on each change. Add an `ignore` block that "
            f"excludes all and keeps the Flux folders.{where}",
            object=obj.id, key="spec.ignore", fix=_ignore_fix(ctx.model, obj))


# The file `flux bootstrap` writes the sync GitRepository to, and rewrites on every bootstrap.
_GENERATED_SYNC = "gotk-sync.yaml"


def _effective_ignore(model: RepoModel, obj: KubeObject) -> Any:
    """The object's ``spec.ignore`` as a cluster renders it (a parent patch may add it), else as written."""
    for cluster in model.clusters:
        for rendered in cluster.objects:
            if rendered.path == obj.path and rendered.doc_index == obj.doc_index and rendered.kind == obj.kind:
                return rendered.get("spec", "ignore")
    return obj.get("spec", "ignore")


def _ignore_fix(model: RepoModel, obj: KubeObject) -> Fix | None:
    """Append an ``ignore`` block to the spec: exclude all, keep the folders Flux reads (not in a bootstrap file)."""
    spec = obj.get("spec")
    folders = _flux_folders(model)
    if not isinstance(spec, YMap) or not spec or not folders or posixpath.basename(obj.path) == _GENERATED_SYNC:
        return None
    key_pos = obj.key_pos("spec")
    last = max(p.end_line for p in spec.value_pos.values() if p.path == obj.path) if spec.value_pos else 0
    child_lines = [p.line for p in spec.key_pos.values() if p.path == obj.path]
    if key_pos.path != obj.path or not child_lines or last < key_pos.line:
        return None
    child = line_text(model, obj.path, min(child_lines))
    last_text = line_text(model, obj.path, last)
    if child is None or last_text is None:
        return None
    indent = indentation(child)
    block = [f"{indent}ignore: |", f"{indent}  # exclude all", f"{indent}  /*",
             f"{indent}  # include the folders Flux reads"]
    block += [f"{indent}  !{folder}" for folder in folders]
    return insert_below_fix(obj.path, last, last_text, "\n".join(block) + "\n")


def _flux_folders(model: RepoModel) -> list[str]:
    """Top-level folders (or files) holding what the clusters render: what an ignore block must keep."""
    tops = {path.split("/", 1)[0] + ("/" if "/" in path else "") for path in model.rendered_files}
    tops |= {cluster.root.split("/", 1)[0] + "/" for cluster in model.clusters if cluster.root}
    return sorted("/" + top.rstrip("/") for top in tops if top and not top.startswith("."))
