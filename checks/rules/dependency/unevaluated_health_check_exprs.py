"""dependency/unevaluated-health-check-exprs: ``healthCheckExprs`` on a Kustomization that never health-checks.

kustomize-controller runs its health assessment only when ``spec.wait`` is
true or ``spec.healthChecks`` lists something; otherwise it skips it
entirely, and the CEL expressions of ``spec.healthCheckExprs`` (which only
teach that assessment how to read custom resources) are never evaluated.
Only ``kustomize.toolkit.fluxcd.io/v1`` has the field. Values set by a
parent's ``spec.patches`` are already in the rendered object; a value left
to ``${...}`` substitution is decided at apply time and not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.edits import add_spec_field_fix, in_own_document, replace_value_fix
from checks.findings import Finding, Fix, Severity, drop_repeats
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext

RULE = Rule(
    id="dependency/unevaluated-health-check-exprs",
    severity=Severity.WARNING,
    summary="healthCheckExprs on a Kustomization with neither wait nor healthChecks",
    fixable=True,
    doc="""
        `healthCheckExprs` tell kustomize-controller how to judge the health of
        custom resources, but the controller health-checks a Kustomization only
        when it has `wait: true` or a non-empty `healthChecks`. Without either,
        the expressions are never evaluated: the Kustomization turns ready as
        soon as its manifests are applied, and whatever lists it in `dependsOn`
        starts before those custom resources are ready. Values set by a parent's
        `spec.patches` count; a `${...}` value is decided at apply time and
        not reported.

        Fix: `wait: true` (every applied object is then health-checked, the
        custom resources with these expressions), or list those custom
        resources under `healthChecks`.

        Failing:
            kind: Kustomization
            spec:
              path: ./apps
              healthCheckExprs:
                - apiVersion: example.com/v1
                  kind: App
                  current: status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True')

        Passing:
            kind: Kustomization
            spec:
              path: ./apps
              wait: true
              healthCheckExprs:
                - apiVersion: example.com/v1
                  kind: App
                  current: status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True')
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for obj in ctx.model.applied_objects():
            if obj.api_version == API_VERSION and obj.kind == "Kustomization" and _unevaluated(obj):
                yield _finding(ctx.model, obj)

    return drop_repeats(findings())


# The only Kustomization API with healthCheckExprs (v1beta2 has no such field).
API_VERSION = "kustomize.toolkit.fluxcd.io/v1"


def _unevaluated(obj: KubeObject) -> bool:
    """True when the object lists expressions and certainly runs no health assessment to use them."""
    exprs = obj.get("spec", "healthCheckExprs")
    if not isinstance(exprs, list) or not exprs:
        return False  # none, or a substituted value
    wait = obj.get("spec", "wait")
    checks = obj.get("spec", "healthChecks")
    if wait is True or (isinstance(checks, list) and checks):
        return False
    # A substituted `wait` or `healthChecks` is decided at apply time.
    return not isinstance(wait, str) and not isinstance(checks, str)


def _finding(model: RepoModel, obj: KubeObject) -> Finding:
    pos = obj.key_pos("spec", "healthCheckExprs")
    if not in_own_document(obj, pos):
        # Set by a parent's patch for several children: point at each child's own spec.
        pos = obj.key_pos("spec") if "spec" in obj.body else obj.body.pos
    written = "`wait: false`" if obj.get("spec", "wait") is False else "no `wait: true`"
    return Finding(
        "dependency/unevaluated-health-check-exprs", Severity.WARNING, pos.path, pos.line,
        f"{obj.id} has `healthCheckExprs` but {written} and no `healthChecks`: kustomize-controller "
        "health-checks a Kustomization only when one of them is set, so these expressions are never "
        "evaluated and it turns ready as soon as its manifests are applied. Set `wait: true` (or list "
        "those custom resources under `healthChecks`).",
        object=obj.id, key="spec.healthCheckExprs", fix=_wait_fix(model, obj))


def _wait_fix(model: RepoModel, obj: KubeObject) -> Fix | None:
    """``wait: true`` on the object's own spec: the same edit ``dependency/not-ready-gate`` offers."""
    if "wait" in obj.spec:
        pos = obj.key_pos("spec", "wait")
        # A `wait: false` from a parent's patch would win over anything written here.
        return replace_value_fix(model, pos, "wait", "true") if in_own_document(obj, pos) else None
    return add_spec_field_fix(model, obj, "wait", "true")
