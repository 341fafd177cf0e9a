"""The repository model: clusters, the render tree, namespaces and effective objects."""

from __future__ import annotations

import gc
import textwrap
import weakref
from collections.abc import Callable

import pytest

from checks.config import Config
from checks.model import KubeObject
from checks.repo import Cluster, RepoModel
from checks.yaml_docs import Pos

Model = Callable[..., RepoModel]


def ks(name: str, path: str, namespace: str | None = "flux-system", extra: str = "",
       source: str = "flux-system", kind: str = "GitRepository", source_namespace: str | None = None) -> str:
    """A Flux Kustomization (spec starts on line 6, extra spec from line 13 or 14)."""
    ns = f"\n  namespace: {namespace}" if namespace else ""
    source_ns = f"\n    namespace: {source_namespace}" if source_namespace else ""
    more = textwrap.indent(textwrap.dedent(extra), "  ") if extra else ""
    return (f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}{ns}\n"
            f"spec:\n  interval: 10m\n  path: {path}\n  prune: true\n  sourceRef:\n    kind: {kind}\n"
            f"    name: {source}{source_ns}\n{more}")


def cm(name: str, namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{ns}\n"


def hr(name: str, namespace: str | None = None, extra: str = "") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    more = textwrap.indent(textwrap.dedent(extra), "  ") if extra else ""
    return (f"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}{ns}\n"
            f"spec:\n  interval: 15m\n  chartRef:\n    kind: OCIRepository\n    name: {name}\n{more}")


def one(cluster: Cluster, kind: str, namespace: str | None, name: str) -> KubeObject:
    found = cluster.find(kind, namespace, name)
    assert len(found) == 1, sorted(o.id for o in cluster.objects)
    return found[0]


def ids(cluster: Cluster, implicit: bool = False) -> set[str]:
    return {o.id for o in cluster.objects if implicit or not o.implicit}


def problems(model: RepoModel) -> list[tuple[str, str, int]]:
    return [(p.rule, p.path, p.line) for p in model.problems]


# -- namespace resolution ------------------------------------------------------------------------------

def test_namespace_from_the_object_itself(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "apps/cm.yaml": cm("settings", namespace="web"),
    })
    obj = one(model.clusters[0], "ConfigMap", "web", "settings")
    assert obj.namespace_source == "own"
    assert obj.rendered_by == "Kustomization/flux-system/apps"


def test_namespace_from_the_kustomization_file_overrides_the_objects_own(model_of: Model) -> None:
    # kustomize's namespace transformer replaces an object's own namespace (upstream
    # behaviour), so `namespace:` in kustomization.yaml wins over metadata.namespace.
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "apps/kustomization.yaml": "namespace: web\nresources:\n  - objects.yaml\n",
        "apps/objects.yaml": cm("plain") + "---\n" + cm("own", namespace="elsewhere"),
    })
    cluster = model.clusters[0]
    plain = one(cluster, "ConfigMap", "web", "plain")
    own = one(cluster, "ConfigMap", "web", "own")
    assert plain.namespace_source == own.namespace_source == "kustomization.yaml"
    assert own.pos("metadata", "namespace") == Pos("apps/kustomization.yaml", 1, 1)
    assert not cluster.find("ConfigMap", "elsewhere", "own")
    # As written (unrendered view), the object keeps its own namespace.
    assert {o.id for o in model.objects if o.kind == "ConfigMap"} == {"ConfigMap/elsewhere/own",
                                                                       "ConfigMap/plain"}


def test_target_namespace_overrides_every_namespaced_object(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps", extra="targetNamespace: tenant\n"),
        "apps/kustomization.yaml": "namespace: web\nresources:\n  - objects.yaml\n  - child.yaml\n",
        "apps/objects.yaml": "\n---\n".join([
            cm("plain"), cm("own", namespace="elsewhere"),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tenant\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n",
        ]),
        "apps/child.yaml": ks("child", "./child", namespace="flux-system", source_namespace="flux-system"),
        "child/cm.yaml": cm("from-child"),
    })
    cluster = model.clusters[0]
    for name in ("plain", "own"):
        obj = one(cluster, "ConfigMap", "tenant", name)
        assert obj.namespace_source == "targetNamespace"
        assert obj.pos("metadata", "namespace") == Pos("clusters/prod/apps.yaml", 13, 13)
    assert one(cluster, "Namespace", None, "tenant").id == "Namespace/tenant"
    assert one(cluster, "ClusterRole", None, "reader").id == "ClusterRole/reader"
    # The child Flux Kustomization moves too, and its own objects default to its new namespace.
    child = one(cluster, "Kustomization", "tenant", "child")
    assert child.namespace_source == "targetNamespace"
    assert not cluster.find("Kustomization", "flux-system", "child")
    from_child = one(cluster, "ConfigMap", "tenant", "from-child")
    assert from_child.namespace_source == "parent"
    assert from_child.rendered_by == "Kustomization/tenant/child"


def test_clusters_that_build_one_folder_with_their_own_patches_each_render_their_own(model_of: Model) -> None:
    # staging and production both name ./apps: what the folder renders is shared, each cluster's
    # targetNamespace and patch reach only its own objects, and the folder's own patch reaches both.
    patch = """\
        patches:
          - patch: |
              - op: add
                path: /data
                value: {tier: gold}
            target:
              kind: ConfigMap
              name: plain
        """
    model = model_of({
        "clusters/staging/apps.yaml": ks("apps", "./apps", extra="targetNamespace: staging\n"),
        "clusters/production/apps.yaml": ks("apps", "./apps",
                                            extra="targetNamespace: production\n" + textwrap.dedent(patch)),
        "apps/kustomization.yaml": "namespace: web\nresources:\n  - objects.yaml\npatches:\n  - target:\n"
                                   "      name: own\n    patch: |\n      - op: add\n        path: /data\n"
                                   "        value: {from: file}\n",
        "apps/objects.yaml": "\n---\n".join([cm("plain"), cm("own")]),
    })
    staging, production = (next(c for c in model.clusters if c.name == name) for name in ("staging", "production"))
    assert one(production, "ConfigMap", "production", "plain").get("data") == {"tier": "gold"}
    assert one(staging, "ConfigMap", "staging", "plain").get("data") is None
    for cluster in (staging, production):
        own = one(cluster, "ConfigMap", cluster.name, "own")
        assert own.get("data") == {"from": "file"} and own.namespace_source == "targetNamespace"
    written = [o for o in model.objects if o.path == "apps/objects.yaml"]
    assert [(o.get("metadata", "namespace"), o.get("data")) for o in written] == [(None, None), (None, None)]


def test_namespace_defaults_to_the_rendering_kustomizations_own(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps", namespace="team-a", source_namespace="flux-system"),
        "apps/cm.yaml": cm("settings"),
        "apps/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n",
    })
    cluster = model.clusters[0]
    settings = one(cluster, "ConfigMap", "team-a", "settings")
    assert settings.namespace_source == "parent"
    assert one(cluster, "Namespace", None, "team-a").namespace is None


def test_a_kustomization_without_a_namespace_takes_its_parents(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps", namespace=None),
        "apps/cm.yaml": cm("settings"),
    })
    cluster = model.clusters[0]
    assert one(cluster, "Kustomization", "flux-system", "apps").namespace_source == "parent"
    assert one(cluster, "ConfigMap", "flux-system", "settings").rendered_by == "Kustomization/flux-system/apps"


def test_a_root_kustomization_without_a_namespace_renders_into_default(model_of: Model) -> None:
    model = model_of({"flux/apps.yaml": ks("apps", "./apps", namespace=None), "apps/cm.yaml": cm("settings")})
    assert one(model.clusters[0], "ConfigMap", "default", "settings").namespace_source == "parent"


# -- the render tree -------------------------------------------------------------------------------------

def test_render_tree_without_a_kustomization_file(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "apps/b.yaml": cm("b"),
        "apps/a.yaml": cm("a"),
        "apps/nested/c.yaml": cm("c"),
        "apps/podinfo/kustomization.yaml": "resources:\n  - release.yaml\n",
        "apps/podinfo/release.yaml": hr("podinfo"),
        "apps/podinfo/unlisted.yaml": cm("unlisted"),
        "apps/README.md": "# not yaml\n",
    })
    cluster = model.clusters[0]
    assert list(cluster.renders) == ["Kustomization/flux-system/flux-system", "Kustomization/flux-system/apps"]
    node = cluster.renders["Kustomization/flux-system/apps"]
    assert node.folder == "apps" and not node.external
    assert node.build is not None
    assert [o.body["metadata"]["name"] for o in node.build.objects] == ["a", "b", "c", "podinfo"]
    assert node.build.generated_folders == {"apps"}
    assert node.build.kustomization_files == {"apps/podinfo/kustomization.yaml"}
    assert "apps/podinfo/unlisted.yaml" not in cluster.rendered_files
    assert [o.id for o in model.unrendered_objects()] == ["ConfigMap/unlisted"]


def test_render_tree_with_a_kustomization_file(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "apps/kustomization.yaml": "resources:\n  - podinfo\n  - ../shared/cm.yaml\n",
        "apps/podinfo/kustomization.yaml": "resources:\n  - release.yaml\n",
        "apps/podinfo/release.yaml": hr("podinfo"),
        "apps/extra.yaml": cm("not-listed"),
        "shared/cm.yaml": cm("shared"),
    })
    cluster = model.clusters[0]
    node = cluster.renders["Kustomization/flux-system/apps"]
    assert node.build is not None and node.build.generated_folders == set()
    assert ids(cluster) >= {"HelmRelease/flux-system/podinfo", "ConfigMap/flux-system/shared"}
    assert not cluster.find("ConfigMap", "flux-system", "not-listed")
    assert cluster.rendered_files >= {"apps/kustomization.yaml", "apps/podinfo/kustomization.yaml",
                                      "apps/podinfo/release.yaml", "shared/cm.yaml"}


def test_children_are_rendered_in_turn(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/infra.yaml": ks("infra", "./infra"),
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "infra/controllers.yaml": ks("controllers", "./infra/controllers"),
        "infra/controllers/cm.yaml": cm("controller-settings"),
        "apps/cm.yaml": cm("app-settings"),
    })
    cluster = model.clusters[0]
    root = cluster.renders["Kustomization/flux-system/flux-system"]
    assert root.kustomization.implicit
    assert root.children == ["Kustomization/flux-system/apps", "Kustomization/flux-system/infra"]
    infra = cluster.renders["Kustomization/flux-system/infra"]
    assert infra.children == ["Kustomization/flux-system/controllers"]
    # A parent renders its subfolders too (Flux's walk recurses), and the child renders them again.
    settings = cluster.find("ConfigMap", "flux-system", "controller-settings")
    assert sorted(o.rendered_by or "" for o in settings) == ["Kustomization/flux-system/controllers",
                                                             "Kustomization/flux-system/infra"]


def test_flux_components_and_generators_render(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps", extra="""\
            components:
              - ../components/monitoring
            """),
        "apps/kustomization.yaml": """\
            resources:
              - release.yaml
            configMapGenerator:
              - name: podinfo-values
                files:
                  - values.yaml
            secretGenerator:
              - name: podinfo-auth
                envs:
                  - auth.env
            """,
        "apps/release.yaml": hr("podinfo"),
        "apps/values.yaml": "replicaCount: 2\n",
        "apps/auth.env": "TOKEN=x\n",
        "components/monitoring/kustomization.yaml": """\
            apiVersion: kustomize.config.k8s.io/v1alpha1
            kind: Component
            resources:
              - monitor.yaml
            patches:
              - target:
                  kind: HelmRelease
                patch: |
                  - op: add
                    path: /spec/values
                    value: {monitoring: true}
            """,
        "components/monitoring/monitor.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
                                              "metadata:\n  name: podinfo\n",
    })
    cluster = model.clusters[0]
    assert one(cluster, "ConfigMap", "flux-system", "podinfo-values").path == "apps/kustomization.yaml"
    assert one(cluster, "Secret", "flux-system", "podinfo-auth").body.pos.line == 8
    assert one(cluster, "ServiceMonitor", "flux-system", "podinfo")
    release = one(cluster, "HelmRelease", "flux-system", "podinfo")
    assert release.get("spec", "values") == {"monitoring": True}
    assert release.pos("spec", "values").path == "components/monitoring/kustomization.yaml"
    assert problems(model) == []


def test_missing_resources_and_paths_are_findings_at_their_lines(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps") + "---\n" + ks("typo", "./infra/controlers"),
        "apps/kustomization.yaml": "resources:\n  - present.yaml\n  - absent.yaml\n"
                                   "  - https://example.com/remote.yaml\n",
        "apps/present.yaml": cm("present"),
        "infra/controllers/cm.yaml": cm("c"),
    })
    assert problems(model) == [
        ("structure/resource-missing", "apps/kustomization.yaml", 3),
        ("structure/path-missing", "clusters/prod/apps.yaml", 21),
    ]
    missing = model.problems[1]
    assert missing.object == "Kustomization/flux-system/typo"
    assert "Did you mean `./infra/controllers`?" in missing.message
    remote = model.clusters[0].renders["Kustomization/flux-system/apps"].build.remote  # type: ignore[union-attr]
    assert [(r.path, r.line, r.url) for r in remote] == [
        ("apps/kustomization.yaml", 4, "https://example.com/remote.yaml")]


def test_kustomizations_of_external_sources_are_not_rendered(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./deploy", source="other-repo"),
        "clusters/prod/source.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
                                     "metadata:\n  name: other-repo\n  namespace: flux-system\n"
                                     "spec:\n  url: https://github.com/example/other\n",
    })
    node = model.clusters[0].renders["Kustomization/flux-system/apps"]
    assert node.external and node.build is None and node.folder is None
    assert problems(model) == []  # ./deploy is not a folder of *this* repository, and that is fine


# -- effective objects: parent patches --------------------------------------------------------------------

PARENT = ks("cluster-apps", "./apps", extra="""\
    patches:
      - patch: |-
          apiVersion: kustomize.toolkit.fluxcd.io/v1
          kind: Kustomization
          metadata:
            name: _
          spec:
            interval: 30m
            decryption:
              provider: sops
              secretRef:
                name: sops-age
            postBuild:
              substituteFrom:
                - kind: ConfigMap
                  name: cluster-settings
            patches:
              - patch: |-
                  apiVersion: helm.toolkit.fluxcd.io/v2
                  kind: HelmRelease
                  metadata:
                    name: _
                  spec:
                    install:
                      crds: CreateReplace
                target:
                  group: helm.toolkit.fluxcd.io
                  kind: HelmRelease
        target:
          group: kustomize.toolkit.fluxcd.io
          kind: Kustomization
    """)

NESTED = {
    "clusters/home/cluster-apps.yaml": PARENT,
    "apps/kustomization.yaml": "resources:\n  - web/podinfo/ks.yaml\n  - db/postgres/ks.yaml\n",
    "apps/web/podinfo/ks.yaml": ks("podinfo", "./apps/web/podinfo/app", extra="targetNamespace: web\n"),
    "apps/web/podinfo/app/helmrelease.yaml": hr("podinfo"),
    "apps/db/postgres/ks.yaml": ks("postgres", "./apps/db/postgres/app", extra="""\
        targetNamespace: db
        postBuild:
          substitute:
            VERSION: "16"
        """),
    "apps/db/postgres/app/helmrelease.yaml": hr("postgres", extra="install:\n  timeout: 10m\n"),
}


def test_parent_patches_reach_a_childs_interval_decryption_and_postbuild(model_of: Model) -> None:
    model = model_of(NESTED)
    cluster = model.clusters[0]
    podinfo = one(cluster, "Kustomization", "flux-system", "podinfo")
    assert podinfo.get("spec", "interval") == "30m"
    assert podinfo.pos("spec", "interval") == Pos("clusters/home/cluster-apps.yaml", 20, 20)
    assert podinfo.key_pos("spec", "interval") == Pos("clusters/home/cluster-apps.yaml", 20, 20)
    assert podinfo.get("spec", "decryption") == {"provider": "sops", "secretRef": {"name": "sops-age"}}
    assert podinfo.pos("spec", "decryption", "provider") == Pos("clusters/home/cluster-apps.yaml", 22, 22)
    assert podinfo.pos("spec", "postBuild", "substituteFrom", 0, "name") == Pos(
        "clusters/home/cluster-apps.yaml", 28, 28)
    # The child's own values keep their place.
    assert podinfo.pos("spec", "path") == Pos("apps/web/podinfo/ks.yaml", 8, 8)
    assert problems(model) == []


def test_parent_patches_merge_with_what_the_child_wrote(model_of: Model) -> None:
    postgres = one(model_of(NESTED).clusters[0], "Kustomization", "flux-system", "postgres")
    assert postgres.get("spec", "postBuild") == {
        "substitute": {"VERSION": "16"},
        "substituteFrom": [{"kind": "ConfigMap", "name": "cluster-settings"}],
    }
    assert postgres.pos("spec", "postBuild", "substitute", "VERSION").path == "apps/db/postgres/ks.yaml"
    assert postgres.pos("spec", "postBuild", "substituteFrom").path == "clusters/home/cluster-apps.yaml"
    assert postgres.get("spec", "interval") == "30m"  # the patch replaces the child's own 10m


def test_nested_patches_reach_the_grandchildren(model_of: Model) -> None:
    cluster = model_of(NESTED).clusters[0]
    podinfo = one(cluster, "HelmRelease", "web", "podinfo")
    assert podinfo.rendered_by == "Kustomization/flux-system/podinfo"
    assert podinfo.get("spec", "install") == {"crds": "CreateReplace"}
    assert podinfo.pos("spec", "install", "crds") == Pos("clusters/home/cluster-apps.yaml", 37, 37)
    postgres = one(cluster, "HelmRelease", "db", "postgres")
    assert postgres.get("spec", "install") == {"timeout": "10m", "crds": "CreateReplace"}
    assert postgres.pos("spec", "install", "timeout").path == "apps/db/postgres/app/helmrelease.yaml"
    # The parent's patch only reaches objects its targets match.
    assert one(cluster, "Kustomization", "flux-system", "cluster-apps").get("spec", "interval") == "10m"


def test_patched_objects_do_not_change_the_files_as_written(model_of: Model) -> None:
    model = model_of(NESTED)
    written = [o for o in model.objects if o.kind == "Kustomization" and o.name == "podinfo"]
    assert [o.get("spec", "interval") for o in written] == ["10m"]
    assert written[0].get("spec", "decryption") is None


def test_legacy_flux_patch_fields_apply(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps", extra="""\
            patchesStrategicMerge:
              - apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: podinfo
                spec:
                  interval: 1h
            patchesJson6902:
              - target:
                  kind: HelmRelease
                  name: podinfo
                patch:
                  - op: add
                    path: /spec/timeout
                    value: 5m
            """),
        "apps/release.yaml": hr("podinfo"),
    })
    release = one(model.clusters[0], "HelmRelease", "flux-system", "podinfo")
    assert release.get("spec", "interval") == "1h"
    assert release.pos("spec", "interval") == Pos("clusters/prod/apps.yaml", 19, 19)
    assert release.get("spec", "timeout") == "5m"
    assert release.pos("spec", "timeout") == Pos("clusters/prod/apps.yaml", 27, 27)


# -- clusters --------------------------------------------------------------------------------------------

FLEET = {
    "clusters/staging/flux-system/gotk-sync.yaml": textwrap.dedent("""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: flux-system
          namespace: flux-system
        spec:
          interval: 1m
          url: ssh://git@github.com/example/fleet
          ref:
            branch: main
        ---
        """) + ks("flux-system", "./clusters/staging"),
    "clusters/staging/flux-system/kustomization.yaml": "resources:\n  - gotk-sync.yaml\n",
    "clusters/staging/apps.yaml": ks("apps", "./apps/staging"),
    "clusters/production/apps.yaml": ks("apps", "./apps/production"),
    "apps/base/kustomization.yaml": "resources:\n  - release.yaml\n",
    "apps/base/release.yaml": hr("podinfo", namespace="web"),
    "apps/staging/kustomization.yaml": "resources:\n  - ../base\n  - staging-only.yaml\n",
    "apps/staging/staging-only.yaml": cm("debug", namespace="web"),
    "apps/production/kustomization.yaml": "resources:\n  - ../base\n",
}


def test_each_clusters_folder_is_a_cluster(model_of: Model) -> None:
    model = model_of(FLEET)
    assert [(c.name, c.root) for c in model.clusters] == [("production", "clusters/production"),
                                                          ("staging", "clusters/staging")]
    production, staging = model.clusters
    assert one(production, "HelmRelease", "web", "podinfo").cluster == "production"
    assert one(staging, "HelmRelease", "web", "podinfo").cluster == "staging"
    assert one(staging, "ConfigMap", "web", "debug")
    assert not production.find("ConfigMap", "web", "debug")
    assert model.rendered_files >= {"apps/staging/staging-only.yaml", "apps/base/release.yaml"}


def test_bootstrap_objects_exist_implicitly(model_of: Model) -> None:
    production, staging = model_of(FLEET).clusters
    for kind, namespace in (("Namespace", None), ("GitRepository", "flux-system"),
                            ("Kustomization", "flux-system")):
        assert one(production, kind, namespace, "flux-system").implicit
    # Staging's gotk-sync.yaml defines two of them: those are real, the Namespace is implicit.
    assert not one(staging, "GitRepository", "flux-system", "flux-system").implicit
    assert not one(staging, "Kustomization", "flux-system", "flux-system").implicit
    assert one(staging, "Namespace", None, "flux-system").implicit


def test_implicit_objects_are_left_out_of_all_objects(model_of: Model) -> None:
    model = model_of(FLEET)
    everything = list(model.all_objects())
    assert not any(o.implicit for o in everything)
    assert {o.id for o in everything} >= {"HelmRelease/web/podinfo", "Kustomization/flux-system/apps",
                                          "GitRepository/flux-system/flux-system"}


def test_configured_cluster_roots(model_of: Model) -> None:
    files = {
        "fleet/eu/apps.yaml": ks("apps", "./apps"),
        "fleet/us/apps.yaml": ks("apps", "./apps"),
        "fleet/us/nested/ignored.yaml": cm("x"),
        "apps/cm.yaml": cm("shared"),
    }
    model = model_of(files, Config(cluster_roots=("fleet/*",)))
    assert [(c.name, c.root) for c in model.clusters] == [("eu", "fleet/eu"), ("us", "fleet/us")]
    for cluster in model.clusters:
        assert one(cluster, "ConfigMap", "flux-system", "shared").cluster == cluster.name


def test_without_clusters_the_unrendered_kustomizations_are_the_roots(model_of: Model) -> None:
    model = model_of({
        "kubernetes/flux/cluster/ks.yaml": ks("cluster-apps", "./kubernetes/apps"),
        "kubernetes/apps/web/podinfo/ks.yaml": ks("podinfo", "./kubernetes/apps/web/podinfo/app"),
        "kubernetes/apps/web/podinfo/app/kustomization.yaml": "resources:\n  - release.yaml\n",
        "kubernetes/apps/web/podinfo/app/release.yaml": hr("podinfo", namespace="web"),
        "kubernetes/apps/web/kustomization.yaml": "resources:\n  - podinfo/ks.yaml\n",
    })
    assert [(c.name, c.root) for c in model.clusters] == [("kubernetes/apps", "")]
    cluster = model.clusters[0]
    assert list(cluster.renders) == ["Kustomization/flux-system/cluster-apps", "Kustomization/flux-system/podinfo"]
    assert one(cluster, "HelmRelease", "web", "podinfo").rendered_by == "Kustomization/flux-system/podinfo"
    assert one(cluster, "Kustomization", "flux-system", "cluster-apps").rendered_by is None
    assert one(cluster, "GitRepository", "flux-system", "flux-system").implicit


def test_a_repository_without_flux_has_no_clusters(model_of: Model) -> None:
    model = model_of({"deploy/cm.yaml": cm("plain")})
    assert model.clusters == []
    assert [o.id for o in model.unrendered_objects()] == ["ConfigMap/plain"]


def test_external_artifact_from_an_artifact_generator_maps_to_repository_folders(model_of: Model) -> None:
    model = model_of({
        "clusters/staging/artifacts.yaml": """\
            apiVersion: source.extensions.fluxcd.io/v1beta1
            kind: ArtifactGenerator
            metadata:
              name: flux-system
              namespace: flux-system
            spec:
              sources:
                - alias: repo
                  kind: GitRepository
                  name: flux-system
              artifacts:
                - name: apps
                  copy:
                    - from: "@repo/apps/base/**"
                      to: "@artifact/base/"
                    - from: "@repo/apps/staging/**"
                      to: "@artifact/staging/"
                - name: infrastructure
                  copy:
                    - from: "@repo/infrastructure/**"
                      to: "@artifact/"
            """,
        "clusters/staging/apps.yaml": ks("apps", "./staging", kind="ExternalArtifact", source="apps"),
        "clusters/staging/infra.yaml": ks("infra", "./controllers", kind="ExternalArtifact",
                                          source="infrastructure"),
        "clusters/staging/other.yaml": ks("other", "./x", kind="ExternalArtifact", source="unknown"),
        "apps/base/release.yaml": hr("podinfo", namespace="web"),
        "apps/staging/kustomization.yaml": "resources:\n  - ../base/release.yaml\n",
        "infrastructure/controllers/cm.yaml": cm("controller", namespace="infra"),
    })
    cluster = model.clusters[0]
    assert cluster.renders["Kustomization/flux-system/apps"].folder == "apps/staging"
    assert cluster.renders["Kustomization/flux-system/infra"].folder == "infrastructure/controllers"
    assert cluster.renders["Kustomization/flux-system/other"].external
    assert one(cluster, "HelmRelease", "web", "podinfo").rendered_by == "Kustomization/flux-system/apps"
    assert one(cluster, "ConfigMap", "infra", "controller").rendered_by == "Kustomization/flux-system/infra"
    assert problems(model) == []


def test_a_snapshot_of_a_subfolder_strips_the_path_prefix(model_of: Model) -> None:
    # The snapshot is tests/testdata/cluster of a larger repository; paths name the full path.
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./tests/testdata/cluster/apps/prod"),
        "clusters/prod/infra.yaml": ks("infra", "./tests/testdata/cluster/infrastructure"),
        "apps/prod/cm.yaml": cm("app", namespace="web"),
        "infrastructure/cm.yaml": cm("infra", namespace="infra"),
    })
    cluster = model.clusters[0]
    assert cluster.renders["Kustomization/flux-system/apps"].folder == "apps/prod"
    assert one(cluster, "ConfigMap", "web", "app")
    assert one(cluster, "ConfigMap", "infra", "infra")
    assert problems(model) == []


def test_a_subfolder_snapshot_without_clusters_finds_its_roots(model_of: Model) -> None:
    model = model_of({
        "flux/apps.yaml": ks("apps", "./repo/apps"),
        "apps/cm.yaml": cm("app", namespace="web"),
    })
    assert one(model.clusters[0], "ConfigMap", "web", "app").rendered_by == "Kustomization/flux-system/apps"
    assert problems(model) == []


# -- which sources are this repository ----------------------------------------------------------------------

OTHER_NAME = {
    "clusters/prod/source.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
                                 "metadata:\n  name: fleet\n  namespace: flux-system\n"
                                 "spec:\n  url: git@github.com:Example/Fleet.git\n",
    "clusters/prod/apps.yaml": ks("apps", "./apps", source="fleet"),
    "apps/cm.yaml": cm("app", namespace="web"),
}


def test_a_source_is_this_repository_by_configured_url(model_of: Model) -> None:
    assert model_of(OTHER_NAME).clusters[0].renders["Kustomization/flux-system/apps"].external
    model = model_of(OTHER_NAME, Config(repository_url="https://github.com/example/fleet"))
    assert ("GitRepository", "flux-system", "fleet") in model.repository_sources
    assert one(model.clusters[0], "ConfigMap", "web", "app")


def test_a_source_is_this_repository_by_configured_name(model_of: Model) -> None:
    model = model_of(OTHER_NAME, Config(repository_sources=("flux-system/fleet",)))
    assert ("GitRepository", "flux-system", "fleet") in model.repository_sources
    assert one(model.clusters[0], "ConfigMap", "web", "app")


def test_the_source_of_a_root_kustomization_is_this_repository(model_of: Model) -> None:
    model = model_of({
        "flux/apps.yaml": ks("apps", "./apps", source="home-ops"),
        "apps/cm.yaml": cm("app", namespace="web"),
    })
    assert ("GitRepository", "flux-system", "home-ops") in model.repository_sources
    assert one(model.clusters[0], "ConfigMap", "web", "app")


# -- loading ----------------------------------------------------------------------------------------------------

def test_every_yaml_file_is_loaded_and_its_problems_reported(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "apps/broken.yaml": "metadata:\n  name: a\n bad: indent\n",
        "apps/dup.yaml": "a: 1\na: 2\n",
        "docs/unrelated.yaml": "x: [\n",
        "notes.txt": "x: [\n",
    })
    assert sorted(problems(model)) == [
        ("structure/duplicate-key", "apps/dup.yaml", 2),
        ("structure/yaml-invalid", "apps/broken.yaml", 3),
        ("structure/yaml-invalid", "docs/unrelated.yaml", 2),
    ]
    assert "notes.txt" not in model.files


def test_helm_chart_templates_are_not_yaml(model_of: Model) -> None:
    model = model_of({
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "charts/app/templates/deployment.yaml": "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n",
        "charts/app/values.yaml": "enabled: true\n",
    })
    assert problems(model) == []
    assert not any(path.startswith("charts/") for path in model.files)


def test_path_filters_of_the_configuration(model_of: Model) -> None:
    files = {"apps/a.yaml": "x: [\n", "legacy/b.yaml": "x: [\n"}
    assert [p[1] for p in problems(model_of(files, Config(exclude=("legacy/**",))))] == ["apps/a.yaml"]
    assert [p[1] for p in problems(model_of(files, Config(include=("legacy",))))] == ["legacy/b.yaml"]


def test_the_file_size_cap_comes_from_the_configuration(model_of: Model) -> None:
    files = {"big.yaml": "a: " + "x" * 2000 + "\n"}
    assert problems(model_of(files)) == []
    assert problems(model_of(files, Config(max_file_bytes=1000))) == [("structure/file-too-large", "big.yaml", 1)]


@pytest.mark.parametrize("layout", ["clusters", "home-ops"])
def test_models_are_deterministic(model_of: Model, layout: str) -> None:
    files = FLEET if layout == "clusters" else NESTED
    first, second = model_of(files), model_of(files)
    assert [sorted(ids(c, implicit=True)) for c in first.clusters] == \
        [sorted(ids(c, implicit=True)) for c in second.clusters]
    assert [list(c.renders) for c in first.clusters] == [list(c.renders) for c in second.clusters]


def test_a_moved_childs_source_reference_follows_its_new_namespace(model_of: Model) -> None:
    # sourceRef.namespace defaults to the Kustomization's own namespace, which targetNamespace changed.
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps", extra="targetNamespace: tenant\n"),
        "apps/child.yaml": ks("child", "./child"),
        "child/cm.yaml": cm("from-child"),
    })
    node = model.clusters[0].renders["Kustomization/tenant/child"]
    assert node.external and node.build is None


def test_a_typo_in_the_first_folder_of_a_path_is_not_taken_for_a_prefix(model_of: Model) -> None:
    model = model_of({
        "clusters/prod/apps.yaml": ks("apps", "./apps/prod"),
        "clusters/prod/infra.yaml": ks("infra", "./infrastructure"),
        "clusters/prod/typo.yaml": ks("typo", "./infra/apps/prod"),
        "apps/prod/cm.yaml": cm("app"),
        "infrastructure/cm.yaml": cm("infra"),
    })
    assert problems(model) == [("structure/path-missing", "clusters/prod/typo.yaml", 8)]
    assert model.clusters[0].renders["Kustomization/flux-system/typo"].folder is None


def test_sourceignore_and_spec_ignore_filter_the_generated_walk(model_of: Model) -> None:
    files = {
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "apps/cm.yaml": cm("kept"),
        "apps/drafts/cm.yaml": cm("draft"),
        "apps/values.yaml": "replicaCount: 1\n",
        "apps/.sops.yaml": "creation_rules: []\n",
        ".sourceignore": "apps/drafts/\napps/values.yaml\n",
    }
    model = model_of(files)
    assert {o.name for o in model.clusters[0].objects if o.kind == "ConfigMap"} == {"kept"}
    node = model.clusters[0].renders["Kustomization/flux-system/apps"]
    assert node.build is not None and node.build.non_manifests == []
    assert model.ignore.ignored("apps/drafts/cm.yaml")
    # A spec.ignore on this repository's GitRepository replaces the defaults: .sops.yaml is read again.
    files["clusters/prod/source.yaml"] = textwrap.dedent("""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: flux-system
          namespace: flux-system
        spec:
          url: https://github.com/example/fleet
          ignore: |
            /*
            !/apps/
            !/clusters/
        """)
    model = model_of(files)
    node = model.clusters[0].renders["Kustomization/flux-system/apps"]
    assert node.build is not None
    assert [n.path for n in node.build.non_manifests] == ["apps/.sops.yaml"]
    assert {o.name for o in model.clusters[0].objects if o.kind == "ConfigMap"} == {"kept"}


def test_rules_judge_what_clusters_apply_or_everything_in_a_repository_without_clusters(model_of: Model) -> None:
    files = {"clusters/prod/apps.yaml": ks("apps", "./apps"), "apps/cm.yaml": cm("live"), "attic/cm.yaml": cm("dead")}
    model = model_of(files)
    assert [o.name for o in model.unrendered_objects()] == ["dead"]
    assert model.unrendered_judged() == []
    applied = {o.name for o in model.applied_objects()}
    assert "dead" not in applied and "live" in applied
    applied_elsewhere = model_of({"apps/cm.yaml": cm("live"), "attic/cm.yaml": cm("dead")})
    assert applied_elsewhere.clusters == []
    assert sorted(o.name for o in applied_elsewhere.applied_objects()) == ["dead", "live"]


def test_a_path_climbing_above_the_source_root_stays_at_the_root(model_of: Model) -> None:
    # kustomize-controller joins spec.path with securejoin: `../components` is `components`.
    model = model_of({"clusters/prod/issuers.yaml": ks("issuers", "../components/issuers"),
                      "components/issuers/cm.yaml": cm("issuer-settings")})
    assert problems(model) == []
    assert one(model.clusters[0], "ConfigMap", "flux-system", "issuer-settings").rendered_by == \
        "Kustomization/flux-system/issuers"


def test_bootstrap_objects_exist_only_where_the_repository_shows_a_bootstrap(model_of: Model) -> None:
    # Roots reading a source of another name: nothing creates flux-system's source or Kustomization.
    own = model_of({"kubernetes/flux/apps.yaml": ks("apps", "./kubernetes/apps", source="home-ops"),
                    "kubernetes/apps/cm.yaml": cm("a")})
    [cluster] = own.clusters
    assert cluster.find("Namespace", None, "flux-system")  # every Flux install has the namespace
    assert not cluster.find("GitRepository", "flux-system", "flux-system")
    assert not cluster.find("Kustomization", "flux-system", "flux-system")
    # A root reading flux-system shows the bootstrap: its source exists, of the kind it reads.
    bootstrapped = model_of({"kubernetes/flux/apps.yaml": ks("apps", "./kubernetes/apps"),
                             "kubernetes/apps/cm.yaml": cm("a")})
    assert bootstrapped.clusters[0].find("GitRepository", "flux-system", "flux-system")
    oci = model_of({"kubernetes/flux/apps.yaml": ks("apps", "./kubernetes/apps", kind="OCIRepository"),
                    "kubernetes/apps/cm.yaml": cm("a")})
    assert oci.clusters[0].find("OCIRepository", "flux-system", "flux-system")
    assert not oci.clusters[0].find("GitRepository", "flux-system", "flux-system")


def test_each_cluster_walks_its_folder_with_its_own_sources_ignore_rules(model_of: Model) -> None:
    def source(name: str, keep: str) -> str:
        return (f"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: {name}\n"
                f"  namespace: flux-system\nspec:\n  interval: 10m\n  url: https://example.com/fleet\n"
                f"  ref:\n    branch: main\n  ignore: |\n    /*\n    !/kubernetes/{keep}\n")
    files = {
        "kubernetes/main/flux/cluster.yaml": ks("cluster", "./kubernetes/main/apps", source="main-src")
        + "---\n" + source("main-src", "main"),
        "kubernetes/main/apps/cm.yaml": cm("main-settings"),
        "kubernetes/main/apps/extra/cm.yaml": cm("main-extra"),
        "kubernetes/storage/flux/cluster.yaml": ks("cluster", "./kubernetes/storage/apps", source="storage-src")
        + "---\n" + source("storage-src", "storage/apps/cm.yaml"),
        "kubernetes/storage/apps/cm.yaml": cm("storage-settings"),
        "kubernetes/storage/apps/extra/cm.yaml": cm("storage-extra"),
    }
    model = model_of(files)
    names = {c.name: sorted(o.name for o in c.objects if o.kind == "ConfigMap") for c in model.clusters}
    assert names == {"main": ["main-extra", "main-settings"], "storage": ["storage-settings"]}


def test_a_path_its_source_leaves_out_of_the_artifact_fails(model_of: Model) -> None:
    source = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n"
              "  namespace: flux-system\nspec:\n  interval: 10m\n  url: https://example.com/fleet\n"
              "  ref:\n    branch: main\n  ignore: |\n    /*\n    !/kubernetes\n")
    model = model_of({
        "flux/cluster.yaml": ks("cluster", "./deploy/apps", source="fleet") + "---\n" + source,
        "deploy/apps/cm.yaml": cm("settings"),
    })
    [problem] = [p for p in model.problems if p.rule == "structure/path-missing"]
    assert "its source leaves out of the artifact" in problem.message
    # The root's own file is applied as a whole: the source it reads exists in the cluster.
    assert model.clusters[0].find("GitRepository", "flux-system", "fleet")


def test_a_subfolder_snapshot_reads_its_repository_ignore_under_the_prefix(model_of: Model) -> None:
    # Only deploy/ of the whole repository is in the artifact, and the snapshot is deploy/.
    source = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n"
              "  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://example.com/repo\n"
              "  ref:\n    branch: main\n  ignore: |\n    /*\n    !/deploy/\n    /deploy/docs/\n")
    model = model_of({
        "clusters/prod/source.yaml": source,
        "clusters/prod/apps.yaml": ks("apps", "./deploy/kubernetes/apps"),
        "kubernetes/apps/cm.yaml": cm("app", namespace="web"),
    })
    assert one(model.clusters[0], "ConfigMap", "web", "app").rendered_by == "Kustomization/flux-system/apps"
    assert not model.ignore.ignored("kubernetes/apps/cm.yaml")
    assert model.ignore.ignored("docs/cm.yaml")  # /deploy/docs/ of the whole repository


def test_the_repository_wide_ignore_is_the_bootstrap_sources_not_another_source_of_this_repository(
        model_of: Model) -> None:
    # flux-review reads only deploy/ of this repository; the cluster folder comes from the bootstrap source.
    other = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: app-only\n"
             "  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://example.com/fleet\n"
             "  ref:\n    branch: main\n  ignore: |\n    /clusters/\n")
    model = model_of({
        "clusters/prod/source.yaml": other,
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "apps/cm.yaml": cm("app", namespace="web"),
    }, Config(repository_url="https://example.com/fleet"))
    assert one(model.clusters[0], "ConfigMap", "web", "app").rendered_by == "Kustomization/flux-system/apps"
    assert not model.ignore.ignored("clusters/prod/apps.yaml")


def test_a_model_is_freed_without_the_cycle_collector(model_of: Model) -> None:
    # The builder's Kustomizer calls back into the builder; a cycle through it would keep every loaded
    # file alive until a full collection in a long-running worker.
    model = model_of({"clusters/prod/apps.yaml": ks("apps", "./apps"), "apps/cm.yaml": cm("web", "default")})
    files = weakref.ref(next(iter(model.files.values())))
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        del model
        assert files() is None
    finally:
        if was_enabled:
            gc.enable()
