"""api-version/deprecated-field: a deprecated Flux field that has a replacement.

Still accepted by today's API versions, gone with the next one: HelmRelease
``install.skipCRDs``, Alert ``summary`` and Provider ``proxy``. Like the
removed fields, only objects the current schema speaks for are read
(``must_migrate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checks.findings import Finding, Fix, Severity
from checks.model import KubeObject, field_path
from checks.repo import RepoModel
from checks.rules.api_version._shared import must_migrate, one_line_value, present, written_flux_objects
from checks.rules.base import Rule, RuleContext

RULE = Rule(
    id="api-version/deprecated-field",
    severity=Severity.WARNING,
    summary="A deprecated Flux field with a replacement (skipCRDs, Alert summary, Provider proxy)",
    fixable=True,
    needs_base=False,
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
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    for obj, object_id, running in written_flux_objects(ctx.model, ctx.previous):
        if not must_migrate(obj, running.release):
            continue
        if obj.kind == "HelmRelease" and present(obj, ("spec", "install", "skipCRDs")):
            value = obj.get("spec", "install", "skipCRDs")
            policy = "Skip" if value is True else "Create"
            yield _deprecated(obj, object_id, ("spec", "install", "skipCRDs"),
                              f"set `spec.install.crds: {policy}` instead",
                              _skip_crds_fix(ctx.model, obj, value))
        if obj.kind == "Alert" and present(obj, ("spec", "summary")):
            yield _deprecated(obj, object_id, ("spec", "summary"),
                              "move it to `spec.eventMetadata.summary`", _summary_fix(ctx.model, obj))
        if obj.kind == "Provider" and present(obj, ("spec", "proxy")):
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
    written = one_line_value(model, obj, "spec", "install", "skipCRDs")
    if written is None:
        return None
    indent, rest, line = written
    path = obj.key_pos("spec", "install", "skipCRDs").path
    if present(obj, ("spec", "install", "crds")):
        return Fix(path, line, line, "")  # `crds` already decides; the old switch is only noise
    comment = rest.partition("#")[2]
    policy = "Skip" if value else "Create"
    return Fix(path, line, line, f"{indent}crds: {policy}" + (f"  #{comment}" if comment else "") + "\n")


def _summary_fix(model: RepoModel, obj: KubeObject) -> Fix | None:
    if present(obj, ("spec", "eventMetadata")):
        return None
    written = one_line_value(model, obj, "spec", "summary")
    if written is None:
        return None
    indent, rest, line = written
    path = obj.key_pos("spec", "summary").path
    return Fix(path, line, line, f"{indent}eventMetadata:\n{indent}  summary: {rest}\n")
