"""The layout: archive folders, several clusters inferred from their roots, folder helpers."""

from __future__ import annotations

import pytest

from checks.config import Config
from checks.layout import (
    ONE_CLUSTER,
    PushedArtifact,
    archived,
    artifact_root,
    checkout_prefix,
    cluster_folders,
    cluster_names,
    enabled_feature_gates,
    flux_instance_syncs,
    generated_artifacts,
    nearest_folder,
    normalise_url,
    pushed_artifacts,
    segment_match,
    split_clusters,
    synced_folders,
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


def test_ci_pushes_name_the_folder_an_oci_artifact_is_built_from() -> None:
    workflow = """\
jobs:
  push:
    steps:
      - name: Push
        run: |
          flux push artifact $OCI_REPO:main \\
            --path="./kubernetes" \\
            --source="$(git config --get remote.origin.url)"
      - name: Push with the distribution action
        uses: controlplaneio-fluxcd/distribution/actions/push@main
        with:
          repository: ghcr.io/${{ github.repository }}
          path: "./kubernetes/"
      - name: Checkout
        uses: actions/checkout@v4
        with:
          path: elsewhere
"""
    snap = RepoSnapshot.from_mapping({".github/workflows/push.yaml": workflow, "docs/push.md": workflow})
    pushed = pushed_artifacts(snap)
    assert [(p.folder, p.path, p.line) for p in pushed] == [("kubernetes", ".github/workflows/push.yaml", 6),
                                                           ("kubernetes", ".github/workflows/push.yaml", 13)]
    assert artifact_root(pushed) == "kubernetes"
    assert artifact_root([*pushed, PushedArtifact("", "x", 1)]) is None
    assert artifact_root([]) is None


@pytest.mark.parametrize("path", [".gitlab-ci.yml", "Makefile", "Taskfile.yaml", "justfile",
                                  ".github/workflows/release.yml"])
def test_every_kind_of_ci_file_is_read_for_pushes(path: str) -> None:
    text = "build:\n\tflux build artifact\n\tgit push origin main\n\tflux push artifact oci://r/app:1 \\\n" \
           "\t  --path=./deploy --source=x\n"
    snap = RepoSnapshot.from_mapping({path: text, ".github/scripts/push.yaml": text})
    assert [(p.folder, p.path, p.line) for p in pushed_artifacts(snap)] == [("deploy", path, 4)]


def test_a_ci_file_that_only_pushes_commits_names_no_artifact() -> None:
    workflow = "on:\n  push:\njobs:\n  x:\n    steps:\n      - run: git push --force\n        path: ./deploy\n"
    assert pushed_artifacts(RepoSnapshot.from_mapping({".github/workflows/sync.yaml": workflow})) == []


def test_flux_instance_syncs_from_the_object_chart_values_and_values_files() -> None:
    files = {
        "a/instance.yaml": "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
                           "spec:\n  sync:\n    kind: OCIRepository\n    url: oci://x\n    path: clusters/nova\n",
        "b/hr.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\n"
                     "spec:\n  values:\n    instance:\n      sync:\n        path: kubernetes/main/flux\n",
        "c/values.yaml": "instance:\n  sync:\n    kind: GitRepository\n    path: ${CLUSTER_PATH}\n",
    }
    loaded = {path: load_yaml(path, text.encode()) for path, text in files.items()}
    syncs = flux_instance_syncs(loaded)
    assert [(s.kind, s.path, s.file, s.line) for s in syncs] == [
        ("OCIRepository", "clusters/nova", "a/instance.yaml", 9),
        ("GitRepository", "kubernetes/main/flux", "b/hr.yaml", 9),
    ]


def test_cluster_names_tell_folders_apart() -> None:
    assert cluster_names(["kubernetes/flux/cluster"]) == [ONE_CLUSTER]
    assert cluster_names(["kubernetes/main/flux/cluster", "kubernetes/network/flux/cluster"]) == ["main", "network"]
    assert cluster_names(["k/clusters/nova", "k/clusters/update"]) == ["nova", "update"]
    assert cluster_names(["a", "a/b"]) == ["a", "b"]


def test_an_oci_artifact_built_from_a_subfolder_and_synced_by_flux_instances() -> None:
    instance = ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
                "  namespace: flux-system\nspec:\n  sync:\n    kind: OCIRepository\n    url: oci://ghcr.io/me/ops\n"
                "    path: clusters/{name}\n")
    tenants = _ks("tenants", "./tenants").replace("kind: GitRepository", "kind: OCIRepository")
    model = _model({
        ".github/workflows/push.yaml": "steps:\n  - run: flux push artifact oci://x/ops:v1 --path=./kubernetes\n",
        "kubernetes/clusters/nova/flux-system/instance.yaml": instance.format(name="nova"),
        "kubernetes/clusters/nova/tenants.yaml": tenants,
        "kubernetes/clusters/update/flux-system/instance.yaml": instance.format(name="update"),
        "kubernetes/tenants/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tenant-settings\n",
    })
    assert [(c.name, c.folder) for c in model.clusters] == [("nova", "kubernetes/clusters/nova"),
                                                            ("update", "kubernetes/clusters/update")]
    nova = model.clusters[0]
    assert nova.renders["Kustomization/flux-system/tenants"].folder == "kubernetes/tenants"
    assert nova.find("ConfigMap", "flux-system", "tenant-settings")
    assert [p for p in model.problems if p.rule == "structure/path-missing"] == []


def test_a_loop_of_kustomizations_applied_by_hand_still_has_a_root() -> None:
    def oci(text: str) -> str:
        return text.replace("kind: GitRepository\n    name: flux-system", "kind: OCIRepository\n    name: default")

    model = _model({
        ".github/workflows/publish.yaml": "run: flux push artifact $OCI_REPO:main --path=./\n",
        "flux/cluster-apps.yaml": oci(_ks("cluster-apps", "./gitops")),
        "gitops/flux.yaml": oci(_ks("flux", "./flux")),
        "gitops/app.yaml": oci(_ks("app", "./apps/app")),
        "apps/app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    })
    assert sorted(model.clusters[0].renders) == [
        "Kustomization/flux-system/app", "Kustomization/flux-system/cluster-apps", "Kustomization/flux-system/flux"]


def test_a_snapshot_of_a_subfolder_strips_the_prefix_its_paths_carry() -> None:
    snap = RepoSnapshot.from_mapping({"apps/cm.yaml": "", "infra/cm.yaml": ""})
    roots = [_root("apps", "x.yaml"), _root("infra", "y.yaml")]
    roots[0].body["spec"]["path"] = "./tests/data/apps"
    roots[1].body["spec"]["path"] = "./tests/data/infra"
    assert checkout_prefix(roots, snap) == "tests/data"
    roots[1].body["spec"]["path"] = "./infra"
    assert checkout_prefix(roots, snap) == ""  # one path resolves as written: a lone typo is not a prefix


def test_artifact_generator_copies_from_this_repository() -> None:
    generator = load_yaml("g.yaml", b"""\
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: split, namespace: flux-system}
spec:
  sources:
    - {alias: repo, kind: GitRepository, name: flux-system}
    - {alias: other, kind: GitRepository, name: upstream}
  artifacts:
    - name: apps
      copy:
        - {from: "@repo/apps/**", to: "@artifact/"}
        - {from: "@other/x/**", to: "@artifact/x"}
""").docs[0]
    obj = KubeObject(generator.root, "g.yaml", 0, "flux-system")
    copies = generated_artifacts([obj], lambda kind, namespace, name: name == "flux-system")
    assert copies == {"apps": [("", "apps")]}


def test_synced_folders_exist_and_skip_archives_and_other_source_kinds() -> None:
    instance = ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
                "spec:\n  sync:\n    kind: {kind}\n    url: x\n    path: {path}\n")
    files = {
        "a/instance.yaml": instance.format(kind="GitRepository", path="clusters/prod"),
        "b/instance.yaml": instance.format(kind="GitRepository", path="clusters/gone"),
        ".archive/instance.yaml": instance.format(kind="GitRepository", path="clusters/old"),
        "c/instance.yaml": instance.format(kind="Bucket", path="clusters/prod"),
    }
    snap = RepoSnapshot.from_mapping({**files, "clusters/prod/a.yaml": "", "clusters/old/a.yaml": ""})
    loaded = {path: load_yaml(path, text.encode()) for path, text in files.items()}
    found = synced_folders(loaded, snap, lambda kind, path: path)
    assert list(found) == ["clusters/prod"] and found["clusters/prod"].file == "a/instance.yaml"


def test_feature_gates_switched_on_anywhere_in_the_repository() -> None:
    files = {
        "a.yaml": "args:\n  - --feature-gates=CancelHealthCheckOnNewRevision=true,Other=false\n",
        "b.yaml": "value: --feature-gates=DisableStatusPollerCache\n",
        "c.yaml": "kind: ConfigMap\n",
    }
    loaded = {path: load_yaml(path, text.encode()) for path, text in files.items()}
    assert enabled_feature_gates(loaded) == {"CancelHealthCheckOnNewRevision", "DisableStatusPollerCache"}


def test_the_configured_artifact_root_replaces_what_ci_shows() -> None:
    instance = ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
                "  namespace: flux-system\nspec:\n  sync:\n    kind: OCIRepository\n    url: oci://ghcr.io/me/ops\n"
                "    path: clusters/nova\n")
    tenants = _ks("tenants", "./tenants").replace("kind: GitRepository", "kind: OCIRepository")
    files = {
        "kubernetes/clusters/nova/flux-system/instance.yaml": instance,
        "kubernetes/clusters/nova/tenants.yaml": tenants,
        "kubernetes/tenants/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tenant-settings\n",
    }
    # Another repository's pipeline builds the artifact: nothing here shows the subfolder.
    unseen = build_model(RepoSnapshot.from_mapping(files), Config())
    assert [p for p in unseen.problems if p.rule == "structure/path-missing"] != []
    model = build_model(RepoSnapshot.from_mapping(files), Config(artifact_root="./kubernetes/"))
    assert model.facts.oci_root == "kubernetes"
    [nova] = model.clusters
    assert nova.renders["Kustomization/flux-system/tenants"].folder == "kubernetes/tenants"
    assert [p for p in model.problems if p.rule == "structure/path-missing"] == []
    assert artifact_root([PushedArtifact("deploy", "ci.yaml", 3)], configured=".") == ""


def test_a_source_of_this_repositorys_url_under_another_name_reads_this_repository() -> None:
    instance = ("apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
                "  namespace: flux-system\nspec:\n  sync:\n    kind: OCIRepository\n"
                "    url: oci://ghcr.io/me/ops\n    ref: latest\n    path: clusters/nova\n")
    tenant_source = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n"
                     "  name: infrastructure\n  namespace: team-a\nspec:\n  interval: 5m\n"
                     "  url: oci://ghcr.io/Me/ops/\n  ref:\n    tag: v1\n")
    tenant = _ks("team-a", "./infrastructure/team-a", namespace="team-a").replace(
        "kind: GitRepository\n    name: flux-system", "kind: OCIRepository\n    name: infrastructure")
    files = {
        ".github/workflows/push.yaml": "run: flux push artifact oci://ghcr.io/me/ops:v1 --path=./kubernetes\n",
        "kubernetes/clusters/nova/flux-system/instance.yaml": instance,
        "kubernetes/clusters/nova/tenant.yaml": tenant_source + "---\n" + tenant,
        "kubernetes/infrastructure/team-a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    }
    model = _model(files)
    [nova] = model.clusters
    node = nova.renders["Kustomization/team-a/team-a"]
    assert not node.external and node.folder == "kubernetes/infrastructure/team-a"
    assert nova.find("ConfigMap", "team-a", "a")
    # Another URL is another repository: its content is not known here.
    files["kubernetes/clusters/nova/tenant.yaml"] = tenant_source.replace("Me/ops", "Me/other") + "---\n" + tenant
    assert _model(files).clusters[0].renders["Kustomization/team-a/team-a"].external


def test_a_git_source_of_the_configured_url_under_another_name_reads_this_repository() -> None:
    source = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: policies\n"
              "  namespace: apps\nspec:\n  interval: 5m\n  url: https://github.com/acme/fleet.git\n"
              "  ref:\n    branch: main\n")
    reader = _ks("policies", "./policies", namespace="apps").replace("name: flux-system", "name: policies")
    files = {
        "clusters/prod/policies.yaml": source + "---\n" + reader,
        "policies/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\n",
    }
    unknown = build_model(RepoSnapshot.from_mapping(files), Config())
    assert unknown.clusters[0].renders["Kustomization/apps/policies"].external
    known = build_model(RepoSnapshot.from_mapping(files), Config(repository_url="git@github.com:acme/fleet"))
    node = known.clusters[0].renders["Kustomization/apps/policies"]
    assert not node.external and known.clusters[0].find("ConfigMap", "apps", "p")


def test_urls_of_one_repository_normalise_alike_and_a_credential_in_one_is_not_remembered() -> None:
    import checks.layout as layout

    assert normalise_url("https://GitHub.com/Org/Repo.git/") == normalise_url("ssh://git@github.com/org/repo") \
        == normalise_url("git@github.com:org/repo") == "github.com/org/repo"
    remembered = layout._normalised.cache_info().currsize
    assert normalise_url("https://user:s3cret@git.example.com/org/repo.git") == "git.example.com/org/repo"
    assert layout._normalised.cache_info().currsize == remembered  # a URL with a user part is not kept

