"""Repository-supplied patterns compile with RE2: Go's syntax, linear-time matching, refusals as None."""

from __future__ import annotations

from checks.linear_regex import compile_linear


def test_go_syntax_with_inline_flags_anywhere() -> None:
    pattern = compile_linear(r"secrets/.*((?i)token)\.ya?ml$")
    assert pattern is not None and pattern.search("apps/secrets/GitHub-TOKEN.yaml")
    assert not pattern.search("apps/secrets/readme.md")


def test_what_go_refuses_is_none() -> None:
    assert compile_linear(r"(a)\1") is None  # backreference
    assert compile_linear(r"foo(?=bar)") is None  # lookahead
    assert compile_linear("(") is None


def test_a_pattern_that_backtracks_in_python_answers_at_once() -> None:
    pattern = compile_linear("(a+)+b")
    assert pattern is not None and pattern.search("a" * 5000) is None
    assert pattern.match("aaab")


def test_a_name_that_is_not_utf8_is_matched_with_its_stray_byte_as_one_character() -> None:
    name = b"apps/caf\xe9.yaml".decode("utf-8", "surrogateescape")
    matcher = compile_linear(r"^apps/caf.\.yaml$")
    assert matcher is not None and matcher.match(name)
    literal = compile_linear(r"caf\.yaml")
    assert literal is not None and not literal.search(name)


def test_search_match_and_fullmatch_answer_like_re() -> None:
    matcher = compile_linear(r"app-\d+")
    assert matcher is not None
    assert matcher.search("my-app-12") and matcher.match("app-12x") and not matcher.match("my-app-1")
    assert matcher.fullmatch("app-12") and not matcher.fullmatch("app-12x")
