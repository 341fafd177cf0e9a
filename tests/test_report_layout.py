"""`flux-review layout`: every inference with where it came from, as text and JSON."""

from __future__ import annotations

import json

from rule_support import config_map, kustomization, snapshot

from checks.config import Config
from checks.repo import build_model
from checks.report import layout

GOTK = "# Flux Version: v2.6.1\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"


def _fleet() -> dict[str, str]:
    return {
        "clusters/prod/apps.yaml": kustomization(),
        "clusters/prod/flux-system/gotk-components.yaml": GOTK,
        "clusters/staging/apps.yaml": kustomization(),
        "apps/cm.yaml": config_map("settings"),
        "attic/old.yaml": config_map("old"),
        ".archive/ks.yaml": kustomization("gone", "./gone"),
        ".sourceignore": "scratch/\n",
        "scratch/notes.yaml": "a: 1\n",
    }


def test_describe_names_each_cluster_with_where_its_facts_come_from() -> None:
    data = layout.describe(build_model(snapshot(_fleet()), Config()))
    assert data["version"] == 1
    prod, staging = data["clusters"]
    assert (prod["name"], prod["folder"]) == ("prod", "clusters/prod")
    assert prod["found_as"] == "a folder matching the cluster roots (clusters/*)"
    assert prod["roots"] == ["Kustomization/flux-system/flux-system (implicit, clusters/prod/)"]
    gotk = "clusters/prod/flux-system/gotk-components.yaml:1"
    assert (prod["flux_version"], prod["flux_version_from"]) == ("2.6", gotk)
    assert (staging["flux_version"], staging["flux_version_from"]) == ("2.9", None)
    assert (prod["kustomizations"], prod["objects"]) == (1, 3)
    assert data["repository"]["archive_folders"] == [".archive"]
    assert "scratch" in data["repository"]["ignored_folders"]
    assert "attic/old.yaml" in data["unrendered_files"]


def test_a_configured_version_wins_and_says_so() -> None:
    data = layout.describe(build_model(snapshot(_fleet()), Config(flux_version="2.8")))
    assert {(c["flux_version"], c["flux_version_from"]) for c in data["clusters"]} == {("2.8", "configuration")}


def test_text_and_json_render_the_same_facts() -> None:
    model = build_model(snapshot(_fleet()), Config())
    text = layout.render_text(model)
    assert "cluster prod (clusters/prod/)" in text
    assert "  Flux version: 2.6 (from clusters/prod/flux-system/gotk-components.yaml:1)" in text
    assert "  Flux version: 2.9 (the default: the repository names no version)" in text
    assert "Archive folders (no roots taken there): .archive/" in text
    assert "Files no cluster renders" in text and "attic/old.yaml" in text
    assert "  rendered:     1 Kustomization, 3 objects" in text
    assert json.loads(layout.render_json(model)) == layout.describe(model)


def test_a_repository_without_clusters_says_how_it_is_checked() -> None:
    text = layout.render_text(build_model(snapshot({"apps/cm.yaml": config_map("settings")}), Config()))
    assert "No clusters found" in text and "checked as written" in text


def test_a_version_the_clusters_objects_imply_says_which_object_shows_it() -> None:
    files = _fleet()
    files["clusters/staging/apps.yaml"] = kustomization().replace("kustomize.toolkit.fluxcd.io/v1",
                                                                  "kustomize.toolkit.fluxcd.io/v1beta2")
    model = build_model(snapshot(files), Config())
    staging = layout.describe(model)["clusters"][1]
    assert (staging["flux_version"], staging["flux_version_from"]) == ("older than 2.8", "clusters/staging/apps.yaml:1")
    assert ("  Flux version: older than 2.8 (implied by the API versions it applies: clusters/staging/apps.yaml:1 "
            "is written in `kustomize.toolkit.fluxcd.io/v1beta2`, which Flux 2.8 removed)") in layout.render_text(model)


def test_a_configured_artifact_root_says_it_comes_from_the_configuration() -> None:
    files = _fleet()
    files[".github/workflows/push.yaml"] = "run: flux push artifact oci://x/ops:v1 --path=./deploy\n"
    text = layout.render_text(build_model(snapshot(files), Config(artifact_root=".")))
    assert "OCI artifact built from: ./ (from the configuration)" in text
    text = layout.render_text(build_model(snapshot(files), Config()))
    assert "OCI artifact built from: ./deploy (pushed at .github/workflows/push.yaml:1)" in text
