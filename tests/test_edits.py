"""Line edits for fixes: what they keep of the written line, and the lines they leave alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checks.edits import (
    add_sibling_fix,
    add_spec_field_fix,
    delete_line_fix,
    in_own_document,
    indentation,
    insert_below_fix,
    is_spec_line,
    line_at,
    line_text,
    replace_value_fix,
)
from checks.findings import Fix
from checks.fixes import apply_fixes
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.yaml_docs import Pos

SOURCE = """\
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata:
      name: podinfo
      namespace: flux-system
    spec:  # the upstream chart
        interval: "30s"  # too often
        url: https://github.com/stefanprodan/podinfo
        ref: {branch: master}
        ignore: |
          docs/
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: apps
      namespace: flux-system
    spec:
      dependsOn:
        - name: infra
      interval: 10m
      path: ./apps
      sourceRef: {kind: GitRepository, name: podinfo}
    """
PATH = "sources.yaml"


@pytest.fixture
def model(model_of: Callable[..., RepoModel]) -> RepoModel:
    return model_of({PATH: SOURCE})


def written(model: RepoModel, kind: str) -> KubeObject:
    return next(obj for obj in model.objects if obj.kind == kind)


def edited(model: RepoModel, fix: Fix | None) -> str:
    assert fix is not None
    text, applied, _ = apply_fixes(model.files[fix.path].text, [fix])
    assert applied == [fix]
    return text


def test_line_text_is_one_written_line_or_none(model: RepoModel) -> None:
    assert line_text(model, PATH, 2) == "kind: GitRepository"
    assert line_at(model, Pos(PATH, 4, 4)) == "  name: podinfo"
    assert line_text(model, PATH, 0) is None
    assert line_text(model, PATH, 999) is None
    assert line_text(model, "elsewhere.yaml", 1) is None


def test_indentation_counts_spaces_only() -> None:
    assert indentation("    url: x") == "    "
    assert indentation("- name: a") == ""
    assert indentation("\t  key: x") == ""


def test_spec_line_may_carry_a_comment_but_no_value() -> None:
    assert is_spec_line("spec:")
    assert is_spec_line("  spec:  # the upstream chart")
    assert not is_spec_line("spec: {}")
    assert not is_spec_line("specs:")


def test_positions_in_the_objects_own_document(model: RepoModel) -> None:
    source, kustomization = written(model, "GitRepository"), written(model, "Kustomization")
    assert in_own_document(source, source.key_pos("spec", "url"))
    assert not in_own_document(source, kustomization.key_pos("spec", "path"))
    assert not in_own_document(source, Pos("other.yaml", 7, 7))


def test_insert_below_keeps_the_line_and_adds_after_it() -> None:
    assert insert_below_fix(PATH, 3, "a: 1", "b: 2\n") == Fix(PATH, 3, 3, "a: 1\nb: 2\n")


def test_replace_value_keeps_indentation_quotes_and_comment(model: RepoModel) -> None:
    pos = written(model, "GitRepository").key_pos("spec", "interval")
    fix = replace_value_fix(model, pos, "interval", "10m")
    assert fix == Fix(PATH, 7, 7, '    interval: "10m"  # too often\n')
    assert replace_value_fix(model, pos, "timeout", "10m") is None  # another key than expected


def test_replace_value_needs_a_written_line_of_that_key(model: RepoModel) -> None:
    assert replace_value_fix(model, Pos(PATH, 999, 999), "interval", "10m") is None
    assert replace_value_fix(model, Pos("elsewhere.yaml", 7, 7), "interval", "10m") is None
    url = written(model, "GitRepository").key_pos("spec", "url")
    assert replace_value_fix(model, url, "interval", "10m") is None


def test_delete_line_removes_a_field_but_not_a_list_items_first_key(model: RepoModel) -> None:
    source, kustomization = written(model, "GitRepository"), written(model, "Kustomization")
    assert delete_line_fix(model, source.key_pos("spec", "interval"), "interval") == Fix(PATH, 7, 7, "")
    assert delete_line_fix(model, kustomization.key_pos("spec", "dependsOn", 0, "name"), "name") is None


def test_add_sibling_lines_up_with_the_key_inside_a_list_item(model: RepoModel) -> None:
    pos = written(model, "Kustomization").key_pos("spec", "dependsOn", 0, "name")
    fix = add_sibling_fix(model, pos, "name", "namespace", "platform")
    assert "    - name: infra\n      namespace: platform\n" in edited(model, fix)
    assert add_sibling_fix(model, pos, "kind", "namespace", "platform") is None


def test_add_spec_field_goes_first_at_the_indentation_of_the_spec(model: RepoModel) -> None:
    fix = add_spec_field_fix(model, written(model, "GitRepository"), "timeout", "60s")
    assert fix == Fix(PATH, 6, 6, "spec:  # the upstream chart\n    timeout: 60s\n")
    text = edited(model, add_spec_field_fix(model, written(model, "Kustomization"), "wait", "true"))
    assert "spec:\n  wait: true\n  dependsOn:\n" in text


def test_add_spec_field_needs_a_block_spec_of_its_own(model_of: Callable[..., RepoModel]) -> None:
    flow = model_of({PATH: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nspec: {a: 1}\n"})
    assert add_spec_field_fix(flow, flow.objects[0], "b", "2") is None
    empty = model_of({PATH: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nspec: {}\n"})
    assert add_spec_field_fix(empty, empty.objects[0], "b", "2") is None
