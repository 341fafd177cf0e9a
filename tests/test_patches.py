"""Kustomize patches, statically: selectors, strategic merge, JSON 6902, positions."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from checks.patches import (
    PatchError,
    Selector,
    clone,
    is_builtin,
    json6902,
    label_selector_matches,
    own_copy,
    private_copy,
    strategic_merge,
)
from checks.yaml_docs import Pos, YMap, load_yaml


def doc(text: str, path: str = "obj.yaml") -> Any:
    return load_yaml(path, textwrap.dedent(text).encode()).docs[0].root


DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: podinfo
      labels:
        app: podinfo
        tier: web
      annotations:
        team: a
    spec:
      replicas: 1
      template:
        spec:
          containers:
            - name: app
              image: podinfo:1
              env:
                - name: A
                  value: "1"
            - name: sidecar
              image: proxy:1
    """

RELEASE = """\
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata:
      name: podinfo-web
      labels:
        app: podinfo
    spec:
      interval: 15m
      values:
        list: [1, 2]
        nested:
          keep: true
          drop: true
    """


# -- selectors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "matches"), [
    ({}, True),
    ({"kind": "HelmRelease"}, True),
    ({"kind": "Kustomization"}, False),
    ({"group": "helm.toolkit.fluxcd.io"}, True),
    ({"group": "apps"}, False),
    ({"version": "v2"}, True),
    ({"version": "v2beta1"}, False),
    ({"name": "podinfo-web"}, True),
    ({"name": "podinfo-.*"}, True),
    ({"name": "podinfo"}, False),  # anchored: a prefix is not a match
    ({"name": ".*-web"}, True),
    ({"namespace": "apps"}, True),
    ({"namespace": "ap.*"}, True),
    ({"namespace": "other"}, False),
    ({"labelSelector": "app=podinfo"}, True),
    ({"labelSelector": "app=other"}, False),
    ({"annotationSelector": "team"}, False),
    ({"kind": "HelmRelease", "name": "podinfo-web", "labelSelector": "app in (podinfo, x)"}, True),
    ({"kind": "HelmRelease", "name": "podinfo-web", "labelSelector": "app notin (podinfo)"}, False),
])
def test_selector_matches_every_field_it_sets(target: dict[str, str], matches: bool) -> None:
    assert Selector.from_mapping(target).matches(doc(RELEASE), "apps") is matches


def test_selector_with_an_invalid_regex_compares_literally() -> None:
    assert Selector(name="a[").matches({"kind": "X", "metadata": {"name": "a["}}, None)
    assert not Selector(name="a[").matches({"kind": "X", "metadata": {"name": "ab"}}, None)


def test_selector_of_a_non_mapping_target_matches_everything_and_nothing_is_not_a_body() -> None:
    assert Selector.from_mapping(None) == Selector()
    assert not Selector().matches(["not", "a", "body"], None)


@pytest.mark.parametrize(("selector", "matches"), [
    ("app=podinfo", True),
    ("app==podinfo", True),
    ("app!=podinfo", False),
    ("app!=other", True),
    ("missing!=x", True),
    ("app", True),
    ("!app", False),
    ("!missing", True),
    ("missing", False),
    ("app in (a, podinfo)", True),
    ("app in (a,b)", False),
    ("app notin (a,b)", True),
    ("missing notin (a)", True),
    ("app=podinfo,tier=web", True),
    ("app=podinfo,tier=db", False),
    ("app in (podinfo),!missing,tier", True),
    ("app.kubernetes.io/name=x", False),
    ("???", False),
])
def test_label_selector(selector: str, matches: bool) -> None:
    assert label_selector_matches(selector, {"app": "podinfo", "tier": "web"}) is matches


def test_label_selector_on_missing_labels() -> None:
    assert label_selector_matches("!app", None)
    assert not label_selector_matches("app", None)


# -- strategic merge -------------------------------------------------------------------------------

def test_strategic_merge_merges_maps_and_replaces_custom_resource_lists() -> None:
    target = doc(RELEASE)
    patch = doc("""\
        spec:
          interval: 1h
          values:
            list: [3]
            nested:
              drop: null
              added: yes
        """, "patch.yaml")
    strategic_merge(target, patch, builtin=False)
    assert target["spec"]["interval"] == "1h"
    assert target["spec"]["values"]["list"] == [3]
    assert target["spec"]["values"]["nested"] == {"keep": True, "added": True}
    # Written values point at the patch; untouched ones stay where they were.
    assert target["spec"].value_pos["interval"] == Pos("patch.yaml", 2, 2)
    assert target["spec"]["values"]["nested"].value_pos["keep"].path == "obj.yaml"


def test_strategic_merge_adds_whole_new_subtrees_with_patch_positions() -> None:
    target = doc(RELEASE)
    strategic_merge(target, doc("spec:\n  install:\n    crds: CreateReplace\n", "p.yaml"), builtin=False)
    assert target["spec"]["install"] == {"crds": "CreateReplace"}
    assert target["spec"]["install"].value_pos["crds"] == Pos("p.yaml", 3, 3)
    assert target["spec"].key_pos["install"] == Pos("p.yaml", 2, 2)


def test_strategic_merge_merges_builtin_lists_by_key() -> None:
    target = doc(DEPLOYMENT)
    strategic_merge(target, doc("""\
        spec:
          template:
            spec:
              containers:
                - name: app
                  image: podinfo:2
                  env:
                    - name: B
                      value: "2"
                - name: sidecar
                  $patch: delete
                - name: new
                  image: new:1
        """, "p.yaml"), builtin=True)
    containers = target["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app", "new"]
    assert containers[0]["image"] == "podinfo:2"
    assert [e["name"] for e in containers[0]["env"]] == ["A", "B"]
    assert containers.item_pos[1].path == "p.yaml"


def test_strategic_merge_directives() -> None:
    target = doc(DEPLOYMENT)
    strategic_merge(target, doc("""\
        metadata:
          labels:
            $patch: replace
            only: this
          annotations:
            $patch: delete
        """), builtin=True)
    assert target["metadata"]["labels"] == {"only": "this"}
    assert "annotations" not in target["metadata"]


def test_clone_is_deep_and_keeps_positions() -> None:
    original = doc(DEPLOYMENT)
    copy = clone(original)
    copy["spec"]["template"]["spec"]["containers"][0]["image"] = "changed"
    assert original["spec"]["template"]["spec"]["containers"][0]["image"] == "podinfo:1"
    assert copy["spec"].value_pos == original["spec"].value_pos
    assert copy["spec"]["template"]["spec"]["containers"].item_pos == \
        original["spec"]["template"]["spec"]["containers"].item_pos


@pytest.mark.parametrize(("api_version", "builtin"), [
    ("v1", True), ("apps/v1", True), ("networking.k8s.io/v1", True), ("storage.k8s.io/v1", True),
    ("helm.toolkit.fluxcd.io/v2", False), ("monitoring.coreos.com/v1", False),
])
def test_is_builtin(api_version: str, builtin: bool) -> None:
    assert is_builtin({"apiVersion": api_version}) is builtin


# -- JSON 6902 --------------------------------------------------------------------------------------------

ORIGIN = Pos("ops.yaml", 1, 1)


def ops(text: str) -> Any:
    return doc(text, "ops.yaml")


def test_json6902_add_replace_remove_with_positions() -> None:
    target = doc(RELEASE)
    json6902(target, ops("""\
        - op: replace
          path: /spec/interval
          value: 1h
        - op: add
          path: /spec/timeout
          value: 5m
        - op: remove
          path: /spec/values/nested/drop
        - op: add
          path: /spec/values/list/-
          value: 3
        - op: add
          path: /spec/values/list/0
          value: 0
        - op: test
          path: /spec/interval
          value: anything
        """), ORIGIN)
    spec = target["spec"]
    assert spec["interval"] == "1h" and spec["timeout"] == "5m"
    assert spec.value_pos["interval"] == Pos("ops.yaml", 3, 3)
    assert spec.value_pos["timeout"] == Pos("ops.yaml", 6, 6)
    assert spec["values"]["nested"] == {"keep": True}
    assert spec["values"]["list"] == [0, 1, 2, 3]
    assert spec["values"]["list"].item_pos[3] == Pos("ops.yaml", 11, 11)


def test_json6902_move_copy_and_escaped_pointers() -> None:
    target = doc("""\
        metadata:
          annotations:
            example.com/a: "1"
        spec:
          a: 1
        """)
    json6902(target, ops("""\
        - op: copy
          from: /spec/a
          path: /spec/b
        - op: move
          from: /spec/a
          path: /spec/c
        - op: replace
          path: /metadata/annotations/example.com~1a
          value: "2"
        """), ORIGIN)
    assert target["spec"] == {"b": 1, "c": 1}
    assert target["metadata"]["annotations"] == {"example.com/a": "2"}


@pytest.mark.parametrize(("operations", "message"), [
    ("op: add", "list of operations"),
    ("- path: /spec", "needs `op` and `path`"),
    ("- op: frobnicate\n  path: /spec", "unknown op"),
    ("- op: remove\n  path: /spec/missing", "does not exist"),
    ("- op: replace\n  path: /missing/deeper\n  value: 1", "does not exist"),
    ("- op: add\n  path: spec/x\n  value: 1", "must start with /"),
    ("- op: replace\n  path: /spec/values/list/9\n  value: 1", "does not exist"),
    ("- op: add\n  path: /spec/values/list/x\n  value: 1", "not a list index"),
    ("- op: add\n  path: /\n  value: {}", "whole object"),
])
def test_json6902_errors_name_the_problem(operations: str, message: str) -> None:
    with pytest.raises(PatchError, match=message):
        json6902(doc(RELEASE), ops(operations), ORIGIN)


def test_json6902_value_without_position_uses_the_origin() -> None:
    target = doc(RELEASE)
    json6902(target, [{"op": "replace", "path": "/spec/interval", "value": "2h"}], ORIGIN)
    assert target["spec"].value_pos["interval"] == ORIGIN
    assert isinstance(target, YMap)


def test_strategic_merge_new_maps_drop_nulls_and_directives() -> None:
    target = doc(RELEASE)
    strategic_merge(target, doc("""\
        spec:
          install:
            crds: Create
            remediation: null
            $patch: replace
          interval: {every: 1h}
        """, "p.yaml"), builtin=False)
    assert target["spec"]["install"] == {"crds": "Create"}
    assert target["spec"]["install"].value_pos["crds"] == Pos("p.yaml", 3, 3)
    assert target["spec"]["interval"] == {"every": "1h"}  # a map replaces a scalar


def test_target_names_are_anchored_go_regular_expressions_matched_in_linear_time() -> None:
    from checks.patches import _regex_match

    assert _regex_match("(kustomize|helm)-controller", "helm-controller")
    assert not _regex_match("helm", "helm-controller")  # anchored, as kustomize reads it
    assert _regex_match("(a)\\1", "(a)\\1") and not _regex_match("(a)\\1", "aa")  # Go refuses it: only itself
    assert not _regex_match("(a+)+b", "a" * 5000)  # answers at once


def _records(value: Any) -> Any:
    """Values with every position record (removed keys' too), to compare two bodies exactly."""
    if isinstance(value, YMap):
        return ([(k, _records(v)) for k, v in value.items()], list(value.key_pos.items()),
                list(value.value_pos.items()), value.pos)
    if isinstance(value, list):
        return [_records(v) for v in value], getattr(value, "item_pos", None)
    return value


def test_a_merge_copied_on_write_equals_a_merge_into_a_private_copy_and_leaves_the_file_alone() -> None:
    written = doc(DEPLOYMENT)
    before = _records(written)
    patch = doc("""\
        spec:
          replicas: null
          template:
            spec:
              containers:
                - name: app
                  image: podinfo:2
                  env:
                    - name: A
                      value: "2"
        """, "patch.yaml")
    private = private_copy(written)
    strategic_merge(private, patch, builtin=True)
    shared = own_copy(written)
    strategic_merge(shared, patch, builtin=True, shared=True)
    assert _records(shared) == _records(private)
    assert _records(written) == before
    assert shared["metadata"] is written["metadata"]  # untouched by the patch: not copied
    assert shared["spec"] is not written["spec"]


def test_a_private_copy_keeps_the_records_of_removed_keys_and_clone_drops_them() -> None:
    body = doc(DEPLOYMENT)
    strategic_merge(body, doc("metadata:\n  labels: null\n", "patch.yaml"), builtin=True)
    assert "labels" not in body["metadata"] and "labels" in body["metadata"].key_pos
    assert "labels" in private_copy(body)["metadata"].key_pos
    assert "labels" not in clone(body)["metadata"].key_pos
