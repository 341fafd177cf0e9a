"""Fuzzing the YAML loader: whatever bytes a repository holds, ``load_yaml`` answers with documents or findings.

Each test states the loader's promise on hostile input: no exception of any
kind, an answer within the deadline, problems that are the engine's own
findings (registered rule, line from 1), and positions inside the file.
"""

from __future__ import annotations

import pytest
from fuzz_support import (
    MAX_FILE_BYTES,
    assert_findings_keep_promises,
    encoded,
    line_ends,
    mutate,
    mutations,
    positions,
    seed_bytes,
    seed_files,
    watchdog,
)
from hypothesis import given
from hypothesis import strategies as st

from checks.yaml_docs import YamlFile, YamlLimits, load_yaml

PATH = "clusters/prod/app.yaml"


def loaded_keeping_promises(data: bytes, limits: YamlLimits | None = None, line_offset: int = 0) -> YamlFile:
    """Load and check what every load promises; the result for further checks."""
    with watchdog():
        loaded = load_yaml(PATH, data, limits, line_offset)
    assert_findings_keep_promises(loaded.problems, None)
    assert all(p.path == PATH for p in loaded.problems)
    assert all(p.line > line_offset for p in loaded.problems)
    if loaded.ok:
        # Positions lie inside the text (shifted by the offset); a collection may end on the line after its last.
        last = len(loaded.text.splitlines()) + 1 + line_offset
        outside = [(what, line, end) for what, line, end in positions(loaded)
                   if not line_offset < line <= end <= max(last, line)]
        assert not outside, outside[:5]
    else:
        assert loaded.docs == [], "a file refused as invalid keeps no documents"
    return loaded


@given(st.binary(max_size=4096))
def test_arbitrary_bytes_are_documents_or_findings(data: bytes) -> None:
    loaded_keeping_promises(data)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=2048))
def test_arbitrary_text_is_documents_or_findings(text: str) -> None:
    loaded_keeping_promises(text.encode("utf-8"))


@pytest.mark.skipif(not seed_files(), reason="no seed manifests")
@given(st.sampled_from(seed_files()), mutations, st.integers(0, 50))
def test_mutated_real_manifests_are_documents_or_findings(seed, edits, offset: int) -> None:
    loaded_keeping_promises(mutate(seed_bytes(seed), edits), line_offset=offset)


@pytest.mark.skipif(not seed_files(), reason="no seed manifests")
@given(st.sampled_from(seed_files()), st.sampled_from(("lf", "crlf", "cr", "mixed")),
       st.sampled_from(("utf-8", "utf-8-bom", "utf-16", "latin-1")), st.integers(0, MAX_FILE_BYTES),
       st.sampled_from((b"", b"\x00", b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xef\xbb\xbf")))
def test_encodings_line_ends_and_stray_bytes(seed, ends: str, encoding: str, at: int, stray: bytes) -> None:
    text = line_ends(seed_bytes(seed), ends).decode("utf-8", "surrogateescape")
    data = encoded(text, encoding)
    at = min(at, len(data))
    loaded = loaded_keeping_promises(data[:at] + stray + data[at:])
    if encoding in ("utf-8", "utf-8-bom") and not stray and load_yaml(PATH, seed_bytes(seed)).ok:
        assert loaded.ok and len(loaded.docs) == len(load_yaml(PATH, seed_bytes(seed)).docs)


@st.composite
def deep_nesting(draw: st.DrawFn) -> bytes:
    """Flow or block collections nested hundreds to thousands deep."""
    depth = draw(st.integers(1, 3000))
    style = draw(st.sampled_from(("flow-seq", "flow-map", "block-map", "block-seq", "mixed-flow")))
    if style == "flow-seq":
        return b"[" * depth + b"x" + b"]" * draw(st.integers(0, depth))
    if style == "flow-map":
        return b"{a: " * depth + b"x" + b"}" * depth
    if style == "mixed-flow":
        return b"".join(b"[" if i % 2 else b"{a: " for i in range(depth)) + b"x" + b"".join(
            b"]" if i % 2 else b"}" for i in reversed(range(depth)))
    depth = min(depth, 600)  # block nesting costs depth squared in indentation
    if style == "block-map":
        return b"".join(b"  " * i + b"k:\n" for i in range(depth)) + b"  " * depth + b"v\n"
    return b"".join(b"  " * i + b"-\n" for i in range(depth)) + b"  " * depth + b"v\n"


@given(deep_nesting(), st.integers(1, 400))
def test_deep_nesting_is_refused_or_read(data: bytes, max_depth: int) -> None:
    loaded_keeping_promises(data, YamlLimits(max_depth=max_depth))


@st.composite
def aliases(draw: st.DrawFn) -> bytes:
    """Anchors and aliases: laughs of random width and depth, recursion, merges, redefinitions, dangling ones."""
    width = draw(st.integers(1, 12))
    depth = draw(st.integers(1, 12))
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, depth):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    extra = draw(st.lists(st.sampled_from((
        "r: &r [*r]", "m: &m {self: *m}", "merged:\n  <<: *a0\n", "merged2:\n  <<: [*a0, *a1]\n",
        "again: &a0 redefined", "dangling: *nowhere", "key: &k {<<: *k}", "? *a0\n: complex-key",
        "mk: &mk {a: 1}\nmerge:\n  <<: *mk\n  <<: *mk\n", "late: *late\nlate2: &late 1",
    )), max_size=4))
    return "\n".join(lines + extra).encode() + b"\n"


@given(aliases(), st.integers(1, 2_000_000))
def test_alias_expansion_is_bounded(data: bytes, max_values: int) -> None:
    loaded_keeping_promises(data, YamlLimits(max_values=max_values))


@given(st.integers(0, 3 * 1024 * 1024), st.sampled_from(("plain", "quoted", "block", "key", "base64")),
       st.integers(1, 2 * 1024 * 1024))
def test_huge_scalars_are_read_or_refused_by_size(length: int, style: str, max_bytes: int) -> None:
    body = b"A" * length
    data = {
        "plain": b"value: " + body + b"\n",
        "quoted": b'value: "' + body + b'"\n',
        "block": b"value: |\n  " + body + b"\n",
        "key": body + b": 1\n",
        "base64": b"value: !!binary " + body + b"\n",
    }[style]
    loaded = loaded_keeping_promises(data, YamlLimits(max_bytes=max_bytes))
    if len(data) > max_bytes:
        assert [p.rule for p in loaded.problems] == ["structure/file-too-large"]


@given(st.lists(st.sampled_from((b"\x00", b"\xef\xbb\xbf", b"\r\n", b"\r", b"\xff\xfe", b"\xfe\xff", b"\x85",
                                 b"\xe2\x80\xa8", b"\t", b"a: b\n", b"- x\n", b"---\n", b"\xc0\x80",
                                 b"\xf4\x90\x80\x80", b"\x1b[31m", b"\x7f")), max_size=60), st.integers(0, 10_000))
def test_control_bytes_boms_and_invalid_utf8(pieces: list[bytes], padding: int) -> None:
    # NUL bytes are looked for in the first 8 KiB only: padding pushes them past it.
    loaded_keeping_promises(b"k: v\n" * (padding // 5) + b"".join(pieces))
