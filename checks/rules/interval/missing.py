"""interval/missing: a Flux object whose kind requires spec.interval has none after patches.

The value is read after patches, so an interval a parent Kustomization's
``spec.patches`` gives its children counts. Files that a kustomization.yaml uses
as patches are partial documents, not objects, and are not reported. An
image.toolkit v1 ImagePolicy needs an interval only when it reflects digests
(``digestReflectionPolicy: Always``, a CEL validation of the CRD).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from checks.config import DEFAULT_RECOMMENDED_INTERVALS
from checks.edits import add_spec_field_fix
from checks.findings import Finding, Severity, drop_repeats
from checks.kustomize import KUSTOMIZATION_FILES
from checks.model import KubeObject
from checks.rules.base import Rule, RuleContext
from checks.rules.interval._shared import REQUIRES_INTERVAL, flux_bodies, interval_table
from checks.source import normalize

RULE = Rule(
    id="interval/missing",
    severity=Severity.ERROR,
    summary="A Flux object whose kind requires spec.interval has none after patches",
    fixable=True,
    doc="""
        GitRepository, OCIRepository, Bucket, HelmChart, Kustomization,
        HelmRelease, ImageRepository and ImageUpdateAutomation require
        `spec.interval`; so does an ImagePolicy with
        `digestReflectionPolicy: Always`. Without it the API server rejects the
        object. Intervals set by a parent Kustomization's `spec.patches` count.
        HelmRepository (optional since the OCI type), Alert, Provider, Receiver
        and other ImagePolicies need none.

        Fix: the kind's recommended interval (configurable under
        `intervals.recommended`).

        Failing:
            kind: GitRepository
            spec:
              url: https://github.com/org/repo
              ref: {branch: main}

        Passing:
            kind: GitRepository
            spec:
              interval: 10m
              url: https://github.com/org/repo
              ref: {branch: main}
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    recommended = interval_table(ctx, "recommended", ctx.config.recommended_intervals, DEFAULT_RECOMMENDED_INTERVALS)

    patches = _patch_files(ctx)

    def findings() -> Iterator[Finding]:
        for obj in flux_bodies(ctx):  # body-only verdicts, repeats dropped
            if not _requires_interval(obj) or obj.get("spec", "interval") is not None:
                continue
            if obj.rendered_by is None and obj.path in patches:
                continue
            if not isinstance(obj.get("spec"), dict):
                continue
            default = recommended.get(obj.kind, "10m")
            pos = obj.key_pos("spec")
            fix = add_spec_field_fix(ctx.model, obj, "interval", default)
            yield Finding(
                "interval/missing", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} has no `spec.interval`, which its CRD requires; the API server rejects "
                f"the object. Add `interval: {default}`.",
                object=obj.id, key="spec.interval", fix=fix,
            )

    return drop_repeats(findings())


def _requires_interval(obj: KubeObject) -> bool:
    if obj.kind in REQUIRES_INTERVAL:
        return True
    # image.toolkit v1: an ImagePolicy that reflects digests must say how often (CEL validation).
    return (obj.kind == "ImagePolicy" and obj.api_version == "image.toolkit.fluxcd.io/v1"
            and obj.get("spec", "digestReflectionPolicy") == "Always")


def _patch_files(ctx: RuleContext) -> set[str]:
    """Files that kustomization.yaml files use as patches: partial documents, not objects."""
    found: set[str] = set()
    for path, loaded in ctx.model.files.items():
        folder, _, name = path.rpartition("/")
        if name not in KUSTOMIZATION_FILES:
            continue
        for doc in loaded.docs:
            root = doc.root
            if not isinstance(root, dict):
                continue
            entries: list[Any] = list(root.get("patchesStrategicMerge") or [])
            for key in ("patches", "patchesJson6902"):
                entries += [item.get("path") for item in root.get(key) or [] if isinstance(item, dict)]
            for entry in entries:
                if isinstance(entry, str) and "\n" not in entry:
                    found.add(normalize(posixpath.join(folder, entry)))
    return found
