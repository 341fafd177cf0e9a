"""Flux's envsubst as the rules read it: references, defaults, escapes and parse errors."""

from __future__ import annotations

import pytest

from checks.substitution import dash_default_fixed, parse, substitute, substitution_disabled, valid_name


def names(text: str) -> list[tuple[str, str]]:
    return [(ref.name, ref.operator) for ref in parse(text).references]


def test_bare_reference_has_no_default() -> None:
    [ref] = parse("host: web.${CLUSTER_DOMAIN}").references
    assert (ref.name, ref.operator, ref.has_default) == ("CLUSTER_DOMAIN", "", False)


@pytest.mark.parametrize("text", ["${var:=d}", "${var:-d}", "${var=d}", "${var:?msg}", "${var:+alt}"])
def test_default_operators_tolerate_an_unset_variable(text: str) -> None:
    [ref] = parse(text).references
    assert ref.has_default
    assert not parse(text).problems


@pytest.mark.parametrize("text", ["${var^^}", "${var,}", "${#var}", "${var/./-}", "${var#pre}", "${var%suf}",
                                  "${var:1:2}"])
def test_string_functions_read_the_variable_without_default(text: str) -> None:
    [ref] = parse(text).references
    assert ref.name == "var"
    assert not ref.has_default
    assert not parse(text).problems


def test_double_dollar_is_a_literal_and_bare_dollar_is_untouched() -> None:
    assert names("$${VAR} and $VAR and $$VAR") == []
    # `$$` escapes one dollar only: the third one starts a real reference.
    assert names("$$${VAR}") == [("VAR", "")]


def test_arguments_are_read_before_the_variable() -> None:
    assert names("${a:=${b}}") == [("b", ""), ("a", ":=")]


def test_dash_default_is_a_parse_error_naming_the_variable() -> None:
    parsed = parse("url: ${DOMAIN-example.com}")
    [problem] = parsed.problems
    assert problem.dash_default == "DOMAIN"
    assert "closing brace" in problem.reason


@pytest.mark.parametrize("text", ["${{ github.token }}", "${ VAR }", "${}", "${VAR", "${.Values.x}", "${a+b}"])
def test_expressions_flux_cannot_parse(text: str) -> None:
    assert parse(text).problems
    assert parse(text).problems[0].dash_default is None


def test_plain_text_costs_nothing() -> None:
    assert parse("no placeholders { here }") == parse("")


def test_variable_names_follow_fluxs_regex() -> None:
    assert valid_name("CLUSTER_DOMAIN") and valid_name("_x1")
    assert not valid_name("cluster-domain")
    assert not valid_name("1ST")
    assert not valid_name("a.b")


def test_dash_default_fix_keeps_escapes() -> None:
    assert dash_default_fixed('  url: "${A-x}/$${B-y}"') == '  url: "${A:=x}/$${B-y}"'


def test_substitution_opt_out_by_label_or_annotation() -> None:
    key = "kustomize.toolkit.fluxcd.io/substitute"
    assert substitution_disabled({key: "disabled"}, {})
    assert substitution_disabled({}, {key: "disabled"})
    assert not substitution_disabled({key: "enabled"}, None)


@pytest.mark.parametrize(("text", "variables", "result"), [
    ("./kubernetes/${CLUSTER}/apps", {"CLUSTER": "main"}, "./kubernetes/main/apps"),
    ("${A}-${B}", {"A": "1", "B": "2"}, "1-2"),
    ("${A:=x}", {}, "x"), ("${A:-x}", {"A": ""}, "x"), ("${A=x}", {"A": "set"}, "set"),
    ("plain", {}, "plain"),
    ("${A}", {}, None),                  # unset: strict substitution fails, the value is unknown
    ("${A:=${B}}", {"B": "1"}, None),    # nested
    ("${A:+alt}", {"A": "1"}, None),     # other operators are not evaluated
    ("$${A}", {"A": "1"}, None),         # an escape
    ("${A-x}", {}, None),                # Flux cannot parse it
])
def test_substitute_evaluates_only_what_is_certain(text: str, variables: dict[str, str], result: str | None) -> None:
    assert substitute(text, variables) == result
