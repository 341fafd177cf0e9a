"""The name of a repository's one cluster: what the repository says, else its folder, never "default"."""

from __future__ import annotations

from rule_support import findings

from checks.cluster_name import counterpart, of_folder, stated
from checks.config import Config
from checks.model import KubeObject
from checks.repo import build_model
from checks.report.layout import render_text
from checks.source import RepoSnapshot
from checks.yaml_docs import load_yaml


def _ks(name: str, spec_path: str, substitute: str = "") -> str:
    post_build = f"  postBuild:\n    substitute:\n{substitute}" if substitute else ""
    return (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
            f"  namespace: flux-system\nspec:\n  interval: 10m\n  path: {spec_path}\n  prune: true\n"
            f"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{post_build}")


def _settings(name: str, kind: str = "ConfigMap") -> str:
    return (f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: cluster-settings\n  namespace: flux-system\n"
            f"data:\n  TIMEZONE: Europe/Paris\n  CLUSTER_NAME: {name}\n")


HOME_OPS = {
    "kubernetes/flux/cluster/ks.yaml": _ks("cluster-apps", "./kubernetes/apps"),
    "kubernetes/apps/default/echo/ks.yaml": _ks("echo", "./kubernetes/apps/default/echo/app"),
    "kubernetes/apps/default/echo/app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: echo\n",
}


def _model(files: dict[str, str]):
    return build_model(RepoSnapshot.from_mapping(files), Config())


def _names(files: dict[str, str]) -> list[str]:
    return [cluster.name for cluster in _model(files).clusters]


def test_the_cluster_settings_name_the_cluster() -> None:
    files = {**HOME_OPS, "kubernetes/components/vars/cluster-settings.yaml": _settings("main")}
    model = _model(files)
    assert [c.name for c in model.clusters] == ["main"]
    assert model.clusters[0].named_from == "`CLUSTER_NAME` at kubernetes/components/vars/cluster-settings.yaml:8"
    assert "  named after:  `CLUSTER_NAME` at kubernetes/components/vars/cluster-settings.yaml:8" in render_text(model)


def test_a_substitution_written_in_a_kustomization_names_it_too() -> None:
    files = {**HOME_OPS, "kubernetes/flux/cluster/ks.yaml": _ks(
        "cluster-apps", "./kubernetes/apps", "      CLUSTER_NAME: home\n")}
    assert _names(files) == ["home"]


def test_talos_configuration_names_the_cluster_when_flux_does_not() -> None:
    talconfig = "---\nclusterName: cosmere\ntalosVersion: v1.9.0\nnodes:\n  - hostname: a\n"
    template = "machine:\n  token: op://x\ncluster:\n  clusterName: main\n  controlPlane:\n    endpoint: x\n"
    assert _names({**HOME_OPS, "talos/talconfig.yaml": talconfig}) == ["cosmere"]
    assert _names({**HOME_OPS, "talos/cluster.yaml.j2": template}) == ["main"]
    # Flux's own variable wins over the machines' configuration.
    assert _names({**HOME_OPS, "talos/talconfig.yaml": talconfig,
                   "kubernetes/vars.yaml": _settings("cosmere-prod")}) == ["cosmere-prod"]


def test_names_that_disagree_or_are_templates_name_nothing() -> None:
    two = {**HOME_OPS, "a/settings.yaml": _settings("blue"), "b/settings.yaml": _settings("green")}
    assert _names(two) == ["kubernetes/apps"]
    template = {**HOME_OPS, "talos/talconfig.yaml": "clusterName: ${CLUSTER}\n",
                "kubernetes/vars.yaml": _settings("'{{ .cluster }}'")}
    assert _names(template) == ["kubernetes/apps"]


def test_secrets_archives_and_ignored_files_name_nothing() -> None:
    files = {**HOME_OPS, "kubernetes/flux/vars/secret.yaml": _settings("hidden", kind="Secret"),
             ".archive/old/settings.yaml": _settings("old"),
             "docs/settings.yaml": _settings("docs"), ".sourceignore": "docs/\n"}
    assert _names(files) == ["kubernetes/apps"]


def test_without_a_stated_name_the_cluster_is_named_after_its_folder() -> None:
    model = _model(HOME_OPS)
    assert [c.name for c in model.clusters] == ["kubernetes/apps"]
    assert model.clusters[0].named_from == "its folder"
    assert "\ncluster kubernetes/apps\n  found as:" in render_text(model)


def test_several_clusters_keep_their_folder_names() -> None:
    files = {f"clusters/{name}/apps.yaml": _ks("apps", f"./clusters/{name}") for name in ("prod", "staging")}
    files["kubernetes/vars.yaml"] = _settings("prod")
    model = _model(files)
    assert [c.name for c in model.clusters] == ["prod", "staging"]
    assert [c.named_from for c in model.clusters] == ["", ""]


def _root(path: str, spec_path: object) -> KubeObject:
    text = _ks("apps", "x").replace("path: x", f"path: {spec_path}")
    return KubeObject(load_yaml(path, text.encode()).docs[0].root, path, 0, "flux-system")


def test_folder_fallbacks() -> None:
    assert of_folder("kubernetes/flux/cluster", []) == "kubernetes/flux/cluster"
    assert of_folder("", [_root("flux/a.yaml", "./clusters/home/apps"),
                          _root("flux/b.yaml", "./clusters/home/infra")]) == "clusters/home"
    # Roots rendering the whole repository: the folder they are written in.
    assert of_folder("", [_root("flux/system/a.yaml", "./")]) == "flux/system"
    assert of_folder("", [_root("a.yaml", "./"), _root("b/c.yaml", "./")]) == "repository"


def test_stated_reads_nothing_from_a_repository_without_names() -> None:
    snapshot = RepoSnapshot.from_mapping(HOME_OPS)
    assert stated([], snapshot) is None


def test_a_change_renaming_the_lone_cluster_is_still_reviewed_against_its_base() -> None:
    base = {**HOME_OPS, "kubernetes/vars.yaml": _settings("blue"),
            "kubernetes/apps/infra/ks.yaml": _ks("infra", "./kubernetes/apps/default/echo/app"),
            "kubernetes/apps/web/ks.yaml": _ks("web", "./kubernetes/apps/default/echo/app").replace(
                "  prune: true\n", "  prune: true\n  dependsOn:\n    - name: infra\n")}
    head = {path: text for path, text in base.items() if path != "kubernetes/apps/infra/ks.yaml"}
    head["kubernetes/vars.yaml"] = _settings("green")
    assert _names(head) == ["green"]
    [deleted] = findings(head, "dependency/deleted-target", base=base)
    assert deleted.path == "kubernetes/apps/web/ks.yaml"
    assert findings(head, "dependency/missing-target", base=base) == []


def test_counterparts() -> None:
    blue, green = _model({**HOME_OPS, "v.yaml": _settings("blue")}), _model({**HOME_OPS, "v.yaml": _settings("green")})
    assert counterpart("green", green.clusters, blue.clusters) is blue.clusters[0]
    assert counterpart("nope", green.clusters, blue.clusters) is None
    several = _model({f"clusters/{name}/apps.yaml": _ks("apps", f"./clusters/{name}") for name in ("prod", "dev")})
    only_prod = _model({"clusters/prod/apps.yaml": _ks("apps", "./clusters/prod")})
    assert counterpart("prod", several.clusters, only_prod.clusters) is only_prod.clusters[0]
    assert counterpart("dev", several.clusters, only_prod.clusters) is None
    # A folder-named cluster is not the lone cluster of another layout.
    assert counterpart("prod", only_prod.clusters, blue.clusters) is None


def test_a_snapshot_of_a_subfolder_names_its_folder_without_the_prefix() -> None:
    root = _root("cluster/flux-system/gotk-sync.yaml", "./tests/data/one/cluster")
    assert of_folder("", [root], prefix="tests/data/one") == "cluster"
    assert of_folder("", [root], prefix="tests/data/other") == "tests/data/one/cluster"
