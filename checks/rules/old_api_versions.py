"""API version rules: apiVersions and fields that the configured Flux version no longer serves.

Flux removes a beta API version from its CRDs some releases after the GA
version ships; from then on the API server rejects a manifest written in it
("no matches for kind"), so the whole Kustomization that applies it fails.
Fields that the GA versions dropped fail the same way under strict decoding.
These rules read objects as written (``ctx.model.objects``, one per
document), whether or not a cluster renders them: the text of the file is
what a fix edits, and a dead file upgraded today is one less surprise later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from checks.edits import indentation, line_text
from checks.findings import Finding, Fix, Severity
from checks.model import KubeObject, field_path
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext

# The version each Flux kind should be written in (Flux 2.9).
CURRENT_API_VERSIONS: dict[str, str] = {
    "GitRepository": "source.toolkit.fluxcd.io/v1",
    "HelmRepository": "source.toolkit.fluxcd.io/v1",
    "HelmChart": "source.toolkit.fluxcd.io/v1",
    "Bucket": "source.toolkit.fluxcd.io/v1",
    "OCIRepository": "source.toolkit.fluxcd.io/v1",
    "Kustomization": "kustomize.toolkit.fluxcd.io/v1",
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
    "Alert": "notification.toolkit.fluxcd.io/v1beta3",
    "Provider": "notification.toolkit.fluxcd.io/v1beta3",
    "Receiver": "notification.toolkit.fluxcd.io/v1",
    "ImageRepository": "image.toolkit.fluxcd.io/v1",
    "ImagePolicy": "image.toolkit.fluxcd.io/v1",
    "ImageUpdateAutomation": "image.toolkit.fluxcd.io/v1",
}

# The Flux release whose CRDs dropped each version (upstream: flux2 issues
# #5474, #5711 and #5942, the 2.7 release blog). The alpha versions went away
# before Flux 2.0 GA; "2.0" stands for "already gone in every 2.x".
REMOVED_IN: dict[str, tuple[int, int]] = {
    "source.toolkit.fluxcd.io/v1alpha1": (2, 0),
    "source.toolkit.fluxcd.io/v1beta1": (2, 7),
    "source.toolkit.fluxcd.io/v1beta2": (2, 8),
    "kustomize.toolkit.fluxcd.io/v1alpha1": (2, 0),
    "kustomize.toolkit.fluxcd.io/v1beta1": (2, 7),
    "kustomize.toolkit.fluxcd.io/v1beta2": (2, 8),
    "helm.toolkit.fluxcd.io/v2alpha1": (2, 0),
    "helm.toolkit.fluxcd.io/v2beta1": (2, 7),
    "helm.toolkit.fluxcd.io/v2beta2": (2, 8),
    "notification.toolkit.fluxcd.io/v1alpha1": (2, 0),
    "notification.toolkit.fluxcd.io/v1beta1": (2, 7),
    "notification.toolkit.fluxcd.io/v1beta2": (2, 9),
    "image.toolkit.fluxcd.io/v1alpha1": (2, 0),
    "image.toolkit.fluxcd.io/v1alpha2": (2, 0),
    "image.toolkit.fluxcd.io/v1beta1": (2, 7),
    "image.toolkit.fluxcd.io/v1beta2": (2, 9),
}

NEWEST_FLUX = (2, 9)


def flux_version(text: str) -> tuple[int, int]:
    """``"2.8"``, ``"v2.8.1"`` -> ``(2, 8)``; anything unreadable means the newest release."""
    match = re.match(r"\s*v?(\d+)\.(\d+)", str(text))
    return (int(match[1]), int(match[2])) if match else NEWEST_FLUX


def _version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def removed_in(api_version: str, kind: str, target: tuple[int, int]) -> tuple[int, int] | None:
    """The release that removed ``api_version`` for ``kind``, if it is at or before ``target``."""
    if kind not in CURRENT_API_VERSIONS:
        return None
    removed = REMOVED_IN.get(api_version)
    return removed if removed is not None and removed <= target else None


def _must_migrate(obj: KubeObject, target: tuple[int, int]) -> bool:
    """Field rules speak of the current schema: objects on it, or on a version that is gone.

    An object on a beta version the configured Flux still serves may legally
    use that version's fields; it is left alone until the version goes.
    """
    current = CURRENT_API_VERSIONS.get(obj.kind)
    return current is not None and (
        obj.api_version == current or removed_in(obj.api_version, obj.kind, target) is not None)


# -- shared helpers ------------------------------------------------------------

def _written_flux_objects(model: RepoModel) -> Iterator[tuple[KubeObject, str]]:
    """Every Flux object as written, once per document, with the id users know it by.

    The id comes from the first cluster that renders the document (where the
    namespace is resolved); an unrendered document keeps the namespace it writes.
    """
    ids: dict[tuple[str, int], str] = {}
    for cluster in model.clusters:
        for obj in cluster.objects:
            if not obj.implicit:
                ids.setdefault((obj.path, obj.doc_index), obj.id)
    for obj in model.objects:
        if obj.is_flux and obj.kind in CURRENT_API_VERSIONS:
            yield obj, ids.get((obj.path, obj.doc_index), obj.id)


_KEY_VALUE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+)\s*:\s*(?P<rest>.*)$")


def _one_line_value(model: RepoModel, obj: KubeObject, *path: str) -> tuple[str, str, int] | None:
    """``(indent, value text with any comment, line)`` when key and scalar value share one line."""
    key_pos = obj.key_pos(*path)
    value_pos = obj.pos(*path)
    if key_pos.path != value_pos.path or key_pos.line != value_pos.line or value_pos.end_line != key_pos.line:
        return None
    text = line_text(model, key_pos.path, key_pos.line)
    match = _KEY_VALUE.match(text or "")
    if match is None or match["key"] != path[-1] or not match["rest"] or match["rest"][0] in "|>&*{[":
        return None
    return match["indent"], match["rest"], key_pos.line


# -- api-version/removed -------------------------------------------------------

def _check_removed(ctx: RuleContext) -> Iterable[Finding]:
    target = flux_version(ctx.config.flux_version)
    for obj, object_id in _written_flux_objects(ctx.model):
        removed = removed_in(obj.api_version, obj.kind, target)
        if removed is None:
            continue
        current = CURRENT_API_VERSIONS[obj.kind]
        pos = obj.key_pos("apiVersion")
        when = "before Flux 2.0" if removed == (2, 0) else f"in Flux {_version_text(removed)}"
        yield Finding(
            "api-version/removed", Severity.ERROR, pos.path, pos.line,
            f"{object_id} uses `{obj.api_version}`, removed {when}; the API server rejects it. "
            f"Write `{current}` (and run `flux migrate` for objects already in the cluster).",
            object=object_id, key="apiVersion", fix=_api_version_fix(ctx.model, obj, current),
        )


def _api_version_fix(model: RepoModel, obj: KubeObject, current: str) -> Fix | None:
    """Swap the version in place: indentation, quotes and any comment stay as written."""
    pos = obj.key_pos("apiVersion")
    if obj.pos("apiVersion").line != pos.line:
        return None
    text = line_text(model, pos.path, pos.line)
    if text is None or obj.api_version not in text.partition("#")[0]:
        return None
    return Fix(pos.path, pos.line, pos.line, text.replace(obj.api_version, current, 1) + "\n")


# -- api-version/removed-field ----------------------------------------------------

@dataclass(frozen=True)
class _Field:
    kind: str
    path: tuple[str, ...]
    advice: str


_REMOVED_FIELDS = (
    _Field("Kustomization", ("spec", "validation"),
           "delete it: server-side apply always validates, there is nothing to choose"),
    _Field("Kustomization", ("spec", "patchesStrategicMerge"),
           "move each patch to `spec.patches` as `- patch: |` (the target comes from the patch itself)"),
    _Field("Kustomization", ("spec", "patchesJson6902"),
           "move each entry to `spec.patches` with its `target` and the operations as a `patch: |` string"),
    _Field("HelmRelease", ("spec", "chart", "spec", "valuesFile"),
           "list the file under `valuesFiles:` instead"),
    _Field("HelmChart", ("spec", "valuesFile"), "list the file under `valuesFiles:` instead"),
    _Field("GitRepository", ("spec", "gitImplementation"),
           "delete it: go-git is the only implementation"),
    _Field("GitRepository", ("spec", "accessFrom"),
           "delete it: the field was never used"),
)

# HelmRelease v2 dropped the legacy kustomize fields of post-renderers too.
_POST_RENDERER_FIELDS = ("patchesStrategicMerge", "patchesJson6902")


def _removed_fields(obj: KubeObject) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for field in _REMOVED_FIELDS:
        if field.kind == obj.kind and _present(obj, field.path):
            yield field.path, field.advice
    if obj.kind == "HelmRelease":
        renderers = obj.get("spec", "postRenderers")
        for index, renderer in enumerate(renderers if isinstance(renderers, list) else []):
            kustomize = renderer.get("kustomize") if isinstance(renderer, dict) else None
            for name in _POST_RENDERER_FIELDS:
                if isinstance(kustomize, dict) and name in kustomize:
                    yield (("spec", "postRenderers", index, "kustomize", name),
                           "move each patch to the post-renderer's `kustomize.patches` list")


def _present(obj: KubeObject, path: tuple[str, ...]) -> bool:
    parent = obj.get(*path[:-1])
    return isinstance(parent, dict) and path[-1] in parent


def _check_removed_fields(ctx: RuleContext) -> Iterable[Finding]:
    target = flux_version(ctx.config.flux_version)
    for obj, object_id in _written_flux_objects(ctx.model):
        if not _must_migrate(obj, target):
            continue
        for path, advice in _removed_fields(obj):
            pos = obj.key_pos(*path)
            field = field_path(path)
            yield Finding(
                "api-version/removed-field", Severity.ERROR, pos.path, pos.line,
                f"{object_id} sets `{field}`, which `{CURRENT_API_VERSIONS[obj.kind]}` no longer has: "
                f"the API server rejects the object. {advice[0].upper()}{advice[1:]}.",
                object=object_id, key=field, fix=_removed_field_fix(ctx.model, obj, path),
            )


def _removed_field_fix(model: RepoModel, obj: KubeObject, path: tuple[str | int, ...]) -> Fix | None:
    name = path[-1]
    if name == "valuesFile":
        return _values_files_fix(model, obj, path)
    if path in (("spec", "patchesStrategicMerge"), ("spec", "patchesJson6902")):
        return _patches_fix(model, obj, str(name))
    return None


def _values_files_fix(model: RepoModel, obj: KubeObject, path: tuple[str | int, ...]) -> Fix | None:
    """``valuesFile: x`` -> ``valuesFiles: [x]``, unless a ``valuesFiles`` list is already there."""
    parent = obj.get(*path[:-1])
    if not isinstance(parent, dict) or "valuesFiles" in parent:
        return None
    written = _one_line_value(model, obj, *(str(p) for p in path))
    if written is None:
        return None
    indent, rest, line = written
    return Fix(obj.key_pos(*path).path, line, line, f"{indent}valuesFiles:\n{indent}  - {rest}\n")


def _patches_fix(model: RepoModel, obj: KubeObject, name: str) -> Fix | None:
    """Rewrite a legacy patch list as ``spec.patches`` (only when that is the one patch field).

    The patch bodies are re-serialised, so the fix is offered only when the
    block holds no comments a rewrite would lose.
    """
    spec = obj.spec
    legacy = [key for key in ("patches", "patchesStrategicMerge", "patchesJson6902") if key in spec]
    items = spec.get(name)
    if legacy != [name] or not isinstance(items, list) or not items:
        return None
    key_pos, value_pos = obj.key_pos("spec", name), obj.pos("spec", name)
    if key_pos.path != value_pos.path or value_pos.line < key_pos.line:
        return None
    loaded = model.files.get(key_pos.path)
    if loaded is None:
        return None
    lines = loaded.lines
    end = min(value_pos.end_line, len(lines))
    while end > key_pos.line and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    block = lines[key_pos.line - 1:end]
    if not block or any("#" in text for text in block):
        return None
    indent = indentation(block[0])
    if not block[0].lstrip().startswith(f"{name}:"):
        return None
    entries = []
    for item in items:
        if not isinstance(item, dict):
            return None
        if name == "patchesStrategicMerge":
            entries.append(f"{indent}  - patch: |\n{_block(_plain(item), indent + '      ')}")
        else:
            if not isinstance(item.get("target"), dict) or not isinstance(item.get("patch"), list):
                return None
            entries.append(f"{indent}  - target:\n{_block(_plain(item['target']), indent + '      ')}"
                           f"{indent}    patch: |\n{_block(_plain(item['patch']), indent + '      ')}")
    return Fix(key_pos.path, key_pos.line, end, f"{indent}patches:\n" + "".join(entries))


def _plain(value: Any) -> Any:
    """Positions-carrying containers as plain dicts and lists, for the YAML dumper."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _block(value: Any, indent: str) -> str:
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, width=1000)
    return "".join(f"{indent}{line}\n" if line else "\n" for line in text.splitlines())


# -- api-version/deprecated-field -------------------------------------------------

def _check_deprecated_fields(ctx: RuleContext) -> Iterable[Finding]:
    target = flux_version(ctx.config.flux_version)
    for obj, object_id in _written_flux_objects(ctx.model):
        if not _must_migrate(obj, target):
            continue
        if obj.kind == "HelmRelease" and _present(obj, ("spec", "install", "skipCRDs")):
            value = obj.get("spec", "install", "skipCRDs")
            policy = "Skip" if value is True else "Create"
            yield _deprecated(obj, object_id, ("spec", "install", "skipCRDs"),
                              f"set `spec.install.crds: {policy}` instead",
                              _skip_crds_fix(ctx.model, obj, value))
        if obj.kind == "Alert" and _present(obj, ("spec", "summary")):
            yield _deprecated(obj, object_id, ("spec", "summary"),
                              "move it to `spec.eventMetadata.summary`", _summary_fix(ctx.model, obj))
        if obj.kind == "Provider" and _present(obj, ("spec", "proxy")):
            yield _deprecated(obj, object_id, ("spec", "proxy"),
                              "put the proxy URL in a Secret under the `address` key (with `username`/"
                              "`password` if needed) and reference it with `spec.proxySecretRef`", None)


def _deprecated(obj: KubeObject, object_id: str, path: tuple[str, ...], advice: str, fix: Fix | None) -> Finding:
    pos = obj.key_pos(*path)
    field = field_path(path)
    return Finding(
        "api-version/deprecated-field", Severity.WARNING, pos.path, pos.line,
        f"{object_id} sets `{field}`, which is deprecated and goes away with the next API version; "
        f"{advice}.",
        object=object_id, key=field, fix=fix,
    )


def _skip_crds_fix(model: RepoModel, obj: KubeObject, value: Any) -> Fix | None:
    if not isinstance(value, bool):
        return None
    written = _one_line_value(model, obj, "spec", "install", "skipCRDs")
    if written is None:
        return None
    indent, rest, line = written
    path = obj.key_pos("spec", "install", "skipCRDs").path
    if _present(obj, ("spec", "install", "crds")):
        return Fix(path, line, line, "")  # `crds` already decides; the old switch is only noise
    comment = rest.partition("#")[2]
    policy = "Skip" if value else "Create"
    return Fix(path, line, line, f"{indent}crds: {policy}" + (f"  #{comment}" if comment else "") + "\n")


def _summary_fix(model: RepoModel, obj: KubeObject) -> Fix | None:
    if _present(obj, ("spec", "eventMetadata")):
        return None
    written = _one_line_value(model, obj, "spec", "summary")
    if written is None:
        return None
    indent, rest, line = written
    path = obj.key_pos("spec", "summary").path
    return Fix(path, line, line, f"{indent}eventMetadata:\n{indent}  summary: {rest}\n")


REMOVED = Rule(
    id="api-version/removed",
    severity=Severity.ERROR,
    summary="A Flux object written in an apiVersion the configured Flux version no longer serves",
    doc="""
        Flux drops beta API versions from its CRDs a few releases after the GA
        version ships (v1beta1/v2beta1 in 2.7; source, kustomize and helm
        v1beta2/v2beta2 in 2.8; notification and image v1beta2 in 2.9). From then
        on the API server rejects a manifest in the old version ("no matches for
        kind") and the Kustomization that applies it fails as a whole.

        Only versions removed at or before `flux_version` in
        .github/flux-review.yml (default 2.9) are reported. The fix rewrites the
        apiVersion line; run `flux migrate` on the cluster before upgrading Flux
        so stored objects move too, and check api-version/removed-field for
        fields the new version dropped.

        Failing:
            apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
            kind: Kustomization

        Passing:
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
    """,
    check=_check_removed,
    fixable=True,
)

REMOVED_FIELD = Rule(
    id="api-version/removed-field",
    severity=Severity.ERROR,
    summary="A field the GA version of a Flux API no longer has",
    doc="""
        The GA versions dropped fields their betas had: Kustomization `validation`,
        `patchesStrategicMerge` and `patchesJson6902`; HelmRelease
        `chart.spec.valuesFile` and the post-renderer's legacy patch lists;
        HelmChart `valuesFile`; GitRepository `gitImplementation` and `accessFrom`.
        The API server rejects an object that still sets them. Objects on a beta
        version that the configured Flux still serves are left alone.

        Fixes: `valuesFile: x` becomes a `valuesFiles` list; a legacy patch list
        becomes `spec.patches` (offered when it is the only patch field and has
        no comments to lose).

        Failing:
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            spec:
              chart:
                spec:
                  chart: podinfo
                  valuesFile: values-prod.yaml

        Passing:
            spec:
              chart:
                spec:
                  chart: podinfo
                  valuesFiles:
                    - values-prod.yaml
    """,
    check=_check_removed_fields,
    fixable=True,
)

DEPRECATED_FIELD = Rule(
    id="api-version/deprecated-field",
    severity=Severity.WARNING,
    summary="A deprecated Flux field with a replacement (skipCRDs, Alert summary, Provider proxy)",
    doc="""
        Still accepted today, gone with the next API version: HelmRelease
        `install.skipCRDs` (use `install.crds: Skip` or `Create`), Alert `summary`
        (use `eventMetadata.summary`), Provider `proxy` (use `proxySecretRef`, a
        Secret with the proxy `address`, which also keeps credentials out of Git).
        The fix rewrites the line for skipCRDs and summary.

        Failing:
            spec:
              install:
                skipCRDs: true

        Passing:
            spec:
              install:
                crds: Skip
    """,
    check=_check_deprecated_fields,
    fixable=True,
)

RULES: list[Rule] = [REMOVED, REMOVED_FIELD, DEPRECATED_FIELD]
