"""structure/prune-disabled: `prune: false` on a Kustomization, and its fix."""

from __future__ import annotations

from rule_support import apply_fix, config_map, kustomization, round_trip
from rule_support import findings as run


def test_prune_disabled_is_fixed() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization().replace("prune: true", "prune: false"),
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/prune-disabled")
    assert finding.fix is not None and finding.fix.replacement == "  prune: true\n"
    assert run(apply_fix(files, finding.fix), "structure/prune-disabled") == []


def test_prune_disabled_round_trip_whatever_the_spelling() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization().replace("prune: true", "prune: False"),
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    fixed = round_trip(files, "structure/prune-disabled")
    assert "  prune: true\n" in fixed["clusters/prod/apps.yaml"]


def test_prune_disabled_look_alikes() -> None:
    crd = """\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        """
    files = {
        "clusters/prod/crds.yaml": kustomization("crds", "./crds").replace("prune: true", "prune: false"),
        "clusters/prod/apps.yaml": kustomization().replace("prune: true", "prune: false  # keep PVCs"),
        "clusters/prod/ext.yaml": kustomization("ext", "./x").replace("prune: true", "prune: false").replace(
            "name: flux-system\n", "name: upstream\n"),
        "crds/widgets.yaml": crd,
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    assert run(files, "structure/prune-disabled") == []
