"""Static kustomize: what a folder renders, with and without a kustomization file."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import pytest

from checks import kustomize
from checks.ignore import IgnoreRules
from checks.kustomize import Build, Kustomizer, forget_inline_patches, inline_patches, is_remote
from checks.patches import Selector
from checks.source import RepoSnapshot
from checks.yaml_docs import Pos, load_yaml


def cm(name: str, namespace: str | None = None, labels: str = "") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    lab = f"\n  labels:\n    {labels}" if labels else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{ns}{lab}\ndata:\n  key: value\n"


def build(files: Mapping[str, str], folder: str, **kwargs: Any) -> Build:
    snapshot = RepoSnapshot.from_mapping({p: textwrap.dedent(t) for p, t in files.items()})
    sourceignores = {p: snapshot.read(p).decode() for p in snapshot.paths() if p.endswith(".sourceignore")}
    ignore = IgnoreRules.for_repository(sourceignores, None)
    kustomizer = Kustomizer(snapshot, lambda path: load_yaml(path, snapshot.read(path)), ignore.ignored)
    return kustomizer.build_folder(folder, **kwargs)


def names(result: Build) -> list[str]:
    return [o.body["metadata"]["name"] for o in result.objects]


def by_name(result: Build, name: str) -> Any:
    found = [o for o in result.objects if o.body["metadata"]["name"] == name]
    assert len(found) == 1, names(result)
    return found[0]


def problems(result: Build) -> list[tuple[str, str, int]]:
    return [(p.rule, p.path, p.line) for p in result.problems]


# -- without a kustomization file: Flux's generated walk -------------------------------------------

GENERATED = {
    "app/b.yaml": cm("b"),
    "app/a.yml": cm("a"),
    "app/.hidden.yaml": cm("hidden"),
    "app/c.yaml.bak": cm("backup"),
    "app/d.json": '{"kind": "ConfigMap"}',
    "app/notes.txt": "notes",
    "app/aa/x.yaml": cm("x"),
    "app/aa/deeper/w.yaml": cm("w"),
    "app/bb/kustomization.yaml": "resources:\n  - y.yaml\n",
    "app/bb/y.yaml": cm("y"),
    "app/bb/z.yaml": cm("not-listed"),
    "app/bb/inner/v.yaml": cm("not-descended"),
}


def test_generated_walk_is_lexical_and_takes_only_yaml_files() -> None:
    result = build(GENERATED, "app")
    # Hidden files count; files and folders interleave by name; only .yaml/.yml.
    assert names(result) == ["hidden", "a", "w", "x", "b", "y"]
    assert result.generated_folders == {"app"}
    assert result.problems == []


def test_generated_walk_adds_a_kustomization_folder_as_one_resource() -> None:
    result = build(GENERATED, "app")
    assert "not-listed" not in names(result)
    assert "not-descended" not in names(result)
    assert result.kustomization_files == {"app/bb/kustomization.yaml"}
    assert "app/bb/z.yaml" not in result.files


@pytest.mark.parametrize("kfile", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_every_kustomization_file_name_stops_the_walk(kfile: str) -> None:
    result = build({"app/sub/" + kfile: "resources:\n  - y.yaml\n", "app/sub/y.yaml": cm("y"),
                    "app/sub/z.yaml": cm("z")}, "app")
    assert names(result) == ["y"]


def test_generated_walk_honours_sourceignore() -> None:
    result = build({
        "app/keep.yaml": cm("keep"),
        "app/skip.yaml": cm("skip"),
        "app/drafts/d.yaml": cm("draft"),
        "app/.sourceignore": "skip.yaml\ndrafts/\n",
        "app/.sops.yaml": "creation_rules:\n  - age: age1example\n",  # ignored by default
    }, "app")
    assert names(result) == ["keep"]
    assert result.non_manifests == []


def test_generated_walk_notes_files_that_are_not_objects() -> None:
    result = build({
        "app/values.yaml": "replicas: 1\n",
        "app/nameless.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        "app/ok.yaml": cm("ok"),
    }, "app")
    assert names(result) == ["ok"]
    assert [(n.path, n.line) for n in result.non_manifests] == [("app/nameless.yaml", 1), ("app/values.yaml", 1)]
    assert "no `kind`" in result.non_manifests[1].reason


def test_target_namespace_sets_namespaced_objects_only() -> None:
    result = build({
        "app/cm.yaml": cm("own", namespace="mine"),
        "app/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
        "app/role.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n",
    }, "app", target_namespace="web", target_pos=Pos("ks.yaml", 9, 9))
    own = by_name(result, "own")
    assert own.namespace == "web" and own.namespace_source == "targetNamespace"
    assert own.body["metadata"].value_pos["namespace"] == Pos("ks.yaml", 9, 9)
    assert by_name(result, "web").namespace is None
    assert by_name(result, "r").namespace is None


# -- with a kustomization file ----------------------------------------------------------------------------

def test_resources_are_followed_recursively_in_order() -> None:
    result = build({
        "app/kustomization.yaml": """\
            resources:
              - first.yaml
              - ./base
              - ../shared/extra.yaml
            bases:
              - legacy
            """,
        "app/first.yaml": cm("first"),
        "app/base/kustomization.yaml": "resources:\n  - b.yaml\n  - nested\n",
        "app/base/b.yaml": cm("base"),
        "app/base/nested/kustomization.yml": "resources:\n  - n.yaml\n",
        "app/base/nested/n.yaml": cm("nested"),
        "app/legacy/kustomization.yaml": "resources:\n  - l.yaml\n",
        "app/legacy/l.yaml": cm("legacy"),
        "shared/extra.yaml": cm("extra"),
        "app/unlisted.yaml": cm("unlisted"),
    }, "app")
    assert names(result) == ["first", "base", "nested", "extra", "legacy"]
    assert result.kustomization_files == {"app/kustomization.yaml", "app/base/kustomization.yaml",
                                          "app/base/nested/kustomization.yml", "app/legacy/kustomization.yaml"}
    assert "app/unlisted.yaml" not in result.files
    assert result.generated_folders == set()


def test_missing_resources_are_reported_on_their_line() -> None:
    result = build({
        "app/kustomization.yaml": """\
            resources:
              - exists.yaml
              - missing.yaml
              - plain-folder
            components:
              - ../components/missing
            patches:
              - path: missing-patch.yaml
            configMapGenerator:
              - name: settings
                files:
                  - config.json
            """,
        "app/exists.yaml": cm("exists"),
        "app/plain-folder/x.yaml": cm("x"),
    }, "app")
    assert problems(result) == [
        ("structure/resource-missing", "app/kustomization.yaml", 3),
        ("structure/resource-missing", "app/kustomization.yaml", 4),
        ("structure/resource-missing", "app/kustomization.yaml", 6),
        ("structure/resource-missing", "app/kustomization.yaml", 12),
        ("structure/resource-missing", "app/kustomization.yaml", 8),
    ]
    messages = [p.message for p in result.problems]
    assert "`missing.yaml` does not exist (app/missing.yaml)" in messages[0]
    assert "folder without a kustomization.yaml" in messages[1]
    assert "component" in messages[2]
    assert "config.json" in messages[3]
    assert "patch file `missing-patch.yaml`" in messages[4]
    assert names(result) == ["exists", "settings"]


def test_a_base_keeps_its_namespace_and_prefix_to_itself() -> None:
    result = build({
        "app/kustomization.yaml": "resources:\n  - a.yaml\n  - sub\n",
        "app/a.yaml": cm("a"),
        "app/sub/kustomization.yaml": "namespace: sub\nnamePrefix: p-\nresources:\n  - b.yaml\n",
        "app/sub/b.yaml": cm("b"),
    }, "app")
    assert names(result) == ["a", "p-b"]
    assert by_name(result, "a").namespace is None
    assert by_name(result, "p-b").namespace == "sub"


def test_remote_resources_are_noted_not_fetched() -> None:
    result = build({
        "app/kustomization.yaml": """\
            resources:
              - https://github.com/example/repo//deploy?ref=v1.0.0
              - github.com/example/repo/deploy?ref=main
              - git@github.com:example/repo.git
              - local.yaml
            components:
              - https://example.com/component
            """,
        "app/local.yaml": cm("local"),
    }, "app")
    assert [(r.line, r.url) for r in result.remote] == [
        (2, "https://github.com/example/repo//deploy?ref=v1.0.0"),
        (3, "github.com/example/repo/deploy?ref=main"),
        (4, "git@github.com:example/repo.git"),
        (7, "https://example.com/component"),
    ]
    assert names(result) == ["local"]
    assert result.problems == []


@pytest.mark.parametrize(("entry", "remote"), [
    ("https://example.com/x.yaml", True),
    ("oci://ghcr.io/example/manifests", True),
    ("ssh://git@example.com/repo", True),
    ("git::https://example.com/repo", True),
    ("example.com/repo//path", True),
    ("../base?ref=v1", True),
    ("../base", False),
    ("deployment.yaml", False),
])
def test_is_remote(entry: str, remote: bool) -> None:
    assert is_remote(entry) is remote


def test_namespace_of_a_kustomization_file_overrides_own_namespaces() -> None:
    # kustomize's namespace transformer sets every namespaced object, including
    # objects that name their own namespace (upstream behaviour).
    result = build({
        "app/kustomization.yaml": "namespace: apps\nresources:\n  - objects.yaml\n",
        "app/objects.yaml": cm("plain") + "---\n" + cm("own", namespace="mine") + "---\n"
                            + "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n",
    }, "app")
    assert by_name(result, "plain").namespace == "apps"
    own = by_name(result, "own")
    assert own.namespace == "apps" and own.namespace_source == "kustomization.yaml"
    assert own.body["metadata"].value_pos["namespace"] == Pos("app/kustomization.yaml", 1, 1)
    assert by_name(result, "apps").namespace is None


def test_target_namespace_replaces_the_kustomization_file_namespace() -> None:
    result = build({
        "app/kustomization.yaml": "namespace: apps\nresources:\n  - cm.yaml\n",
        "app/cm.yaml": cm("a"),
    }, "app", target_namespace="tenant")
    assert by_name(result, "a").namespace == "tenant"


def test_objects_without_a_namespace_stay_unset() -> None:
    result = build({"app/kustomization.yaml": "resources:\n  - cm.yaml\n", "app/cm.yaml": cm("a")}, "app")
    obj = by_name(result, "a")
    assert obj.namespace is None and obj.namespace_source == "own"


def test_lists_items_and_non_mapping_documents() -> None:
    result = build({
        "app/kustomization.yaml": "resources:\n  - list.yaml\n  - odd.yaml\n  - component.yaml\n",
        "app/list.yaml": "apiVersion: v1\nkind: List\nitems:\n  - " + cm("one").replace("\n", "\n    ")
                         + "\n",
        "app/odd.yaml": "- just\n- a list\n",
        "app/component.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                              "metadata:\n  name: c\n",
    }, "app")
    assert names(result) == ["one"]
    assert problems(result) == [("structure/yaml-invalid", "app/odd.yaml", 1)]


def test_a_kustomization_cycle_is_reported_not_followed() -> None:
    result = build({
        "app/kustomization.yaml": "resources:\n  - ../other\n",
        "other/kustomization.yaml": "resources:\n  - ../app\n  - o.yaml\n",
        "other/o.yaml": cm("o"),
    }, "app")
    assert names(result) == ["o"]
    assert [p.rule for p in result.problems] == ["structure/resource-missing"]
    assert "includes itself" in result.problems[0].message


def test_name_affixes_and_common_annotations() -> None:
    result = build({
        "app/kustomization.yaml": """\
            namePrefix: dev-
            nameSuffix: -v1
            commonAnnotations:
              owner: team-a
            resources:
              - objects.yaml
            """,
        "app/objects.yaml": cm("a") + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n",
    }, "app")
    assert names(result) == ["dev-a-v1", "ns"]
    assert by_name(result, "dev-a-v1").body["metadata"]["annotations"] == {"owner": "team-a"}


# -- components --------------------------------------------------------------------------------------------

def test_components_add_resources_and_patch_what_came_before() -> None:
    result = build({
        "app/kustomization.yaml": "resources:\n  - cm.yaml\ncomponents:\n  - ../components/label\n",
        "app/cm.yaml": cm("a"),
        "components/label/kustomization.yaml": """\
            apiVersion: kustomize.config.k8s.io/v1alpha1
            kind: Component
            resources:
              - extra.yaml
            patches:
              - target:
                  kind: ConfigMap
                patch: |
                  - op: add
                    path: /metadata/labels
                    value: {component: label}
            """,
        "components/label/extra.yaml": cm("extra"),
    }, "app")
    assert names(result) == ["a", "extra"]
    assert by_name(result, "a").body["metadata"]["labels"] == {"component": "label"}
    assert by_name(result, "a").body["metadata"].value_pos["labels"].path == "components/label/kustomization.yaml"


def test_flux_components_are_appended_to_a_generated_folder() -> None:
    result = build({
        "app/cm.yaml": cm("a"),
        "components/extra/kustomization.yaml": "kind: Component\nresources:\n  - extra.yaml\n",
        "components/extra/extra.yaml": cm("extra"),
    }, "app", components=[("../components/extra", Pos("ks.yaml", 12, 12))])
    assert names(result) == ["a", "extra"]


def test_flux_components_are_appended_after_the_file_components() -> None:
    result = build({
        "app/kustomization.yaml": "resources:\n  - cm.yaml\n",
        "app/cm.yaml": cm("a"),
    }, "app", components=[("../components/none", Pos("ks.yaml", 12, 12))])
    assert problems(result) == [("structure/resource-missing", "ks.yaml", 12)]


# -- patches ------------------------------------------------------------------------------------------------

RELEASES = "".join(
    f"---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n"
    f"  labels:\n    tier: {tier}\nspec:\n  interval: 15m\n"
    for name, tier in (("web-frontend", "web"), ("web-api", "web"), ("database", "db"))
)


def test_patches_with_target_selectors() -> None:
    result = build({
        "app/kustomization.yaml": """\
            resources:
              - releases.yaml
              - cm.yaml
            patches:
              - target:
                  kind: HelmRelease
                  name: web-.*
                patch: |
                  apiVersion: helm.toolkit.fluxcd.io/v2
                  kind: HelmRelease
                  metadata:
                    name: ignored-by-target
                  spec:
                    interval: 1h
              - target:
                  labelSelector: tier=db
                patch: |-
                  - op: replace
                    path: /spec/interval
                    value: 5m
              - target:
                  group: helm.toolkit.fluxcd.io
                  kind: HelmRelease
                  name: database
                path: timeout.yaml
            """,
        "app/releases.yaml": RELEASES,
        "app/cm.yaml": cm("not-a-release", labels="tier: web"),
        "app/timeout.yaml": "- op: add\n  path: /spec/timeout\n  value: 10m\n",
    }, "app")
    web = by_name(result, "web-frontend").body
    assert web["spec"]["interval"] == "1h"
    assert web["spec"].value_pos["interval"] == Pos("app/kustomization.yaml", 14, 14)
    assert by_name(result, "web-api").body["spec"]["interval"] == "1h"
    db = by_name(result, "database").body
    assert db["spec"]["interval"] == "5m"
    assert db["spec"].value_pos["interval"] == Pos("app/kustomization.yaml", 20, 20)
    assert db["spec"]["timeout"] == "10m"
    assert db["spec"].value_pos["timeout"] == Pos("app/timeout.yaml", 3, 3)
    assert "spec" not in by_name(result, "not-a-release").body


def test_patch_without_target_matches_by_kind_and_name() -> None:
    result = build({
        "app/kustomization.yaml": """\
            resources:
              - releases.yaml
            patches:
              - path: database.yaml
            patchesStrategicMerge:
              - web-api.yaml
              - |-
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: web-frontend
                spec:
                  suspend: true
            """,
        "app/releases.yaml": RELEASES,
        "app/database.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
                             "  name: database\nspec:\n  interval: 2h\n",
        "app/web-api.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
                            "  name: web-api\nspec:\n  interval: 3h\n",
    }, "app")
    assert by_name(result, "database").body["spec"]["interval"] == "2h"
    assert by_name(result, "database").body["spec"].value_pos["interval"] == Pos("app/database.yaml", 6, 6)
    assert by_name(result, "web-api").body["spec"]["interval"] == "3h"
    frontend = by_name(result, "web-frontend").body
    assert frontend["spec"]["interval"] == "15m" and frontend["spec"]["suspend"] is True
    assert frontend["spec"].value_pos["suspend"] == Pos("app/kustomization.yaml", 13, 13)
    assert {"app/database.yaml", "app/web-api.yaml"} <= result.files


def test_legacy_json6902_patches_with_a_file() -> None:
    result = build({
        "app/kustomization.yaml": """\
            resources:
              - releases.yaml
            patchesJson6902:
              - target:
                  kind: HelmRelease
                  name: database
                path: ops.yaml
            """,
        "app/releases.yaml": RELEASES,
        "app/ops.yaml": "- op: replace\n  path: /spec/interval\n  value: 30m\n",
    }, "app")
    assert by_name(result, "database").body["spec"]["interval"] == "30m"
    assert by_name(result, "web-api").body["spec"]["interval"] == "15m"


def test_a_failing_json6902_patch_leaves_the_object_untouched() -> None:
    result = build({
        "app/kustomization.yaml": """\
            resources:
              - releases.yaml
            patches:
              - target:
                  kind: HelmRelease
                patch: |
                  - op: replace
                    path: /spec/interval
                    value: 1m
                  - op: remove
                    path: /spec/does-not-exist
            """,
        "app/releases.yaml": RELEASES,
    }, "app")
    assert {o.body["spec"]["interval"] for o in result.objects} == {"15m"}


def test_patches_do_not_leak_into_the_source_documents() -> None:
    files = {
        "app/kustomization.yaml": "resources:\n  - ../base\npatches:\n  - path: p.yaml\n",
        "base/kustomization.yaml": "resources:\n  - releases.yaml\n",
        "base/releases.yaml": RELEASES,
        "app/p.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
                      "  name: database\nspec:\n  interval: 1m\n",
    }
    snapshot = RepoSnapshot.from_mapping(files)
    cache: dict[str, Any] = {}

    def load(path: str) -> Any:
        if path not in cache:
            cache[path] = load_yaml(path, snapshot.read(path))
        return cache[path]

    kustomizer = Kustomizer(snapshot, load)
    patched = kustomizer.build_folder("app")
    plain = kustomizer.build_folder("base")
    assert by_name(patched, "database").body["spec"]["interval"] == "1m"
    assert by_name(plain, "database").body["spec"]["interval"] == "15m"


def _shared_kustomizer(files: Mapping[str, str]) -> Kustomizer:
    """A Kustomizer whose files are loaded once, as the model's are: builds share their documents."""
    snapshot = RepoSnapshot.from_mapping({p: textwrap.dedent(t) for p, t in files.items()})
    cache: dict[str, Any] = {}

    def load(path: str) -> Any:
        if path not in cache:
            cache[path] = load_yaml(path, snapshot.read(path))
        return cache[path]

    return Kustomizer(snapshot, load)


def _interval_patch(interval: str) -> list[Any]:
    return inline_patches(f"spec:\n  interval: {interval}\n", Pos("ks.yaml", 20, 22),
                          Selector(kind="HelmRelease", name="database"))


@pytest.mark.parametrize("layout", [
    {  # a kustomization file whose own patch and namespace change the objects first
        "app/kustomization.yaml": "namespace: apps\nresources:\n  - releases.yaml\npatches:\n"
                                  "  - target:\n      name: database\n    patch: |\n      - op: add\n"
                                  "        path: /spec/timeout\n        value: 2m\n",
        "app/releases.yaml": RELEASES,
    },
    {  # a folder without one, holding a base whose own patch changed it
        "app/releases/kustomization.yaml": "resources:\n  - releases.yaml\npatches:\n  - target:\n"
                                           "      name: database\n    patch: |\n      - op: add\n"
                                           "        path: /spec/timeout\n        value: 2m\n",
        "app/releases/releases.yaml": RELEASES,
    },
])
@pytest.mark.parametrize("shared", [True, False])
def test_a_folder_built_again_with_other_patches_keeps_each_build_its_own(layout: dict[str, str],
                                                                           shared: bool) -> None:
    # Clusters build one folder each with patches and a namespace of their own: what one
    # build changes never reaches the other builds, nor the folder's own documents, whether
    # what they share is assembled once or each build assembles its own.
    kustomizer = _shared_kustomizer(layout)
    first = kustomizer.build_folder("app", patches=_interval_patch("1m"), target_namespace="one", shared=shared)
    second = kustomizer.build_folder("app", patches=_interval_patch("2m"), target_namespace="two", shared=shared)
    plain = kustomizer.build_folder("app", shared=shared)
    for result, interval in ((first, "1m"), (second, "2m"), (plain, "15m")):
        database = by_name(result, "database").body
        assert database["spec"]["interval"] == interval
        assert database["spec"]["timeout"] == "2m"
        assert by_name(result, "web-api").body["spec"]["interval"] == "15m"
    assert {o.namespace for o in first.objects} == {"one"}
    assert {o.namespace for o in second.objects} == {"two"}
    assert {o.namespace for o in plain.objects} == ({"apps"} if "app/kustomization.yaml" in layout else {None})
    assert first.files == second.files == plain.files
    first.files.add("elsewhere.yaml")
    assert "elsewhere.yaml" not in kustomizer.build_folder("app", shared=shared).files


def test_flux_patches_run_after_file_patches_and_before_name_affixes() -> None:
    flux_patch = inline_patches("spec:\n  interval: 5m\n", Pos("ks.yaml", 20, 22),
                                Selector(kind="HelmRelease", name="database"))
    result = build({
        "app/kustomization.yaml": """\
            namePrefix: prod-
            resources:
              - releases.yaml
            patches:
              - target:
                  name: database
                patch: |
                  - op: replace
                    path: /spec/interval
                    value: 1m
            """,
        "app/releases.yaml": RELEASES,
    }, "app", patches=flux_patch)
    database = by_name(result, "prod-database").body
    assert database["spec"]["interval"] == "5m"
    assert database["spec"].value_pos["interval"] == Pos("ks.yaml", 22, 22)


def test_inline_patch_positions_for_block_and_single_line_patches() -> None:
    block = inline_patches("kind: A\nspec:\n  x: 1\n", Pos("ks.yaml", 10, 13), None)
    assert block[0].content["spec"].value_pos["x"] == Pos("ks.yaml", 13, 13)
    assert block[0].origin.line == 11
    flow = inline_patches('{"kind": "A", "spec": {"x": 1}}', Pos("ks.yaml", 10, 10), None)
    assert flow[0].content["spec"].value_pos["x"] == Pos("ks.yaml", 10, 10)



def test_one_inline_patch_written_in_two_files_lands_in_each() -> None:
    text = "- op: replace\n  path: /spec/interval\n  value: 5m\n"
    first = inline_patches(text, Pos("clusters/staging/ks.yaml", 8, 11), None)
    second = inline_patches(text, Pos("clusters/production/ks.yaml", 20, 23), None)
    assert first[0].origin == Pos("clusters/staging/ks.yaml", 9, 11)
    assert second[0].origin == Pos("clusters/production/ks.yaml", 21, 23)
    assert second[0].content == first[0].content
    assert second[0].content[0].value_pos["value"] == Pos("clusters/production/ks.yaml", 23, 23)
    assert first[0].content[0].value_pos["value"] == Pos("clusters/staging/ks.yaml", 11, 11)


def test_an_inline_patch_whose_target_selects_nothing_is_never_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every cluster's bootstrap patches target controllers a repository rarely holds: with a target,
    # what a patch applies to is known before its text is read.
    parsed: list[str] = []

    def spy(path: str, data: bytes, *args: Any, **kwargs: Any) -> Any:
        parsed.append(data.decode())
        return load_yaml(path, data, *args, **kwargs)

    monkeypatch.setattr(kustomize, "load_yaml", spy)
    forget_inline_patches()
    result = build({
        "app/kustomization.yaml": """\
            resources:
              - releases.yaml
            patches:
              - target: {kind: Deployment, name: kustomize-controller}
                patch: |
                  - op: add
                    path: /spec/template/spec/containers/0/args/-
                    value: --no-remote-bases=true
              - target: {kind: HelmRelease, name: database}
                patch: |
                  - op: replace
                    path: /spec/interval
                    value: 1h
            """,
        "app/releases.yaml": RELEASES,
    }, "app")
    assert by_name(result, "database").body["spec"]["interval"] == "1h"
    assert [text for text in parsed if "op:" in text] == [
        "- op: replace\n  path: /spec/interval\n  value: 1h\n"]

# -- generators ---------------------------------------------------------------------------------------------

def test_generators_make_config_maps_and_secrets() -> None:
    result = build({
        "app/kustomization.yaml": """\
            namespace: apps
            resources:
              - cm.yaml
            configMapGenerator:
              - name: settings
                literals:
                  - LOG_LEVEL=debug
              - name: files
                files:
                  - config.json
                  - renamed.conf=other.conf
            secretGenerator:
              - name: credentials
                namespace: secrets
                envs:
                  - creds.env
            """,
        "app/cm.yaml": cm("plain"),
        "app/config.json": "{}",
        "app/other.conf": "x",
        "app/creds.env": "TOKEN=ENC[sops]",
    }, "app")
    assert names(result) == ["plain", "settings", "files", "credentials"]
    settings = by_name(result, "settings")
    assert settings.body["kind"] == "ConfigMap" and settings.namespace == "apps"
    assert settings.path == "app/kustomization.yaml"
    assert settings.body.pos.line == 5
    credentials = by_name(result, "credentials")
    assert credentials.body["kind"] == "Secret"
    assert credentials.namespace == "apps"  # the file's namespace transformer wins over the generator's
    assert {"app/config.json", "app/other.conf", "app/creds.env"} <= result.files
    assert result.problems == []


def test_documents_with_a_mapping_for_kind_or_name_are_not_taken_as_objects() -> None:
    files = {
        "apps/odd.yaml": "apiVersion: v1\nkind: {a: 1}\nmetadata:\n  name: x\n",
        "apps/odder.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x]\n",
        "apps/fine.yaml": cm("fine"),
    }
    rendered = build(files, "apps")
    assert [obj.body["metadata"]["name"] for obj in rendered.objects] == ["fine"]
    assert {n.path for n in rendered.non_manifests} == {"apps/odd.yaml", "apps/odder.yaml"}
