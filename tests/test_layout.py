"""The layout: archive folders, several clusters inferred from their roots, folder helpers."""

from __future__ import annotations

from checks.config import Config
from checks.layout import (
    ONE_CLUSTER,
    archived,
    bootstrap_kustomization,
    cluster_folders,
    nearest_folder,
    segment_match,
    split_clusters,
)
from checks.model import KubeObject
from checks.repo import build_model
from checks.source import RepoSnapshot
from checks.yaml_docs import load_yaml


def _ks(name: str, spec_path: str = "./apps", namespace: str = "flux-system") -> str:
    return (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
            f"  namespace: {namespace}\nspec:\n  interval: 10m\n  path: {spec_path}\n  prune: true\n"
            "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n")


def _root(name: str, path: str) -> KubeObject:
    doc = load_yaml(path, _ks(name).encode()).docs[0]
    return KubeObject(doc.root, path, 0, "flux-system")


def _model(files: dict[str, str]):
    return build_model(RepoSnapshot.from_mapping(files), Config())


def test_archive_folders_at_any_depth() -> None:
    assert archived(".archive/apps/ks.yaml") and archived("kubernetes/_archive/ks.yaml")
    assert archived("old/archive/x/ks.yaml")
    assert not archived("archive.yaml") and not archived("kubernetes/archives/ks.yaml")
    assert not archived("kubernetes/apps/archive-exporter/ks.yaml")


def test_roots_of_one_id_in_two_folders_are_two_clusters_named_after_the_folders() -> None:
    main = _root("cluster", "kubernetes/main/flux/cluster.yaml")
    storage = _root("cluster", "kubernetes/storage/flux/cluster.yaml")
    shared = _root("shared", "kubernetes/flux-shared.yaml")
    assert split_clusters([main, storage, shared]) == [("main", "kubernetes/main", [main, shared]),
                                                       ("storage", "kubernetes/storage", [storage, shared])]


def test_without_a_clash_every_root_is_one_cluster() -> None:
    roots = [_root("apps", "kubernetes/flux/apps.yaml"), _root("infra", "kubernetes/flux/infra.yaml")]
    assert split_clusters(roots) == [(ONE_CLUSTER, "", roots)]


def test_a_clash_the_folders_cannot_separate_stays_one_cluster() -> None:
    same_file = [_root("cluster", "kubernetes/flux/cluster.yaml"), _root("cluster", "kubernetes/flux/cluster.yaml")]
    assert split_clusters(same_file) == [(ONE_CLUSTER, "", same_file)]
    nested = [_root("cluster", "k/main/a.yaml"), _root("cluster", "k/main/b/a.yaml")]
    assert [name for name, _, _ in split_clusters(nested)] == [ONE_CLUSTER]


def test_a_repository_of_two_clusters_renders_both_with_their_own_objects() -> None:
    model = _model({
        "kubernetes/main/flux/cluster.yaml": _ks("cluster", "./kubernetes/main/apps"),
        "kubernetes/main/apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: main-only\n",
        "kubernetes/storage/flux/cluster.yaml": _ks("cluster", "./kubernetes/storage/apps"),
        "kubernetes/storage/apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: storage-only\n",
    })
    assert [(c.name, c.root, c.folder) for c in model.clusters] == [("main", "", "kubernetes/main"),
                                                                     ("storage", "", "kubernetes/storage")]
    names = {c.name: sorted(o.name for o in c.objects if o.kind == "ConfigMap") for c in model.clusters}
    assert names == {"main": ["main-only"], "storage": ["storage-only"]}


def test_kustomizations_in_archive_folders_and_ignored_paths_are_no_roots() -> None:
    model = _model({
        "kubernetes/flux/apps.yaml": _ks("apps", "./kubernetes/apps"),
        "kubernetes/apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: live\n",
        ".archive/old/ks.yaml": _ks("old", "./kubernetes/gone"),
        "scratch/ks.yaml": _ks("scratch", "./kubernetes/scratch"),
        ".sourceignore": "scratch/\n",
    })
    rendered = {ks for c in model.clusters for ks in c.renders}
    assert rendered == {"Kustomization/flux-system/apps"}
    assert not [p for p in model.problems if p.rule == "structure/path-missing"]


def test_segment_match_keeps_stars_inside_one_folder() -> None:
    assert segment_match("fleet/eu", "fleet/*") and not segment_match("fleet/us/nested", "fleet/*")


def test_nearest_folder_suggests_only_an_obvious_typo() -> None:
    snapshot = RepoSnapshot.from_mapping({"apps/staging/a.yaml": "", "apps/production/b.yaml": "",
                                          "infra/x.yaml": ""})
    assert nearest_folder("apps/stagign", snapshot) == "apps/staging"
    assert nearest_folder("app/staging", snapshot) == "apps/staging"
    assert nearest_folder("apps/qa", snapshot) is None
    assert nearest_folder("nothing/like/it", snapshot) is None




def test_cluster_folders_follow_the_patterns_in_order() -> None:
    paths = ["clusters/prod/a.yaml", "clusters/staging/flux-system/b.yaml", "fleet/eu/c.yaml", "x.yaml"]
    assert cluster_folders(paths, ["fleet/*", "clusters/*"]) == ["fleet/eu", "clusters/prod", "clusters/staging"]
    assert cluster_folders(paths, ["nothing/*"]) == []


def test_the_bootstrap_kustomization_of_a_cluster_folder() -> None:
    ks = bootstrap_kustomization("clusters/prod")
    assert ks.implicit and ks.id == "Kustomization/flux-system/flux-system"
    assert ks.get("spec", "path") == "./clusters/prod" and ks.get("spec", "sourceRef", "name") == "flux-system"


def test_a_cluster_folder_another_cluster_renders_is_part_of_that_cluster() -> None:
    paths = ["clusters/main/llm.yaml", "clusters/main-llm/apps.yaml", "clusters/main/flux-system/gotk-sync.yaml"]
    renders = [("clusters/main/llm.yaml", "clusters/main-llm"),
               ("clusters/main/flux-system/gotk-sync.yaml", "clusters/main")]
    assert cluster_folders(paths, ["clusters/*"], renders) == ["clusters/main"]


def test_an_opt_in_folder_beside_the_cluster_is_rendered_inside_it() -> None:
    model = _model({
        "clusters/main/llm.yaml": _ks("llm", "./clusters/main-llm"),
        "clusters/main-llm/apps.yaml": _ks("llm-apps", "./apps/llm"),
        "apps/llm/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: llm\n  namespace: llm\n",
    })
    assert [c.name for c in model.clusters] == ["main"]
    assert "Kustomization/flux-system/llm-apps" in model.clusters[0].renders
