"""Lenient, bounded YAML loading with positions."""

from __future__ import annotations

import re
import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.findings import Severity
from checks.yaml_docs import (
    _ALIAS,
    _ANCHOR,
    Pos,
    YamlFile,
    YamlLimits,
    YMap,
    YSeq,
    compose_nodes,
    decode_text,
    load_yaml,
    may_hold_aliases,
)


def load(text: str | bytes, **kwargs: object) -> YamlFile:
    data = textwrap.dedent(text).encode() if isinstance(text, str) else text
    return load_yaml("f.yaml", data, **kwargs)  # type: ignore[arg-type]


def rules(loaded: YamlFile) -> list[tuple[str, int]]:
    return [(p.rule, p.line) for p in loaded.problems]


# -- leniency: what Flux accepts --------------------------------------------------------------------

def test_multi_document_file_keeps_every_document_and_its_index() -> None:
    loaded = load("""\
        ---
        kind: A
        ---
        ---
        kind: B
        ...
        ---
        - a list
        """)
    assert [d.index for d in loaded.docs] == [0, 1, 2, 3]
    assert [d.root for d in loaded.docs] == [{"kind": "A"}, None, {"kind": "B"}, ["a list"]]
    assert loaded.docs[2].pos.line == 5
    assert loaded.ok and loaded.problems == []


def test_empty_file_has_no_documents() -> None:
    loaded = load("")
    assert loaded.docs == [] and loaded.ok


def test_byte_order_mark_is_dropped() -> None:
    loaded = load(b"\xef\xbb\xbfkind: ConfigMap\nmetadata:\n  name: a\n")
    assert loaded.docs[0].root == {"kind": "ConfigMap", "metadata": {"name": "a"}}
    assert loaded.docs[0].root.key_pos["kind"].line == 1
    assert loaded.text.startswith("kind")


def test_crlf_line_ends_are_normalised_and_lines_stay_right() -> None:
    loaded = load(b"kind: ConfigMap\r\nmetadata:\r\n  name: a\r\ndata:\r\n  text: |\r\n    one\r\n    two\r\n")
    root = loaded.docs[0].root
    assert root["data"]["text"] == "one\ntwo\n"
    assert root["metadata"].value_pos["name"].line == 3
    assert "\r" not in loaded.text
    assert loaded.lines[2] == "  name: a"


def test_a_later_anchor_replaces_an_earlier_one() -> None:
    text = """\
        env:
          - name: &name TOKEN
            key: *name
          - name: &name ZONE
            key: *name
        """
    with pytest.raises(yaml.YAMLError):
        list(yaml.safe_load_all(textwrap.dedent(text)))  # PyYAML alone refuses it
    loaded = load(text)
    assert loaded.problems == []
    assert loaded.docs[0].root["env"] == [{"name": "TOKEN", "key": "TOKEN"}, {"name": "ZONE", "key": "ZONE"}]
    assert loaded.docs[0].root["env"][1].value_pos["key"].line == 4  # an alias is where its anchor was


def test_equals_sign_is_a_plain_string_as_key_and_value() -> None:
    text = """\
        matchers:
          - name: severity
            matchType: =
        =: equals
        """
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(textwrap.dedent(text))  # PyYAML alone refuses it
    root = load(text).docs[0].root
    assert root["matchers"][0]["matchType"] == "="
    assert root["="] == "equals"


def test_merge_keys_merge_without_overriding_own_keys() -> None:
    root = load("""\
        defaults: &defaults
          interval: 10m
          prune: true
        extra: &extra
          wait: true
        app:
          <<: [*defaults, *extra]
          interval: 1h
        single:
          <<: *defaults
        """).docs[0].root
    assert root["app"] == {"interval": "1h", "prune": True, "wait": True}
    assert "<<" not in root["app"]
    assert root["app"].value_pos["interval"].line == 8
    assert root["app"].value_pos["prune"].line == 3  # where the merged value was written
    assert root["single"] == {"interval": "10m", "prune": True}


def test_unknown_tags_are_read_as_plain_values() -> None:
    root = load("""\
        password: !vault secret-ref
        config: !custom {a: 1}
        items: !list [1, 2]
        """).docs[0].root
    assert root == {"password": "secret-ref", "config": {"a": 1}, "items": [1, 2]}


def test_scalars_are_typed_like_kubernetes_reads_them() -> None:
    root = load("""\
        int: 42
        hex: 0x1F
        float: 1.5
        yes_bool: yes
        false_bool: false
        quoted: "true"
        single: '42'
        null_value: ~
        empty:
        date: 2024-01-01
        duration: 10m
        binary: !!binary aGVsbG8=
        """).docs[0].root
    assert root == {
        "int": 42, "hex": 31, "float": 1.5, "yes_bool": True, "false_bool": False, "quoted": "true",
        "single": "42", "null_value": None, "empty": None, "date": "2024-01-01", "duration": "10m",
        "binary": b"hello",
    }


def test_containers_are_positioned_types() -> None:
    root = load("a:\n  - b: 1\n").docs[0].root
    assert isinstance(root, YMap)
    assert isinstance(root["a"], YSeq)
    assert isinstance(root["a"][0], YMap)


# -- positions ---------------------------------------------------------------------------------------------

POSITIONED = """\
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: apps
    spec:
      postBuild:
        substitute:
          domain: example.com
        substituteFrom:
          - kind: ConfigMap
            name: settings

          - kind: Secret
            name: secrets
      interval: 10m
      patches:
        - patch: |
            kind: HelmRelease
            spec:
              interval: 1h
      flow: {a: 1,
        b: 2}
    # a comment
    other: value
    """


def test_keys_and_values_know_their_lines() -> None:
    root = load(POSITIONED).docs[0].root
    spec = root["spec"]
    assert root.key_pos["spec"] == Pos("f.yaml", 5, 5)
    assert spec.key_pos["interval"] == Pos("f.yaml", 15, 15)
    assert spec.value_pos["interval"] == Pos("f.yaml", 15, 15)
    assert spec["postBuild"]["substitute"].value_pos["domain"].line == 8


def test_collections_end_at_their_last_value() -> None:
    root = load(POSITIONED).docs[0].root
    spec = root["spec"]
    assert spec.value_pos["postBuild"] == Pos("f.yaml", 7, 14)
    assert spec["postBuild"].value_pos["substitute"] == Pos("f.yaml", 8, 8)
    assert spec["postBuild"]["substituteFrom"].item_pos == [Pos("f.yaml", 10, 11), Pos("f.yaml", 13, 14)]
    assert spec.value_pos["flow"] == Pos("f.yaml", 21, 22)
    assert root.value_pos["spec"] == Pos("f.yaml", 6, 22)  # not the comment after it
    assert root.pos == Pos("f.yaml", 1, 24)


def test_block_scalar_ends_at_its_last_line() -> None:
    spec = load(POSITIONED).docs[0].root["spec"]
    assert spec["patches"][0].value_pos["patch"] == Pos("f.yaml", 17, 20)
    assert spec["patches"][0]["patch"] == "kind: HelmRelease\nspec:\n  interval: 1h\n"


def test_alias_as_last_value_never_ends_before_its_collection() -> None:
    root = load("""\
        base: &b {k: 1}
        a:
          x: 1
          y: *b
        end: 1
        """).docs[0].root
    pos = root.value_pos["a"]
    assert pos.line == 3 and pos.end_line >= 4


def test_line_offset_shifts_every_position() -> None:
    loaded = load("kind: HelmRelease\nspec:\n  interval: 1h\n", line_offset=16)
    root = loaded.docs[0].root
    assert root.key_pos["kind"].line == 17
    assert root["spec"].value_pos["interval"] == Pos("f.yaml", 19, 19)
    assert loaded.docs[0].pos.line == 17


def test_line_offset_shifts_problem_lines_too() -> None:
    loaded = load("a: 1\n a: 2\n  bad\n", line_offset=10)
    assert rules(loaded) == [("structure/yaml-invalid", 12)]


# -- problems ---------------------------------------------------------------------------------------------

def test_broken_yaml_is_yaml_invalid_at_the_right_line() -> None:
    loaded = load("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: a
         namespace: b
        """)
    assert rules(loaded) == [("structure/yaml-invalid", 5)]
    problem = loaded.problems[0]
    assert problem.severity is Severity.ERROR
    assert "line 5" in problem.message
    assert loaded.docs == [] and not loaded.ok


@pytest.mark.parametrize(("text", "line"), [
    ("a: [1, 2\nb: 3\n", 2),
    ('a: "unterminated\n', 2),
    ("a: 1\n\t- b\n", 2),
    ("a: *undefined\n", 1),
    ("a: 1\n---\nb: [\n", 4),
])
def test_parser_errors_name_their_line(text: str, line: int) -> None:
    assert rules(load(text)) == [("structure/yaml-invalid", line)]


def test_repeated_key_is_duplicate_key_at_the_second_line() -> None:
    loaded = load("""\
        metadata:
          name: a
        spec:
          interval: 10m
          path: ./apps
          interval: 1h
        """)
    assert rules(loaded) == [("structure/duplicate-key", 6)]
    problem = loaded.problems[0]
    assert "`interval`" in problem.message and "line 4" in problem.message
    assert problem.key == "0:spec.interval"
    assert loaded.ok  # still read: the later value wins, as other tools do
    assert loaded.docs[0].root["spec"]["interval"] == "1h"


def test_duplicate_key_fingerprint_ignores_lines_above() -> None:
    text = "spec:\n  list:\n    - name: a\n      name: b\n"
    first = load(text).problems[0]
    moved = load("# a new comment\n\n" + text).problems[0]
    assert first.line + 2 == moved.line
    assert first.fingerprint == moved.fingerprint
    other_doc = load("a: 1\n---\n" + text).problems[0]
    assert other_doc.key == "1:spec.list[0].name"


def test_billion_laughs_is_rejected_without_expansion() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    loaded = load("\n".join(lines) + "\n")  # 9**10 values once expanded
    assert rules(loaded) == [("structure/yaml-invalid", 1)]
    assert "alias expansion" in loaded.problems[0].message
    assert loaded.docs == []  # nothing was built


def test_alias_cap_is_configurable() -> None:
    text = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"
    assert load(text).problems == []
    assert rules(load(text, limits=YamlLimits(max_values=10))) == [("structure/yaml-invalid", 1)]


@pytest.mark.parametrize(("text", "line"), [("a: &a\n  - *a\n", 1), ("a: &a {x: [*a]}\n", 1),
                                           ("k: &k {<<: *k}\n", 1),
                                           ("ok: &o [1]\nmeta: &m {name: a, labels: {x: *m}}\n", 2)])
def test_recursive_alias_is_yaml_invalid_as_go_refuses_it(text: str, line: int) -> None:
    # A value holding an alias of itself would be a cycle every walk over the values follows forever.
    loaded = load(text)
    assert rules(loaded) == [("structure/yaml-invalid", line)] and loaded.docs == []
    assert "recursive alias" in loaded.problems[0].message


def test_an_alias_used_twice_is_not_recursive() -> None:
    loaded = load("a: &a [1]\nb: [*a, *a]\nc: {<<: {x: *a}}\n")
    assert loaded.ok and loaded.docs[0].root["b"] == [[1], [1]]


def test_file_above_the_size_cap_is_not_read() -> None:
    data = b"a: " + b"x" * (5 * 1024 * 1024) + b"\n"
    loaded = load_yaml("big.yaml", data)
    assert rules(loaded) == [("structure/file-too-large", 1)]
    assert loaded.problems[0].severity is Severity.INFO
    assert "max_file_bytes" in loaded.problems[0].message
    assert loaded.docs == [] and loaded.text == ""
    assert loaded.ok  # not invalid: unchecked


def test_size_cap_is_configurable() -> None:
    assert rules(load(b"a: 1\n", limits=YamlLimits(max_bytes=4))) == [("structure/file-too-large", 1)]
    assert load(b"a: 1\n", limits=YamlLimits(max_bytes=5)).problems == []


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"kind: ConfigMap\n\x00\x01\x02",
], ids=["png", "nul-bytes"])
def test_binary_file_is_yaml_invalid(data: bytes) -> None:
    loaded = load_yaml("image.yaml", data)
    assert rules(loaded) == [("structure/yaml-invalid", 1)]
    assert "binary" in loaded.problems[0].message
    assert loaded.docs == []


def test_non_utf8_file_is_yaml_invalid() -> None:
    loaded = load_yaml("latin1.yaml", "name: café\n".encode("latin-1"))
    assert rules(loaded) == [("structure/yaml-invalid", 1)]
    assert "UTF-8" in loaded.problems[0].message


def test_nesting_too_deep_is_yaml_invalid() -> None:
    depth = 250
    block = "".join("  " * i + "k:\n" for i in range(depth)) + "  " * depth + "v: 1\n"
    loaded = load(block)
    assert [p.rule for p in loaded.problems] == ["structure/yaml-invalid"]
    assert "nested deeper" in loaded.problems[0].message
    assert loaded.docs == []
    flow = load("[" * depth + "]" * depth)
    assert [p.rule for p in flow.problems] == ["structure/yaml-invalid"]


def test_nesting_cap_is_configurable() -> None:
    assert load("a:\n  b:\n    c: 1\n", limits=YamlLimits(max_depth=1)).docs == []
    assert load("a:\n  b:\n    c: 1\n", limits=YamlLimits(max_depth=3)).docs != []


def test_with_aliases_the_caps_hold_exactly_at_their_bounds() -> None:
    # A file with aliases is counted while it is converted; at each cap it is read or refused as before.
    text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"  # 1 + (1 + 4) + (1 + 1 + 4 + 4) values once expanded
    assert load(text, limits=YamlLimits(max_values=16)).problems == []
    refused = load(text, limits=YamlLimits(max_values=15))
    assert rules(refused) == [("structure/yaml-invalid", 1)] and "alias expansion" in refused.problems[0].message
    nested = "a: &a 1\nz: *a\nb: {c: {d: [x]}}\n"  # x lies 4 levels down
    assert load(nested, limits=YamlLimits(max_depth=4)).docs[0].root["b"] == {"c": {"d": ["x"]}}
    deep = load(nested, limits=YamlLimits(max_depth=3))
    assert deep.docs == [] and "nested deeper than 3" in deep.problems[0].message
    assert load("a: &a 1\nb: {c: {}}\n", limits=YamlLimits(max_depth=2)).docs != []  # an empty map at the cap


def test_an_alias_of_a_collection_as_a_key_is_read_as_its_text() -> None:
    loaded = load("a: &k [1, 2]\n? *k\n: v\nb: &m {x: 1}\nc: *m\n")
    assert loaded.ok and loaded.docs[0].root["[1, 2]"] == "v" and loaded.docs[0].root["c"] == {"x": 1}
    assert rules(load("a: &k [1, 2]\n? *k\n: v\n", limits=YamlLimits(max_values=6))) == [
        ("structure/yaml-invalid", 1)]


# -- text helpers ------------------------------------------------------------------------------------------

def test_decode_text_refuses_binary_and_normalises_line_ends() -> None:
    assert decode_text(b"\xef\xbb\xbfa\r\nb\rc\n") == "a\nb\nc\n"
    with pytest.raises(UnicodeError):
        decode_text(b"a\x00b")
    with pytest.raises(UnicodeError):
        decode_text(b"\xff\xfe")


def test_compose_nodes_uses_the_lenient_path_only_for_duplicate_anchors() -> None:
    assert len(compose_nodes("a: &x 1\nb: &x 2\n---\nc: 3\n")) == 2
    with pytest.raises(yaml.YAMLError):
        compose_nodes("a: [\n")


@pytest.mark.parametrize("data", [b"\0kind: A\n", b"\xffkind: A\n", b"kind: " + b"A" * 64 + b"\n"])
def test_line_offset_shifts_problems_of_unreadable_text_too(data: bytes) -> None:
    loaded = load(data, line_offset=7, limits=YamlLimits(max_bytes=32))
    assert [p.line for p in loaded.problems] == [8]



@pytest.mark.parametrize(("text", "root"), [
    ("a: !!int abc\n", {"a": "abc"}),
    ("a: !!float abc\n", {"a": "abc"}),
    ("a: !!int 0b12\n", {"a": "0b12"}),
    ("!!int a: 1\n", {"a": 1}),
    ("a: !!int\n", {"a": ""}),
    ("a: !!float\n", {"a": ""}),
    ("a: " + "9" * 5000 + "\n", {"a": "9" * 5000}),  # past Python's 4,300-digit limit for int()
])
def test_a_scalar_its_tag_cannot_read_stays_text(text: str, root: dict[str, object]) -> None:
    loaded = load(text)
    assert loaded.ok and loaded.docs[0].root == root


def test_lines_after_characters_libyaml_takes_for_line_breaks_are_numbered_as_editors_number_them() -> None:
    # U+0085, U+2028 and U+2029 end a line for libyaml, not for git, GitHub or the fixes.
    for odd in ("\u0085", "\u2028", "\u2029"):
        text = f"a: 'x{odd}y'\nb: 1\nc: [1,\n"
        loaded = load_yaml("f.yaml", text.encode())
        assert [p.line for p in loaded.problems] == [4], odd  # the end of the file, after three lines
        good = load_yaml("f.yaml", f"a: 'x{odd}y'\nb: 1\nc: 2\n".encode())
        root = good.docs[0].root
        assert (root.key_pos["b"].line, root.key_pos["c"].line) == (2, 3)
        assert good.lines == [f"a: 'x{odd}y'", "b: 1", "c: 2"]


# -- what loading remembers for later readers --------------------------------------------------------

# The alias and anchor patterns as first written: a `*` (`&`) at a line start or after a space, [, {, a comma,
# a colon or a question mark, followed by a character of a name as libyaml reads one. The ones in use are
# rewritten to start with `*` (`&`), much faster; same answers.
_READABLE_ALIAS = re.compile(r"(?:^|[\s\[{,:?])\*[0-9A-Za-z_-]", re.M)
_READABLE_ANCHOR = re.compile(r"(?:^|[\s\[{,:?])&[0-9A-Za-z_-]", re.M)


@settings(max_examples=500, derandomize=True, database=None, deadline=None)
@given(st.text(alphabet=st.sampled_from("* \t\n\r[]{},:?ab&-\u00a0\u2028\x85"), max_size=12))
def test_the_alias_patterns_find_what_their_readable_forms_find(text: str) -> None:
    assert (_ALIAS.search(text) is None) == (_READABLE_ALIAS.search(text) is None)
    assert (_ANCHOR.search(text) is None) == (_READABLE_ANCHOR.search(text) is None)


def _libyaml_reads_an_alias(text: str) -> bool:
    """Whether libyaml composes the text with an alias in it (an alias of no anchor refuses the file)."""
    try:
        compose_nodes(text)
        return any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return False


@settings(max_examples=1500, derandomize=True, database=None, deadline=None)
@given(st.sampled_from(["a: &x [1]\nb: {}*x\n", "a: &x [1]\nb: [{}*x]\n", "a: &x [1]\nb: {{{}*x}}\n",
                        "a: &x [1]\nb: [k, {}*x]\n", "{}&x [1]\n", "b: [{}&x 1, *x]\n", "b: {{k: {}&x 1, c: *x}}\n"]),
       st.text(alphabet=st.sampled_from("[]{},?:-!&*|>'\"%@#` \tab\n"), max_size=3))
def test_every_alias_libyaml_reads_is_found_before_converting(template: str, between: str) -> None:
    # Without aliases values are converted without counting their expansion: a missed alias is a YAML bomb let in.
    text = template.format(between)
    if _libyaml_reads_an_alias(text):
        assert may_hold_aliases(text)


def test_a_bomb_of_flow_keys_is_rejected_without_expansion() -> None:
    # In a flow collection `?` starts a key with nothing after it: `[?*a]` is an alias libyaml reads.
    lines = ["l0: &l0 [x,x,x,x,x,x,x,x,x,x]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'?*l{n - 1}'] * 10)}]" for n in range(1, 10)]  # 10**10 values
    loaded = load("\n".join(lines) + "\n")
    assert rules(loaded) == [("structure/yaml-invalid", 1)]
    assert "alias expansion" in loaded.problems[0].message


def test_a_star_or_an_ampersand_alone_is_not_an_alias() -> None:
    assert not may_hold_aliases('schedule: "0 0 * * *"\nimage: "*:*"\n')  # no anchor: no alias can be read
    assert not may_hold_aliases("url: https://example.com/?a=1&b=2\n")
    assert may_hold_aliases("a: &x 1\nb: *x\n")
    # A quoted cron schedule and a script's `&&` start no token libyaml reads as an alias or an anchor.
    assert not may_hold_aliases('on:\n  schedule:\n    - cron: "0 0 * * *"\nrun: |\n  cd /tmp && make\n')


@pytest.mark.parametrize("first", [chr(c) for c in range(33, 127)] + ["\u00e9", "\u00a0", "\u2028", "\U0001f600"])
def test_every_name_libyaml_reads_after_a_star_is_found(first: str) -> None:
    # The patterns know which characters libyaml takes in an anchor's name: any other makes it refuse the file.
    for text in (f"a: &{first}x 1\nb: *{first}x\n", f"a: &{first} 1\nb: [*{first}]\n",
                 f"a: &{first}x [1]\nb: {{k: *{first}x}}\n"):
        if _libyaml_reads_an_alias(text):
            assert may_hold_aliases(text), text


def test_lines_are_split_once_and_follow_a_new_text() -> None:
    loaded = load("a: 1\nb: 2\n")
    assert loaded.lines is loaded.lines == ["a: 1", "b: 2"]
    loaded.text = "c: 3\n"
    assert loaded.lines == ["c: 3"]


def test_each_document_records_where_its_root_starts() -> None:
    text = "a: 1\n---\n# comment\nb: 2\n--- c\n"
    loaded = load(text)
    assert [text[start] for start in loaded.starts] == ["a", "b", "c"]
    assert load("a: [\n").starts == []  # nothing read, nothing recorded


def test_a_document_position_is_its_roots_without_aliases_and_walked_with_them() -> None:
    plain = load("""\
        a:
          b: [1,
            2]
        c: |
          text
        """)
    assert plain.docs[0].pos == plain.docs[0].root.pos == Pos("f.yaml", 1, 5)
    aliased = load("""\
        base: &b
          x: 1
        other: *b
        """)
    # The alias as last value points back at line 2: the document's position, as it always was, and its root's
    # (bounded by the next token) differ, so with aliases the document is walked for its own.
    assert aliased.docs[0].pos == Pos("f.yaml", 1, 2)
    assert aliased.docs[0].root.pos == Pos("f.yaml", 1, 3)
