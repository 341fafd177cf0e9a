"""api-version/removed: a Flux object written in an apiVersion its cluster's Flux no longer serves.

Which release dropped which version is in ``_shared.REMOVED_IN`` (flux2
issues #5474, #5711 and #5942, the 2.7 release blog). A version removed at or
before the Flux a cluster runs is an error (the API server rejects it); one
removed by a later release is a warning: the cluster still accepts it, and it
blocks the upgrade to the release that removes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from checks.edits import line_text
from checks.findings import Finding, Fix, Severity
from checks.flux_apis import BEFORE_GA, CURRENT_API_VERSIONS, REMOVED_IN, removed_in
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.api_version._shared import written_flux_objects
from checks.rules.base import Rule, RuleContext

RULE = Rule(
    id="api-version/removed",
    severity=Severity.ERROR,
    summary="A Flux object written in an apiVersion its Flux version no longer serves, or the next removes",
    fixable=True,
    needs_base=False,
    doc="""
        Flux drops beta API versions from its CRDs a few releases after the GA
        version ships (v1beta1/v2beta1 in 2.7; source, kustomize and helm
        v1beta2/v2beta2 in 2.8; notification and image v1beta2 in 2.9). From then
        on the API server rejects a manifest in the old version ("no matches for
        kind") and the Kustomization that applies it fails as a whole.

        The Flux a cluster runs is read from the repository (the
        gotk-components.yaml header, a FluxInstance or flux-instance values
        `distribution.version`, a flux-manifests tag, an `install?ref=` base);
        `flux_version` in .github/flux-review.yml overrides it. Where nothing
        names it, the oldest removed version a cluster applies shows that it runs
        an earlier release (in a review, only the base can show it: a change that
        adds an old version is judged against 2.9); else 2.9 is the default. A
        version removed at or before that release is an error; one a later
        release removes is a warning, because it blocks that upgrade.
        The fix rewrites the apiVersion line; run `flux migrate` on the cluster before upgrading Flux
        so stored objects move too, and check api-version/removed-field for
        fields the new version dropped.

        Failing:
            apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
            kind: Kustomization

        Passing:
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
    """,
)


# Every removal the table knows of is at or before this release.
NEWEST_KNOWN = max(REMOVED_IN.values())


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    for obj, object_id, running in written_flux_objects(ctx.model, ctx.previous):
        removed = removed_in(obj.api_version, obj.kind, NEWEST_KNOWN)
        if removed is None:
            continue
        current = CURRENT_API_VERSIONS[obj.kind]
        pos = obj.key_pos("apiVersion")
        fix = _api_version_fix(ctx.model, obj, current)
        if removed_in(obj.api_version, obj.kind, running.release) is None and running.implied:
            assert running.version is not None
            yield Finding(
                "api-version/removed", Severity.WARNING, pos.path, pos.line,
                f"{object_id} uses `{obj.api_version}`, which Flux {_version_text(removed)} removes: upgrading "
                f"Flux breaks this object. Write `{current}` before the upgrade (and run `flux migrate` for objects "
                f"already in the cluster). A warning, not an error: no file names the Flux this cluster runs, and the "
                f"API versions it applies (`{running.version.written}` at {running.version.where}) show a release "
                f"before {_version_text(running.version.before or removed)}, which still serves it.",
                object=object_id, key="apiVersion", fix=fix,
            )
            continue
        if removed_in(obj.api_version, obj.kind, running.release) is None:
            yield Finding(
                "api-version/removed", Severity.WARNING, pos.path, pos.line,
                f"{object_id} uses `{obj.api_version}`, which Flux {running.text} ({running.source}) still "
                f"serves but Flux {_version_text(removed)} removes: upgrading Flux breaks this object. Write "
                f"`{current}` before the upgrade (and run `flux migrate` for objects already in the cluster).",
                object=object_id, key="apiVersion", fix=fix,
            )
            continue
        when = "before Flux 2.0" if removed == BEFORE_GA else f"in Flux {_version_text(removed)}"
        if running.version is not None or running.pinned or removed == BEFORE_GA:
            runs = f" (this cluster runs Flux {running.text}: {running.source})" \
                if running.version and not running.implied else ""
            rejects = f"the API server rejects it{runs}"
        else:
            rejects = (f"a cluster on Flux {_version_text(removed)} or later rejects it (the repository does not "
                       "say which Flux it runs; set `flux_version` in .github/flux-review.yml if it is older)")
        yield Finding(
            "api-version/removed", Severity.ERROR, pos.path, pos.line,
            f"{object_id} uses `{obj.api_version}`, removed {when}; {rejects}. "
            f"Write `{current}` (and run `flux migrate` for objects already in the cluster).",
            object=object_id, key="apiVersion", fix=fix,
        )


def _version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _api_version_fix(model: RepoModel, obj: KubeObject, current: str) -> Fix | None:
    """Swap the version in place: indentation, quotes and any comment stay as written."""
    pos = obj.key_pos("apiVersion")
    if obj.pos("apiVersion").line != pos.line:
        return None
    text = line_text(model, pos.path, pos.line)
    if text is None or obj.api_version not in text.partition("#")[0]:
        return None
    return Fix(pos.path, pos.line, pos.line, text.replace(obj.api_version, current, 1) + "\n")
