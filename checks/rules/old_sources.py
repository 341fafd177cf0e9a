"""Rules of the `source` group: references to sources, how sources pick a revision, and
how they reach their servers.

References are resolved per cluster in the rendered objects: a source that
only another cluster (or no Kustomization) renders does not exist for the
objects of this cluster. Bootstrap sources (`flux-system` GitRepository or
OCIRepository) always exist, and ArtifactGenerators produce the
ExternalArtifacts named in their ``spec.artifacts``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from checks.edits import indentation, insert_below_fix, line_text
from checks.findings import Finding, Fix, Severity, merge_repeats
from checks.kustomize import KUSTOMIZATION_FILES
from checks.model import KubeObject, field_path
from checks.repo import BOOTSTRAP_NAMESPACE, Cluster, RepoModel
from checks.rules.base import Rule, RuleContext
from checks.yaml_docs import YMap

# Which source kinds each reference field accepts (the CRDs' enums).
REFERENCE_FIELDS: dict[str, tuple[tuple[tuple[str, ...], frozenset[str]], ...]] = {
    "Kustomization": (
        (("spec", "sourceRef"), frozenset(("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact"))),
    ),
    "HelmRelease": (
        (("spec", "chartRef"), frozenset(("OCIRepository", "HelmChart", "ExternalArtifact"))),
        (("spec", "chart", "spec", "sourceRef"), frozenset(("HelmRepository", "GitRepository", "Bucket"))),
    ),
    "HelmChart": (
        (("spec", "sourceRef"), frozenset(("HelmRepository", "GitRepository", "Bucket"))),
    ),
    "ImageUpdateAutomation": (
        (("spec", "sourceRef"), frozenset(("GitRepository",))),
    ),
}
_BOOTSTRAP_SOURCES = frozenset(("GitRepository", "OCIRepository"))


def _kinds(kinds: frozenset[str]) -> str:
    ordered = sorted(kinds)
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _references(obj: KubeObject) -> Iterator[tuple[tuple[str, ...], dict[str, Any], frozenset[str]]]:
    """(field path, reference, accepted kinds) of a Flux object's source references."""
    if not obj.is_flux:
        return
    for path, kinds in REFERENCE_FIELDS.get(obj.kind, ()):
        ref = obj.get(*path)
        if isinstance(ref, dict) and ref.get("name"):
            yield path, ref, kinds


def _checked_objects(model: RepoModel) -> Iterator[KubeObject]:
    """Rendered objects (with their parents' patches), then unrendered ones no kustomize overlay can patch.

    An unrendered file in a folder with a kustomization.yaml is a base some
    overlay may patch (pinning a version, say): judging it as written would
    report what the overlay already fixes.
    """
    for cluster in model.clusters:
        yield from (o for o in cluster.objects if not o.implicit)
    folders = {posixpath.dirname(path) for path in model.files if posixpath.basename(path) in KUSTOMIZATION_FILES}
    for obj in model.unrendered_objects():
        if posixpath.dirname(obj.path) not in folders:
            yield obj


def _templated(*values: Any) -> bool:
    return any(isinstance(v, str) and "${" in v for v in values)


# -- source/missing ----------------------------------------------------------------------------------------

def _produced_sources(cluster: Cluster) -> set[tuple[str, str | None, str]]:
    """Sources that exist without a manifest of their own: ExternalArtifacts and HelmRelease HelmCharts."""
    produced: set[tuple[str, str | None, str]] = set()
    for obj in cluster.objects:
        if obj.kind == "ArtifactGenerator" and obj.is_flux:
            for artifact in obj.get("spec", "artifacts") or []:
                if isinstance(artifact, dict) and artifact.get("name"):
                    produced.add(("ExternalArtifact", obj.namespace, str(artifact["name"])))
        elif obj.kind == "FluxInstance" and obj.is_flux and obj.get("spec", "sync", "kind"):
            # flux-operator names the sync source after the FluxInstance's namespace
            produced.add((str(obj.get("spec", "sync", "kind")), obj.namespace, str(obj.namespace)))
        elif obj.kind == "HelmRelease" and obj.is_flux and isinstance(obj.get("spec", "chart", "spec"), dict):
            namespace = obj.get("spec", "chart", "spec", "sourceRef", "namespace") or obj.namespace
            produced.add(("HelmChart", str(namespace), f"{obj.namespace}-{obj.name}"))
    return produced


def check_missing(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_missing(ctx))


def _missing(ctx: RuleContext) -> Iterator[Finding]:
    for cluster in ctx.model.clusters:
        produced: set[tuple[str, str | None, str]] | None = None
        for obj in cluster.objects:
            if obj.implicit:
                continue
            for path, ref, _accepted in _references(obj):
                kind = ref.get("kind")
                if not isinstance(kind, str) or not kind:
                    continue
                name = str(ref["name"])
                namespace = str(ref.get("namespace") or obj.namespace or "")
                if _templated(kind, name, namespace):
                    continue
                if kind in _BOOTSTRAP_SOURCES and namespace == BOOTSTRAP_NAMESPACE and name == BOOTSTRAP_NAMESPACE:
                    continue
                if cluster.find(kind, namespace, name):
                    continue
                produced = produced if produced is not None else _produced_sources(cluster)
                if (kind, namespace, name) in produced:
                    continue
                yield _missing_finding(obj, cluster, path, kind, namespace, name)


def _missing_finding(obj: KubeObject, cluster: Cluster, path: tuple[str, ...], kind: str, namespace: str,
                     name: str) -> Finding:
    pos = obj.pos(*path, "name")
    elsewhere = sorted({o.namespace or "" for o in cluster.named(kind, name)} - {namespace})
    if elsewhere:
        hint = (f" A {kind} `{name}` exists in namespace `{elsewhere[0]}`: set `{field_path(path)}.namespace`"
                f" (cross-namespace references must be allowed) or move it.")
    else:
        hint = f" Add the {kind}, or point `{field_path(path)}` at an existing source."
    effect = "nothing under it is applied" if obj.kind == "Kustomization" else "it never reconciles"
    return Finding(
        "source/missing", Severity.ERROR, pos.path, pos.line,
        f"{obj.id} reads {kind} `{namespace}/{name}` (`{field_path(path)}`), which nothing in "
        f"cluster {cluster.name} defines: {effect}.{hint}",
        object=obj.id, key=f"{field_path(path)}:{kind}/{namespace}/{name}")


MISSING = Rule(
    id="source/missing",
    severity=Severity.ERROR,
    summary="sourceRef, chartRef or chart.spec.sourceRef names a source that does not exist",
    doc="""
        The referring object waits for its source forever ("source not found"):
        a Kustomization applies nothing, a HelmRelease never installs or upgrades.
        The source must be rendered into the same cluster; the namespace defaults
        to the referring object's own. Bootstrap sources (`flux-system`) always
        exist, a FluxInstance's `spec.sync` creates a source named after its
        namespace, ArtifactGenerators create the ExternalArtifacts they list, and
        a HelmRelease with `chart.spec` creates its HelmChart. Sources that only
        remote bases or externally sourced Kustomizations define cannot be seen.

        Also checked: HelmChart and ImageUpdateAutomation `sourceRef`.

        Failing:
            kind: HelmRelease
            spec:
              chart:
                spec:
                  chart: podinfo
                  sourceRef:
                    kind: HelmRepository
                    name: podinfo        # deleted

        Passing: a HelmRepository `podinfo` rendered in the same namespace.
    """,
    check=check_missing,
)


# -- source/kind-not-allowed -------------------------------------------------------------------------------

def check_kind_not_allowed(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_kind_not_allowed(ctx))


def _kind_not_allowed(ctx: RuleContext) -> Iterator[Finding]:
    for obj in _checked_objects(ctx.model):
        for path, ref, kinds in _references(obj):
            kind = ref.get("kind")
            if not isinstance(kind, str) or not kind or kind in kinds or _templated(kind):
                continue
            pos = obj.pos(*path, "kind")
            yield Finding(
                "source/kind-not-allowed", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} has `{field_path(path)}.kind: {kind}`, but this field accepts only {_kinds(kinds)}: "
                "the API server rejects the object.",
                object=obj.id, key=f"{field_path(path)}.kind")


KIND_NOT_ALLOWED = Rule(
    id="source/kind-not-allowed",
    severity=Severity.ERROR,
    summary="A sourceRef kind the referring field does not accept",
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
    check=check_kind_not_allowed,
)


# -- source/floating-ref -----------------------------------------------------------------------------------

_GIT_REF_FIELDS = ("commit", "name", "semver", "tag", "branch")
_OCI_REF_FIELDS = ("digest", "semver", "tag")


def _ref_fields(obj: KubeObject, fields: tuple[str, ...]) -> list[str]:
    ref = obj.get("spec", "ref")
    if not isinstance(ref, dict):
        return []
    return [f for f in fields if ref.get(f) not in (None, "")]


def _floating(obj: KubeObject) -> tuple[tuple[str, ...], str, str] | None:
    """(where to report, fingerprint key, what floats) for an object tracking a moving revision."""
    if obj.kind == "GitRepository":
        if not _ref_fields(obj, _GIT_REF_FIELDS) and isinstance(obj.get("spec"), dict) and obj.get("spec", "url"):
            return ("spec",), "spec.ref", "has no `spec.ref`, so it tracks the `master` branch"
    elif obj.kind == "OCIRepository":
        fields = _ref_fields(obj, _OCI_REF_FIELDS)
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
        if _templated(text):
            return None
        if not text:
            return (*spec_path, "chart"), "chart.version", "sets no chart `version`, so it installs the newest"
        if text == "*":
            return (*spec_path, "version"), "chart.version", "sets chart `version: \"*\"`, so it installs the newest"
    return None


def check_floating_ref(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_floating_refs(ctx))


def _floating_refs(ctx: RuleContext) -> Iterator[Finding]:
    for obj in _checked_objects(ctx.model):
        if obj.implicit or not obj.is_flux:
            continue
        found = _floating(obj)
        if found is None:
            continue
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


FLOATING_REF = Rule(
    id="source/floating-ref",
    severity=Severity.WARNING,
    summary="A source or chart that follows whatever upstream publishes next",
    doc="""
        Reported: a GitRepository without `spec.ref` (source-controller tracks the
        `master` branch), an OCIRepository without `spec.ref` or with `tag: latest`
        alone, and a HelmRelease `chart.spec` (or HelmChart) from a HelmRepository
        with no `version` or `version: "*"`. New upstream releases then deploy
        without a change in Git, and reverting a commit does not roll back.

        Not reported: semver ranges (a deliberate choice), tags with a digest,
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
    check=check_floating_ref,
)


# -- source/ambiguous-ref ----------------------------------------------------------------------------------

def _ambiguous(obj: KubeObject) -> tuple[str, list[str]] | None:
    """(the field that wins, the ones ignored) when a ref sets several selectors."""
    if obj.kind == "GitRepository":
        fields = _ref_fields(obj, _GIT_REF_FIELDS)
        if fields[:1] == ["commit"] and fields[1:] in ([], ["branch"]):
            return None  # commit with branch: a shallow clone of the branch, checked out at the commit
    elif obj.kind == "OCIRepository":
        fields = _ref_fields(obj, _OCI_REF_FIELDS)
        if fields == ["digest", "tag"]:
            return None  # tag@digest pinning: the digest wins and the tag documents it
    else:
        return None
    if len(fields) < 2:
        return None
    return fields[0], fields[1:]


def _keep_one_fix(ctx: RuleContext, obj: KubeObject, ignored: list[str]) -> Fix | None:
    """Delete the lines of the ignored selectors (a change of nothing Flux does)."""
    ref = obj.get("spec", "ref")
    if not isinstance(ref, YMap):
        return None
    positions = {f: (ref.key_pos[f], ref.value_pos[f]) for f in ref if f in _GIT_REF_FIELDS + _OCI_REF_FIELDS}
    paths = {key.path for key, _ in positions.values()}
    if len(paths) != 1 or any(key.line != value.end_line for key, value in positions.values()):
        return None
    path = paths.pop()
    lines = sorted(key.line for key, _ in positions.values())
    drop = {positions[f][0].line for f in ignored}
    kept = []
    for number in range(lines[0], lines[-1] + 1):
        text = line_text(ctx.model, path, number)
        if text is None:
            return None
        if number not in drop:
            kept.append(text + "\n")
    return Fix(path, lines[0], lines[-1], "".join(kept))


def check_ambiguous_ref(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_ambiguous_refs(ctx))


def _ambiguous_refs(ctx: RuleContext) -> Iterator[Finding]:
    for obj in _checked_objects(ctx.model):
        if obj.implicit or not obj.is_flux:
            continue
        found = _ambiguous(obj)
        if found is None:
            continue
        winner, ignored = found
        pos = obj.key_pos("spec", "ref")
        names = ", ".join(f"`{f}`" for f in ignored)
        yield Finding(
            "source/ambiguous-ref", Severity.WARNING, pos.path, pos.line,
            f"{obj.id} sets `spec.ref.{winner}` and {names}: Flux uses `{winner}` and silently ignores the "
            f"rest, so a reader may expect another revision. Keep only `{winner}` (or the one you meant).",
            object=obj.id, key="spec.ref", fix=_keep_one_fix(ctx, obj, ignored))


AMBIGUOUS_REF = Rule(
    id="source/ambiguous-ref",
    severity=Severity.WARNING,
    summary="Several ref selectors at once; one silently wins",
    doc="""
        A GitRepository `ref` resolves commit > name > semver > tag > branch, an
        OCIRepository `ref` digest > semver > tag; the others are ignored without
        a word. Combinations with a meaning are fine: `commit` with `branch` (a
        shallow clone of the branch at that commit) and `tag` with `digest`
        (a pinned tag). The fix deletes the ignored lines, which changes nothing
        Flux does.

        Failing:
            ref:
              branch: main
              tag: v1.2.0        # wins; branch is ignored

        Passing:
            ref:
              tag: v1.2.0
    """,
    check=check_ambiguous_ref,
    fixable=True,
)


# -- source/scp-url ----------------------------------------------------------------------------------------

_SCP_URL = re.compile(r"^(?P<user>[^@/:\s]+)@(?P<host>[^:/\s\[\]]+):(?P<path>(?!//)\S+)$")


def scp_to_ssh(url: str) -> str | None:
    """``git@host:org/repo`` -> ``ssh://git@host/org/repo`` (None when it is not scp-style or is unclear)."""
    match = _SCP_URL.match(url.strip())
    if not match:
        return None
    path = match.group("path")
    if path.startswith("~") or re.match(r"^\d+/", path):
        return ""  # a home-relative path or what may be a port: no safe rewrite
    return f"ssh://{match.group('user')}@{match.group('host')}/{path.lstrip('/')}"


def check_scp_url(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_scp_urls(ctx))


def _scp_urls(ctx: RuleContext) -> Iterator[Finding]:
    for obj in _checked_objects(ctx.model):
        if obj.kind != "GitRepository" or not obj.is_flux:
            continue
        url = obj.get("spec", "url")
        if not isinstance(url, str) or _templated(url):
            continue
        rewritten = scp_to_ssh(url)
        if rewritten is None:
            continue
        pos = obj.pos("spec", "url")
        fix = None
        text = line_text(ctx.model, pos.path, pos.line)
        if rewritten and text is not None and text.count(url) == 1 and pos.line == pos.end_line:
            fix = Fix(pos.path, pos.line, pos.line, text.replace(url, rewritten) + "\n")
        suggestion = f"`{rewritten}`" if rewritten else "an `ssh://user@host/path` URL"
        yield Finding(
            "source/scp-url", Severity.ERROR, pos.path, pos.line,
            f"{obj.id} uses the scp-style URL `{url}`: the GitRepository CRD accepts only http://, https:// "
            f"and ssh:// URLs, so the API server rejects it. Write it as {suggestion}.",
            object=obj.id, key="spec.url", fix=fix)


SCP_URL = Rule(
    id="source/scp-url",
    severity=Severity.ERROR,
    summary="An scp-style Git URL (git@host:org/repo), which Flux does not support",
    doc="""
        The GitRepository CRD accepts `ssh://`, `https://` and `http://` URLs only
        (`^(http|https|ssh)://`); the scp-like shorthand that `git clone`
        understands is rejected by the API server. The fix
        rewrites it to the equivalent `ssh://` URL (path after the colon becomes
        the path after the host).

        Failing:
            url: git@github.com:acme/fleet.git

        Passing:
            url: ssh://git@github.com/acme/fleet.git
    """,
    check=check_scp_url,
    fixable=True,
)


# -- source/insecure ---------------------------------------------------------------------------------------

_URL_FIELDS = {"GitRepository": "url", "HelmRepository": "url", "Bucket": "endpoint"}
_ADDRESS_FIELDS = {"Bucket": "endpoint", "ImageRepository": "image"}
_INSECURE_KINDS = frozenset(("OCIRepository", "Bucket", "ImageRepository"))


def _internal_host(url: str) -> bool:
    """Addresses inside the cluster or the machine, where TLS is usually not the point."""
    match = re.match(r"^(?:[a-z]+://)?(?:[^@/]*@)?(?P<host>\[[^\]]*\]|[^:/?#]*)", url.strip().lower())
    host = match.group("host") if match else ""
    return (not host or "." not in host or host.endswith((".svc", ".svc.cluster.local", ".cluster.local", ".local"))
            or host in ("localhost", "127.0.0.1", "[::1]"))


def check_insecure(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_insecure(ctx))


def _honours_insecure(obj: KubeObject) -> bool:
    """Kinds whose ``insecure`` flag does something (a plain HelmRepository ignores it)."""
    if obj.kind == "HelmRepository":
        return obj.get("spec", "type") == "oci"
    return obj.kind in _INSECURE_KINDS


def _insecure(ctx: RuleContext) -> Iterator[Finding]:
    for obj in _checked_objects(ctx.model):
        if obj.implicit or not obj.is_flux:
            continue
        address = obj.get("spec", _ADDRESS_FIELDS.get(obj.kind, "url"))
        internal = isinstance(address, str) and _internal_host(address)
        if obj.get("spec", "insecure") is True and _honours_insecure(obj) and not internal:
            pos = obj.key_pos("spec", "insecure")
            yield Finding(
                "source/insecure", Severity.WARNING, pos.path, pos.line,
                f"{obj.id} sets `insecure: true`: it talks to its server over plain HTTP (or without verifying "
                "TLS), so what it pulls can be read or replaced on the way. Serve it over HTTPS, or give a CA "
                "with `certSecretRef`.",
                object=obj.id, key="spec.insecure")
        field_name = _URL_FIELDS.get(obj.kind)
        url = obj.get("spec", field_name) if field_name else None
        if isinstance(url, str) and url.strip().lower().startswith("http://") and not _internal_host(url):
            pos = obj.pos("spec", field_name)
            yield Finding(
                "source/insecure", Severity.WARNING, pos.path, pos.line,
                f"{obj.id} fetches from an `http://` URL: what it pulls can be read or replaced on the way. "
                "Use `https://`.",
                object=obj.id, key=f"spec.{field_name}")


INSECURE = Rule(
    id="source/insecure",
    severity=Severity.WARNING,
    summary="insecure: true, or an http:// source URL",
    doc="""
        A source fetched without TLS can be read and tampered with between the
        cluster and the server, and Flux applies whatever arrives. Addresses
        inside the cluster (`*.svc`, `*.cluster.local`, single-label service
        names, localhost) are not reported, nor is `insecure` where Flux ignores
        it (a HelmRepository that is not `type: oci`).

        Failing:
            kind: HelmRepository
            spec:
              url: http://charts.example.com

        Passing:
            spec:
              url: https://charts.example.com
    """,
    check=check_insecure,
)


# -- source/wildcard-alert ---------------------------------------------------------------------------------

def _wildcard_kinds(obj: KubeObject) -> list[str]:
    """Kinds an Alert follows for every object of every namespace (`name: '*'`, `namespace: '*'`)."""
    sources = obj.get("spec", "eventSources")
    if not isinstance(sources, list):
        return []
    return sorted({str(s.get("kind") or "?") for s in sources
                   if isinstance(s, dict) and s.get("name") == "*" and s.get("namespace") == "*"
                   and not s.get("matchLabels")})


def check_wildcard_alert(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_wildcard_alerts(ctx))


def _wildcard_alerts(ctx: RuleContext) -> Iterator[Finding]:
    minimum = int(ctx.options.get("min_kinds", 1))
    for obj in _checked_objects(ctx.model):
        if obj.kind != "Alert" or not obj.is_flux:
            continue
        kinds = _wildcard_kinds(obj)
        if not kinds or len(kinds) < minimum:
            continue
        pos = obj.key_pos("spec", "eventSources")
        yield Finding(
            "source/wildcard-alert", Severity.INFO, pos.path, pos.line,
            f"{obj.id} follows every {', '.join(kinds)} of every namespace (`name: '*'` with `namespace: '*'`): "
            "each new object of any team alerts without review, and the wildcard namespace works only where "
            "notification-controller allows it (never under `--no-cross-namespace-refs`). Prefer explicit "
            "namespaces and names, or `matchLabels`.",
            object=obj.id, key="spec.eventSources")


WILDCARD_ALERT = Rule(
    id="source/wildcard-alert",
    severity=Severity.INFO,
    summary="An Alert event source with name: '*' across all namespaces",
    doc="""
        An event source with both `name: '*'` and `namespace: '*'` forwards the
        events of every object of that kind in the whole cluster, including
        objects other teams add later. The namespace wildcard is an opt-in of
        notification-controller and is denied when cross-namespace references
        are disabled, in which case the Alert silently matches nothing.

        `name: '*'` within one namespace (the Alert's own, or a named one) is
        the usual pattern and is not reported; neither is a wildcard narrowed
        with `matchLabels`. Option `min_kinds` (default 1): report only Alerts
        whose all-namespace wildcards cover at least that many kinds.

        Reported:
            eventSources:
              - kind: Kustomization
                name: '*'
                namespace: '*'

        Not reported:
            eventSources:
              - kind: Kustomization
                name: '*'
              - kind: HelmRelease
                name: '*'
                namespace: apps
    """,
    check=check_wildcard_alert,
)


# -- source/chart-exclusive --------------------------------------------------------------------------------

def check_chart_exclusive(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_chart_exclusive(ctx))


def _chart_exclusive(ctx: RuleContext) -> Iterator[Finding]:
    rendered = ctx.model.rendered_files
    for obj in _checked_objects(ctx.model):
        if obj.kind != "HelmRelease" or not obj.is_flux or obj.implicit:
            continue
        has_chart = obj.get("spec", "chart") not in (None, {}, "")
        has_ref = obj.get("spec", "chartRef") not in (None, {}, "")
        if has_chart and has_ref:
            pos = obj.key_pos("spec", "chartRef")
            yield Finding(
                "source/chart-exclusive", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} sets both `spec.chart` and `spec.chartRef`; the API server rejects a HelmRelease "
                "with both. Keep one.",
                object=obj.id, key="spec.chart")
        elif not has_chart and not has_ref and obj.path in rendered and isinstance(obj.get("spec"), dict):
            pos = obj.key_pos("spec")
            yield Finding(
                "source/chart-exclusive", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} has neither `spec.chart` nor `spec.chartRef`: it names no chart, and the API "
                "server rejects it. Add `chartRef` (an OCIRepository or HelmChart) or `chart.spec`.",
                object=obj.id, key="spec.chart")


CHART_EXCLUSIVE = Rule(
    id="source/chart-exclusive",
    severity=Severity.ERROR,
    summary="A HelmRelease sets both or neither of chart and chartRef",
    doc="""
        helm.toolkit.fluxcd.io/v2 requires exactly one of `spec.chart` (a chart
        template Flux turns into a HelmChart) and `spec.chartRef` (an existing
        OCIRepository, HelmChart or ExternalArtifact). Parent patches are applied
        before the check; "neither" is only reported for rendered HelmReleases
        (a patch file holds part of one on purpose).

        Failing:
            spec:
              chart:
                spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}
              chartRef:
                kind: OCIRepository
                name: podinfo

        Passing:
            spec:
              chartRef:
                kind: OCIRepository
                name: podinfo
    """,
    check=check_chart_exclusive,
)


# -- source/git-ignore-missing -----------------------------------------------------------------------------

GENERATED_SYNC = "gotk-sync.yaml"


def _flux_folders(model: RepoModel) -> list[str]:
    """Top-level folders (or files) holding what the clusters render: what an ignore block must keep."""
    tops = {path.split("/", 1)[0] + ("/" if "/" in path else "") for path in model.rendered_files}
    tops |= {cluster.root.split("/", 1)[0] + "/" for cluster in model.clusters if cluster.root}
    return sorted("/" + top.rstrip("/") for top in tops if top and not top.startswith("."))


def _effective_ignore(model: RepoModel, obj: KubeObject) -> Any:
    for cluster in model.clusters:
        for rendered in cluster.objects:
            if rendered.path == obj.path and rendered.doc_index == obj.doc_index and rendered.kind == obj.kind:
                return rendered.get("spec", "ignore")
    return obj.get("spec", "ignore")


def _ignore_fix(model: RepoModel, obj: KubeObject) -> Fix | None:
    spec = obj.get("spec")
    folders = _flux_folders(model)
    if not isinstance(spec, YMap) or not spec or not folders or posixpath.basename(obj.path) == GENERATED_SYNC:
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


def check_git_ignore_missing(ctx: RuleContext) -> Iterator[Finding]:
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
        generated = posixpath.basename(obj.path) == GENERATED_SYNC
        where = (" Bootstrap rewrites this file: add the block with a patch in the kustomization.yaml next to it."
                 if generated else "")
        yield Finding(
            "source/git-ignore-missing", Severity.INFO, pos.path, pos.line,
            f"{obj.id} is this repository's source and has no `spec.ignore`: every file (docs, scripts, "
            "CI, Terraform...) goes into the artifact Flux downloads on each change. Add an `ignore` block that "
            f"excludes all and keeps the Flux folders.{where}",
            object=obj.id, key="spec.ignore", fix=_ignore_fix(ctx.model, obj))


GIT_IGNORE_MISSING = Rule(
    id="source/git-ignore-missing",
    severity=Severity.INFO,
    summary="The repository's own GitRepository has no ignore block",
    doc="""
        Without `spec.ignore` (or a `.sourceignore`) the artifact holds the whole
        repository: larger downloads on every change and, with a Kustomization
        whose path has no kustomization.yaml, stray YAML files Flux tries to
        apply. Only the GitRepository objects of this repository written in its
        files are checked (the one bootstrap creates implicitly is not), and
        none when a root `.sourceignore` filters the artifact.

        The fix adds an ignore block that excludes everything and keeps the
        top-level folders the clusters render.

        Reported:
            kind: GitRepository
            spec:
              url: https://github.com/acme/fleet
              ref: {branch: main}

        Not reported:
            spec:
              ignore: |
                /*
                !/clusters
                !/apps
    """,
    check=check_git_ignore_missing,
    fixable=True,
)


RULES: list[Rule] = [
    MISSING,
    KIND_NOT_ALLOWED,
    FLOATING_REF,
    AMBIGUOUS_REF,
    SCP_URL,
    INSECURE,
    WILDCARD_ALERT,
    CHART_EXCLUSIVE,
    GIT_IGNORE_MISSING,
]
