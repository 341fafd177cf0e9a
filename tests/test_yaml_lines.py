"""Editor line numbers: what counts as a line break, and marks renumbered from character indexes."""

from __future__ import annotations

from checks.yaml_docs import compose_nodes
from checks.yaml_lines import Renumber, lines, needs_renumbering


def test_only_lf_crlf_and_cr_end_a_line() -> None:
    assert lines("a\nb\r\nc\rd\x85e\u2028f\x0cg\n") == ["a", "b", "c", "d\x85e\u2028f\x0cg"]
    assert lines("") == [] and lines("a") == ["a"] and lines("a\n\n") == ["a", ""]


def test_renumbered_marks_count_editor_lines() -> None:
    text = "a: 'x\u2029y'\nb: [1, *x]\nc: &x 2\n".replace("*x", "2")
    assert needs_renumbering(text) and not needs_renumbering("a: b\n")
    nodes = compose_nodes(text)
    Renumber(text).nodes(nodes)
    keys = [key.start_mark.line for key, _ in nodes[0].value]
    assert keys == [0, 1, 2]
    assert Renumber("a\nb\nc").line(4) == 2
