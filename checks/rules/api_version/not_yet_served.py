"""api-version/not-yet-served: a Flux object written in a GA version newer than the Flux its cluster runs.

The mirror of api-version/removed: a repository that pins Flux 0.40 (a
flux-manifests tag, a gotk header) but writes ``kustomize.toolkit.fluxcd.io/v1``
sends the API server a version its CRDs do not have yet. Only releases the
repository or the configuration names are judged: the default is the newest,
and a version implied by the objects themselves cannot contradict them.
"""

from __future__ import annotations

from collections.abc import Iterable

from checks.findings import Finding, Severity
from checks.flux_apis import introduced_in, release_text
from checks.rules.api_version._shared import written_flux_objects
from checks.rules.base import Rule, RuleContext

RULE = Rule(
    id="api-version/not-yet-served",
    severity=Severity.ERROR,
    summary="A Flux object written in an apiVersion newer than the Flux version its cluster runs",
    fixable=False,
    needs_base=False,
    doc="""
        Each GA API version arrived with a Flux release: GitRepository,
        Kustomization and Receiver v1 with 2.0; HelmRelease v2 and
        HelmRepository/HelmChart v1 with 2.3; OCIRepository v1 with 2.6. A
        cluster on an older Flux has no such version in its CRDs, so the API
        server rejects the manifest ("no matches for kind") and the
        Kustomization that applies it fails as a whole.

        The Flux a cluster runs is read from the repository (the
        gotk-components.yaml header, a FluxInstance or flux-instance values
        `distribution.version`, a flux-manifests tag, an `install?ref=` base) or
        from `flux_version` in .github/flux-review.yml; without either nothing
        is reported. Upgrade Flux first, or write the version the pinned
        release serves.

        Failing (the repository installs Flux 0.40):
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization

        Passing:
            apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
            kind: Kustomization
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    for obj, object_id, running in written_flux_objects(ctx.model, ctx.previous):
        if not running.pinned or running.implied:
            continue  # the default serves every version; an implied release agrees with the objects
        needed = introduced_in(obj.api_version, obj.kind)
        if needed is None or needed <= running.release:
            continue
        pos = obj.key_pos("apiVersion")
        yield Finding(
            "api-version/not-yet-served", Severity.ERROR, pos.path, pos.line,
            f"{object_id} uses `{obj.api_version}`, which Flux {release_text(needed)} introduced; this cluster "
            f"runs Flux {running.text} ({running.source}), whose API server rejects it (\"no matches for kind\"). "
            f"Upgrade Flux to {release_text(needed)} or later first, or write the apiVersion "
            f"Flux {running.text} serves.",
            object=object_id, key="apiVersion",
        )
