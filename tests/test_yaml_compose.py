"""Composing YAML into nodes: the fast resolver answers as PyYAML's, duplicate anchors are accepted."""

from __future__ import annotations

import pytest
import yaml

from checks import yaml_compose
from checks.yaml_compose import compose_nodes

SCALARS = ["plain", "", "1", "-1", "0x1f", "0o17", "1_000", "1.5", ".inf", "-.Inf", ".nan", "1e3", "true", "False",
           "yes", "off", "~", "null", "Null", "2024-01-02", "2024-01-02T03:04:05Z", "=", "<<", "'1'", '"true"',
           "!!str 1", "!!int 7", "+12", "0", "1:20", "!custom v"]


def _tags(node: yaml.Node) -> list[str]:
    if isinstance(node, yaml.MappingNode):
        return [node.tag] + [t for k, v in node.value for t in (*_tags(k), *_tags(v))]
    if isinstance(node, yaml.SequenceNode):
        return [node.tag] + [t for item in node.value for t in _tags(item)]
    return [node.tag]


@pytest.mark.parametrize("scalar", SCALARS)
def test_every_scalar_gets_the_tag_pyyaml_gives_it(scalar: str) -> None:
    text = f"key: {scalar}\nlist: [{scalar}]\n{scalar or 'empty'}: v\n"
    expected = [t for node in yaml.compose_all(text, Loader=yaml.SafeLoader) for t in _tags(node)]
    assert [t for node in compose_nodes(text) for t in _tags(node)] == expected
    assert [t for node in compose_nodes(text) for t in _tags(node)] == expected  # answered from memory


def test_remembered_tags_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_compose, "_REMEMBERED_VALUES", 5)
    monkeypatch.setattr(yaml_compose, "_RESOLVED", {})
    text = "".join(f"k{i}: {value}\n" for i, value in enumerate(["1", "yes", "null", "x", "1.5", "no"] * 3))
    text += "long: " + "1" * 100 + "\n"
    tags = [t for node in compose_nodes(text) for t in _tags(node)]
    assert tags == [t for node in yaml.compose_all(text, Loader=yaml.SafeLoader) for t in _tags(node)]
    assert 0 < len(yaml_compose._RESOLVED) <= 5
    assert "1" * 100 not in yaml_compose._RESOLVED


def test_a_later_anchor_of_the_same_name_wins_as_in_go_yaml() -> None:
    nodes = compose_nodes("a: &x 1\nb: &x 2\nc: *x\n---\nd: 3\n")
    assert len(nodes) == 2
    (_, _), (_, _), (_, alias) = nodes[0].value
    assert alias.value == "2"


def test_other_composer_errors_are_raised() -> None:
    with pytest.raises(yaml.YAMLError):
        compose_nodes("a: *undefined\n")
    with pytest.raises(yaml.YAMLError):
        compose_nodes("a: [\n")
