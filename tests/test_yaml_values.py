"""Composed nodes turned into values that remember where they were written, within the caps."""

from __future__ import annotations

import pytest

from checks.yaml_compose import compose_nodes
from checks.yaml_docs import YamlLimits
from checks.yaml_values import Converter, Pos, TooBig, YMap, YSeq


def convert(text: str, limits: YamlLimits | None = None, aliases: bool = False) -> object:
    [node] = compose_nodes(text)
    return Converter("f.yaml", limits or YamlLimits(), []).convert(node, 0, aliases)


def test_a_key_and_its_value_on_one_line_share_one_position() -> None:
    root = convert("a: 1\nb:\n  - x\n  - y: 2\n")
    assert isinstance(root, YMap)
    assert root.key_pos["a"] is root.value_pos["a"] == Pos("f.yaml", 1, 1)
    items = root["b"]
    assert isinstance(items, YSeq) and items.item_pos[0] == Pos("f.yaml", 3, 3)


def test_collections_end_where_their_last_value_ends() -> None:
    root = convert("a:\n  b: |\n    one\n    two\nc: {d: 1,\n  e: 2}\n")
    assert isinstance(root, YMap)
    assert root.pos == Pos("f.yaml", 1, 6)
    assert root["a"].pos == Pos("f.yaml", 2, 4)  # the block scalar's last line, not the key after it
    assert root["c"].pos == Pos("f.yaml", 5, 6)


def test_the_same_values_with_aliases_counted_or_not() -> None:
    text = "base: &b\n  x: [1, 2]\nother: *b\n"
    counted, plain = convert(text, aliases=True), convert(text, aliases=False)
    assert counted == plain == {"base": {"x": [1, 2]}, "other": {"x": [1, 2]}}
    assert counted["other"] is counted["base"]  # an alias shares the value it names


def test_nesting_beyond_the_cap_is_too_big_on_its_line() -> None:
    with pytest.raises(TooBig) as refused:
        convert("a:\n  b:\n    c:\n      d: 1\n", YamlLimits(max_depth=2))
    assert refused.value.line == 4  # `d: 1`, the mapping one level deeper than allowed
