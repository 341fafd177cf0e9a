"""Composed nodes turned into values that remember where they were written, within the caps."""

from __future__ import annotations

import pytest

from checks.yaml_compose import compose_nodes
from checks.yaml_docs import YamlLimits, load_yaml
from checks.yaml_values import Converter, Pos, TooBig, YMap, YSeq, relocated


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


def _positions(value: object) -> list[object]:
    """Every position of a loaded value, in order, with the values themselves."""
    if isinstance(value, YMap):
        return [value.pos, *(part for key, item in value.items()
                             for part in (key, value.key_pos[key], value.value_pos[key], *_positions(item)))]
    if isinstance(value, YSeq):
        return [value.pos, *(part for item, pos in zip(value, value.item_pos, strict=True)
                             for part in (pos, *_positions(item)))]
    return [value]


RELOCATED = "- op: add\n  path: /spec/values\n  value:\n    a: |\n      one\n      two\n    b: [1, {c: 2}]\n"


def test_a_relocated_value_is_the_value_parsed_in_its_new_place() -> None:
    [here] = load_yaml("a.yaml", RELOCATED.encode(), line_offset=3).docs
    [there] = load_yaml("b.yaml", RELOCATED.encode(), line_offset=10).docs
    moved = relocated(here.root, "b.yaml", 7)
    assert moved == there.root
    assert _positions(moved) == _positions(there.root)
    assert _positions(here.root) == _positions(load_yaml("a.yaml", RELOCATED.encode(), line_offset=3).docs[0].root)
    assert moved is not here.root and moved[0]["value"] is not here.root[0]["value"]


def test_relocation_keeps_an_aliased_value_one_copy() -> None:
    # Aliases that expand to 65,536 values move as 16 lists: each distinct collection is copied once.
    text = "a: &a [x, x]\n" + "".join(f"{name}: &{name} [*{prev}, *{prev}]\n"
                                    for prev, name in zip("abcdefghijklmno", "bcdefghijklmnop", strict=True))
    [doc] = load_yaml("a.yaml", text.encode()).docs
    moved = relocated(doc.root, "b.yaml", 1)
    assert moved["p"][0] is moved["p"][1] is moved["o"]
    assert moved["a"].pos == Pos("b.yaml", 2, 2)


def test_scalars_are_relocated_as_themselves() -> None:
    assert relocated("text", "b.yaml", 3) == "text"
    assert relocated(None, "b.yaml", 3) is None
