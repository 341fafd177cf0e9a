"""dependency/unevaluated-health-check-exprs: CEL health checks on a Kustomization that never runs health checks."""

from __future__ import annotations

from rule_support import ROOT, analyze_files, findings, round_trip, yaml

from checks.fixes import apply_fixes

from ._builders import base_files, cluster, ks

RULE = "dependency/unevaluated-health-check-exprs"

EXPRS = yaml("""
    healthCheckExprs:
      - apiVersion: example.com/v1
        kind: App
        current: status.conditions.filter(c, c.type == 'Ready').all(c, c.status == 'True')
    """)
HEALTH = "healthChecks:\n  - apiVersion: apps/v1\n    kind: Deployment\n    name: controller\n    namespace: infra\n"


def _patching_parent(patch: str) -> str:
    """A Kustomization rendering ./infra-parent whose spec.patches apply ``patch`` to every child Kustomization."""
    return ks("parent", "./infra-parent", extra="patches:\n  - patch: |\n"
              + "".join(f"      {line}\n" for line in patch.splitlines()) + "    target:\n      kind: Kustomization\n")


def test_expressions_without_wait_or_health_checks_are_reported_with_a_wait_fix() -> None:
    files = cluster(ks("infra", "./infra", extra=EXPRS), **base_files())
    [finding] = findings(files, RULE)
    assert finding.object == "Kustomization/flux-system/infra"
    assert (finding.path, finding.key) == (f"{ROOT}/ks.yaml", "spec.healthCheckExprs")
    assert files[finding.path].splitlines()[finding.line - 1] == "  healthCheckExprs:"
    assert "has `healthCheckExprs` but no `wait: true` and no `healthChecks`" in finding.message
    assert "never evaluated" in finding.message
    fixed = round_trip(files, RULE)
    assert "spec:\n  wait: true\n  interval: 10m\n" in fixed[f"{ROOT}/ks.yaml"]


def test_an_explicit_wait_false_is_turned_on() -> None:
    files = cluster(ks("infra", "./infra", extra="wait: false\n" + EXPRS), **base_files())
    [finding] = findings(files, RULE)
    assert "but `wait: false` and no `healthChecks`" in finding.message
    fixed = round_trip(files, RULE)
    assert "  wait: true\n" in fixed[f"{ROOT}/ks.yaml"] and "wait: false" not in fixed[f"{ROOT}/ks.yaml"]


def test_expressions_a_parent_patches_in_are_reported_on_each_child_with_a_fix_there() -> None:
    patch = yaml("""
        - op: add
          path: /spec/healthCheckExprs
          value:
            - apiVersion: example.com/v1
              kind: App
              current: has(status.ready)
        """)
    files = cluster(_patching_parent(patch), **base_files(),
                    **{"infra-parent/child.yaml": ks("child", "./infra")})
    [finding] = findings(files, RULE)
    assert (finding.object, finding.path, finding.line) == ("Kustomization/flux-system/child",
                                                            "infra-parent/child.yaml", 7)
    fixed = round_trip(files, RULE)
    assert "spec:\n  wait: true\n" in fixed["infra-parent/child.yaml"]


def test_the_not_ready_gate_fix_is_the_same_edit_and_applies_once() -> None:
    files = cluster(ks("infra", "./infra", extra=EXPRS),
                    ks("apps", "./apps", extra="dependsOn:\n  - name: infra\n"), **base_files())
    result = analyze_files(files)
    fixes = [f.fix for f in result.findings
             if f.rule in (RULE, "dependency/not-ready-gate") and f.object == "Kustomization/flux-system/infra"]
    assert len(fixes) == 2 and fixes[0] == fixes[1]
    after, applied, skipped = apply_fixes(files[f"{ROOT}/ks.yaml"], fixes)
    assert after.count("wait: true") == 1 and len(applied) == 1 and not skipped


def test_look_alikes_stay_quiet() -> None:
    wait_patch = "- op: add\n  path: /spec/wait\n  value: true\n"
    cases = {
        "wait": cluster(ks("infra", "./infra", extra="wait: true\n" + EXPRS), **base_files()),
        "healthChecks": cluster(ks("infra", "./infra", extra=HEALTH + EXPRS), **base_files()),
        "no expressions": cluster(ks("infra", "./infra"), **base_files()),
        "empty expressions": cluster(ks("infra", "./infra", extra="healthCheckExprs: []\n"), **base_files()),
        "wait from a parent patch": cluster(_patching_parent(wait_patch), **base_files(),
                                            **{"infra-parent/child.yaml": ks("child", "./infra", extra=EXPRS)}),
        "substituted wait": cluster(ks("infra", "./infra", extra="wait: ${WAIT:=true}\n" + EXPRS), **base_files()),
        "substituted healthChecks": cluster(ks("infra", "./infra", extra="healthChecks: ${CHECKS}\n" + EXPRS),
                                            **base_files()),
        "substituted expressions": cluster(ks("infra", "./infra", extra="healthCheckExprs: ${EXPRS}\n"),
                                           **base_files()),
        "v1beta2 has no such field": cluster(ks("infra", "./infra", extra=EXPRS).replace(
            "kustomize.toolkit.fluxcd.io/v1\n", "kustomize.toolkit.fluxcd.io/v1beta2\n"), **base_files()),
        "a kustomize Kustomization": cluster(ks("infra", "./infra"), **base_files(), **{
            "infra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                        "resources: [deploy.yaml]\n" + EXPRS}),
        "another kind with the field": cluster(ks("infra", "./infra"), **base_files(), **{
            "infra/app.yaml": "apiVersion: example.com/v1\nkind: Kustomization\nmetadata:\n  name: app\n"
                              "  namespace: infra\nspec:\n" + "".join(f"  {line}\n" for line in EXPRS.splitlines())}),
    }
    for label, files in cases.items():
        assert findings(files, RULE) == [], label
