"""Files kustomize never applies, in a repository without clusters of its own."""

from __future__ import annotations

from rule_support import config_map, snapshot

from checks.config import Config
from checks.repo import build_model
from checks.report import layout

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def _tenant() -> dict[str, str]:
    return {
        "base/kustomization.yaml": KUSTOMIZATION + "resources:\n  - cm.yaml\n",
        "base/cm.yaml": config_map("settings"),
        "base/stale.yaml": config_map("stale"),
        "production/kustomization.yaml": KUSTOMIZATION + "resources:\n  - ../base\n"
                                         "patchesStrategicMerge:\n  - values.yaml\n",
        "production/values.yaml": config_map("settings", "A: production\n"),
        "plain/cm.yaml": config_map("plain"),
    }


def test_patches_and_files_a_kustomization_leaves_out_are_not_judged_as_applied() -> None:
    model = build_model(snapshot(_tenant()), Config())
    assert model.clusters == []
    assert model.facts.unapplied == frozenset({"base/stale.yaml", "production/values.yaml"})
    judged = {o.path for o in model.unrendered_judged()}
    assert judged == {"base/cm.yaml", "plain/cm.yaml"}


def test_a_repository_with_clusters_has_nothing_of_the_kind() -> None:
    files = _tenant()
    files["clusters/prod/apps.yaml"] = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                                        "metadata:\n  name: apps\n  namespace: flux-system\nspec:\n"
                                        "  interval: 10m\n  path: ./production\n  prune: true\n"
                                        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")
    model = build_model(snapshot(files), Config())
    assert model.facts.unapplied == ()


def test_layout_lists_them() -> None:
    model = build_model(snapshot(_tenant()), Config())
    text = layout.render_text(model)
    assert ("never applied by their folder's kustomization.yaml (patches, or files it does not list), so not "
            "judged as objects: base/stale.yaml, production/values.yaml") in text
    assert layout.describe(model)["unapplied_files"] == ["base/stale.yaml", "production/values.yaml"]
