"""source/kind-not-allowed: a source reference whose kind the referring field does not accept.

The accepted kinds are the enums of the CRDs (``REFERENCE_FIELDS`` in
``_shared``), so the API server rejects such an object outright.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity, merge_repeats
from checks.model import field_path
from checks.rules.base import Rule, RuleContext
from checks.rules.source._shared import checked_objects, references, templated

RULE = Rule(
    id="source/kind-not-allowed",
    severity=Severity.ERROR,
    summary="A sourceRef kind the referring field does not accept",
    fixable=False,
    needs_base=False,
    doc="""
        Each reference field accepts a fixed set of source kinds (enforced by the
        CRD, so the object is rejected):

        - Kustomization `sourceRef`: GitRepository, OCIRepository, Bucket, ExternalArtifact
        - HelmRelease `chart.spec.sourceRef` (and HelmChart `sourceRef`):
          HelmRepository, GitRepository, Bucket
        - HelmRelease `chartRef`: OCIRepository, HelmChart, ExternalArtifact
        - ImageUpdateAutomation `sourceRef`: GitRepository

        Failing:
            kind: HelmRelease
            spec:
              chartRef:
                kind: HelmRepository
                name: podinfo

        Passing:
            spec:
              chartRef:
                kind: OCIRepository
                name: podinfo
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_kind_not_allowed(ctx))


def _kind_not_allowed(ctx: RuleContext) -> Iterator[Finding]:
    for obj in checked_objects(ctx.model):
        for path, ref, kinds in references(obj):
            kind = ref.get("kind")
            if not isinstance(kind, str) or not kind or kind in kinds or templated(kind):
                continue
            pos = obj.pos(*path, "kind")
            yield Finding(
                "source/kind-not-allowed", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} has `{field_path(path)}.kind: {kind}`, but this field accepts only {_kinds(kinds)}: "
                "the API server rejects the object.",
                object=obj.id, key=f"{field_path(path)}.kind")


def _kinds(kinds: frozenset[str]) -> str:
    """The accepted kinds for a message: `A`, or `A, B or C` in alphabetical order."""
    ordered = sorted(kinds)
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]
