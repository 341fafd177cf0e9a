"""source/floating-ref: a source or chart that follows whatever upstream publishes next.

source-controller defaults a GitRepository without ``spec.ref`` to the
``master`` branch and an OCIRepository without one to the ``latest`` tag. A
chart read from a GitRepository or a Bucket follows the source's revision
(its ``version`` is ignored), so only charts from a HelmRepository are judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity, merge_repeats
from checks.layout import own_urls
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.source._shared import GIT_REF_FIELDS, OCI_REF_FIELDS, checked_objects, ref_fields, templated

RULE = Rule(
    id="source/floating-ref",
    severity=Severity.WARNING,
    summary="A source or chart that follows whatever upstream publishes next",
    fixable=False,
    needs_base=False,
    doc="""
        Reported: a GitRepository without `spec.ref` (source-controller tracks the
        `master` branch), an OCIRepository without `spec.ref` or with `tag: latest`
        alone, and a HelmRelease `chart.spec` (or HelmChart) from a HelmRepository
        with no `version` or `version: "*"`. New upstream releases then deploy
        without a change in Git, and reverting a commit does not roll back.

        Not reported: semver ranges (a deliberate choice), tags with a digest,
        artifacts published by the account this repository's own artifact is
        published by (a cluster syncing `oci://ghcr.io/acme/home-ops` follows
        acme's own builds, not an upstream's),
        charts read from a GitRepository or Bucket (their version follows the
        source's revision), `${VAR}` versions. No automatic fix: the right pin is
        a choice.

        Failing:
            kind: OCIRepository
            spec:
              url: oci://ghcr.io/stefanprodan/manifests/podinfo
              ref:
                tag: latest

        Passing:
            spec:
              ref:
                semver: ">=6.0.0 <7.0.0"
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_floating_refs(ctx))


def _floating_refs(ctx: RuleContext) -> Iterator[Finding]:
    own: set[str] | None = None
    for obj in checked_objects(ctx.model):
        if obj.implicit or not obj.is_flux:
            continue
        found = _floating(obj)
        if found is None:
            continue
        if obj.kind == "OCIRepository":
            own = own if own is not None else _own_registries(ctx.model)
            if _registry(obj.get("spec", "url")) in own:
                continue  # the owner's own builds, followed the way the cluster follows its own artifact
        path, key, what = found
        pos = obj.key_pos(*path)
        if obj.kind == "GitRepository":
            advice = "Pin it: `ref: {branch: main}` (or a tag, semver range or commit)."
        elif obj.kind == "OCIRepository":
            advice = "Pin a version: `ref: {semver: \">=1.0.0 <2.0.0\"}`, a tag, or a digest."
        else:
            advice = "Pin a version or a semver range, e.g. `version: 1.x`."
        yield Finding(
            "source/floating-ref", Severity.WARNING, pos.path, pos.line,
            f"{obj.id} {what}: every upstream release reaches the cluster unreviewed, and a rollback in "
            f"Git does not bring the old version back. {advice}",
            object=obj.id, key=key)


def _floating(obj: KubeObject) -> tuple[tuple[str, ...], str, str] | None:
    """(where to report, fingerprint key, what floats) for an object tracking a moving revision."""
    if obj.kind == "GitRepository":
        if not ref_fields(obj, GIT_REF_FIELDS) and isinstance(obj.get("spec"), dict) and obj.get("spec", "url"):
            return ("spec",), "spec.ref", "has no `spec.ref`, so it tracks the `master` branch"
    elif obj.kind == "OCIRepository":
        fields = ref_fields(obj, OCI_REF_FIELDS)
        if not fields and obj.get("spec", "url"):
            return ("spec",), "spec.ref", "has no `spec.ref`, so it pulls the `latest` tag"
        if fields == ["tag"] and str(obj.get("spec", "ref", "tag")).strip() == "latest":
            return ("spec", "ref", "tag"), "spec.ref.tag", "pulls the `latest` tag"
    elif obj.kind in ("HelmRelease", "HelmChart"):
        spec_path = ("spec", "chart", "spec") if obj.kind == "HelmRelease" else ("spec",)
        spec = obj.get(*spec_path)
        if not isinstance(spec, dict) or not spec.get("chart"):
            return None
        source_kind = obj.get(*spec_path, "sourceRef", "kind") or "HelmRepository"
        if source_kind != "HelmRepository":
            return None  # charts from Git or a Bucket are read at the source's revision; version is ignored
        version = spec.get("version")
        text = str(version).strip() if version is not None else ""
        if templated(text):
            return None
        if not text:
            return (*spec_path, "chart"), "chart.version", "sets no chart `version`, so it installs the newest"
        if text == "*":
            return (*spec_path, "version"), "chart.version", "sets chart `version: \"*\"`, so it installs the newest"
    return None


def _registry(url: object) -> str:
    """``oci://ghcr.io/Owner/app`` -> ``ghcr.io/owner``: the registry and the account that publishes there."""
    parts = str(url or "").removeprefix("oci://").lower().split("/")
    return "/".join(parts[:2]) if len(parts) > 2 and parts[1] else ""


def _own_registries(model: RepoModel) -> set[str]:
    """Where this repository's own OCI artifact is published: the registry account of the URLs it is
    fetched from (``checks.layout.own_urls``), or of this repository's own OCIRepository."""
    urls = own_urls(model.files, model.config.repository_url)
    own = model.repository_sources
    urls += [o.get("spec", "url") for o in model.objects
             if o.kind == "OCIRepository" and (o.kind, o.namespace or "", o.name) in own]
    return {account for account in map(_registry, urls) if account}
