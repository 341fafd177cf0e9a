"""api-version/removed-field: a field the GA version of a Flux API no longer has.

The GA versions decode strictly, so the API server rejects an object that
still sets a field its beta had. Objects on a beta version the configured
Flux still serves may keep that version's fields (``must_migrate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from checks.edits import indentation
from checks.findings import Finding, Fix, Severity
from checks.flux_apis import CURRENT_API_VERSIONS
from checks.model import KubeObject, field_path
from checks.repo import RepoModel
from checks.rules.api_version._shared import (
    must_migrate,
    one_line_value,
    present,
    written_flux_objects,
)
from checks.rules.base import Rule, RuleContext

RULE = Rule(
    id="api-version/removed-field",
    severity=Severity.ERROR,
    summary="A field the GA version of a Flux API no longer has",
    fixable=True,
    needs_base=False,
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
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    for obj, object_id, running in written_flux_objects(ctx.model, ctx.previous):
        if not must_migrate(obj, running.release):
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
        if field.kind == obj.kind and present(obj, field.path):
            yield field.path, field.advice
    if obj.kind == "HelmRelease":
        renderers = obj.get("spec", "postRenderers")
        for index, renderer in enumerate(renderers if isinstance(renderers, list) else []):
            kustomize = renderer.get("kustomize") if isinstance(renderer, dict) else None
            for name in _POST_RENDERER_FIELDS:
                if isinstance(kustomize, dict) and name in kustomize:
                    yield (("spec", "postRenderers", index, "kustomize", name),
                           "move each patch to the post-renderer's `kustomize.patches` list")


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
    written = one_line_value(model, obj, *(str(p) for p in path))
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
