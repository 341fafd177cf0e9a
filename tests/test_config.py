"""Repository configuration: defaults, every key, and errors that name the line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from checks.config import (
    DEFAULT_MINIMUM_INTERVALS,
    DEFAULT_RECOMMENDED_INTERVALS,
    Config,
    ConfigError,
    RuleSettings,
    Tenant,
    load_config,
    load_config_text,
)
from checks.findings import Severity
from checks.rules import RULES_BY_ID
from checks.source import RepoSnapshot

SOURCE = ".github/flux-review.yml"


def config(text: str) -> Config:
    return load_config_text(textwrap.dedent(text), SOURCE, RULES_BY_ID)


def error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config(text)
    return str(caught.value)


def test_defaults() -> None:
    defaults = Config()
    assert defaults.fail_on is Severity.ERROR
    assert defaults.rules == {}
    assert defaults.rule("structure/yaml-invalid") == RuleSettings(enabled=True, severity=None, options={})
    with pytest.raises(TypeError):  # one shared answer for every unconfigured rule: no rule may write to it
        defaults.rule("structure/yaml-invalid").options["depth"] = 3  # type: ignore[index]
    assert defaults.include == () and defaults.exclude == ()
    assert defaults.cluster_roots == ("clusters/*",)
    assert defaults.repository_url is None and defaults.repository_sources == ()
    assert defaults.artifact_root is None
    assert defaults.flux_version is None and defaults.flux_release == (2, 9)
    assert defaults.minimum_intervals == DEFAULT_MINIMUM_INTERVALS
    assert defaults.recommended_intervals["HelmRelease"] == "15m"
    assert defaults.tenants == ()
    assert defaults.max_file_bytes == 1024 * 1024
    assert defaults.source == "defaults"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_file_is_the_defaults(text: str) -> None:
    loaded = config(text)
    assert loaded.source == SOURCE
    assert loaded.fail_on is Severity.ERROR and loaded.rules == {}


@pytest.mark.parametrize(("word", "expected"), [
    ("error", Severity.ERROR), ("warning", Severity.WARNING), ("info", Severity.INFO), ("never", None),
    ("WARNING", Severity.WARNING),
])
def test_fail_on(word: str, expected: Severity | None) -> None:
    assert config(f"fail_on: {word}\n").fail_on == expected


def test_rules_switched_off_regraded_and_with_options() -> None:
    loaded = config("""\
        rules:
          structure/yaml-invalid: off
          structure/duplicate-key: warning
          structure/path-missing: false
          structure/resource-missing:
            severity: info
            options:
              depth: 3
          structure/file-too-large:
            enabled: false
        """)
    assert loaded.rule("structure/yaml-invalid").enabled is False
    assert loaded.rule("structure/duplicate-key") == RuleSettings(True, Severity.WARNING, {})
    assert loaded.rule("structure/path-missing").enabled is False
    assert loaded.rule("structure/resource-missing") == RuleSettings(True, Severity.INFO, {"depth": 3})
    assert loaded.rule("structure/file-too-large").enabled is False


def test_paths_clusters_repository_and_version() -> None:
    loaded = config("""\
        paths:
          include: ["clusters/**", "apps/**"]
          exclude: apps/legacy/**
        clusters:
          roots: ["fleet/*"]
        repository:
          url: https://github.com/example/fleet
          sources: ["flux-system/fleet"]
          artifact_root: ./kubernetes
        flux_version: 2.7
        limits:
          max_file_bytes: 2048
        """)
    assert loaded.include == ("clusters/**", "apps/**")
    assert loaded.exclude == ("apps/legacy/**",)
    assert loaded.cluster_roots == ("fleet/*",)
    assert loaded.repository_url == "https://github.com/example/fleet"
    assert loaded.repository_sources == ("flux-system/fleet",)
    assert loaded.artifact_root == "./kubernetes"
    assert loaded.flux_version == "2.7"
    assert loaded.max_file_bytes == 2048


def test_path_selection() -> None:
    loaded = config("paths:\n  include: [clusters, apps/**]\n  exclude: [apps/legacy]\n")
    assert loaded.path_selected("clusters/prod/ks.yaml")
    assert loaded.path_selected("apps/podinfo/release.yaml")
    assert not loaded.path_selected("apps/legacy/old.yaml")
    assert not loaded.path_selected("docs/x.yaml")
    assert Config().path_selected("anything.yaml")


def test_interval_tables_are_merged_over_the_defaults() -> None:
    loaded = config("""\
        intervals:
          minimum: {Kustomization: 5m}
          recommended:
            HelmRelease: 30m
        """)
    assert loaded.minimum_intervals == {**DEFAULT_MINIMUM_INTERVALS, "Kustomization": "5m"}
    assert loaded.recommended_intervals == {**DEFAULT_RECOMMENDED_INTERVALS, "HelmRelease": "30m"}


def test_tenants() -> None:
    loaded = config("""\
        tenants:
          - name: team-a
            paths: ["tenants/team-a"]
            namespaces: [team-a, team-a-dev]
            service_account: team-a
          - name: team-b
            paths: tenants/team-b/**
        """)
    assert loaded.tenants == (
        Tenant("team-a", ("tenants/team-a",), ("team-a", "team-a-dev"), "team-a"),
        Tenant("team-b", ("tenants/team-b/**",), (), None),
    )
    assert loaded.tenants[0].owns("tenants/team-a/apps/ks.yaml")
    assert loaded.tenants[0].owns("tenants/team-a")
    assert not loaded.tenants[0].owns("tenants/team-ab/ks.yaml")
    assert loaded.tenants[1].owns("tenants/team-b/x/y.yaml")


@pytest.mark.parametrize(("text", "line", "words"), [
    ("fail_on: error\nfailon: warning\n", 2, "unknown setting failon"),
    ("paths:\n  includes: [a]\n", 2, "unknown setting paths.includes"),
    ("clusters:\n  root: [a]\n", 2, "unknown setting clusters.root"),
    ("repository:\n  uri: x\n", 2, "unknown setting repository.uri"),
    ("limits:\n  max_bytes: 1\n", 2, "unknown setting limits.max_bytes"),
    ("intervals:\n  maximum: {}\n", 2, "unknown setting intervals.maximum"),
    ("intervals:\n  minimum:\n    ConfigMap: 1m\n", 3, "'ConfigMap' is not a Flux kind with an interval"),
    ("rules:\n  structure/yaml-invalid: off\n  no/such-rule: off\n", 3, "unknown rule 'no/such-rule'"),
    ("rules:\n  structure/yaml-invalid:\n    level: info\n", 3, "unknown setting rules.structure/yaml-invalid.level"),
    ("tenants:\n  - name: a\n    paths: [x]\n    namespace: a\n", 4, "unknown setting tenants[].namespace"),
])
def test_unknown_keys_name_their_line(text: str, line: int, words: str) -> None:
    message = error(text)
    assert message.startswith(f"{SOURCE}:{line}: ")
    assert words in message


@pytest.mark.parametrize(("text", "line", "words"), [
    ("fail_on: sometimes\n", 1, "unknown severity 'sometimes'"),
    ("fail_on: [error]\n", 1, "fail_on must be a string"),
    ("rules: [structure/yaml-invalid]\n", 1, "rules must be a mapping"),
    ("rules:\n  structure/yaml-invalid: loud\n", 2, "unknown severity 'loud'"),
    ("rules:\n  structure/yaml-invalid: 3\n", 2, "must be off, a severity, or a mapping"),
    ("rules:\n  structure/yaml-invalid:\n    enabled: maybe\n", 3, "enabled must be true or false"),
    ("rules:\n  structure/yaml-invalid:\n    severity: high\n", 3, "unknown severity 'high'"),
    ("rules:\n  structure/yaml-invalid:\n    options: [1]\n", 3, "options must be a mapping"),
    ("paths:\n  include: 3\n", 2, "include must be a list of strings"),
    ("paths:\n  exclude: [a, 1]\n", 2, "exclude must be a list of strings"),
    ("paths: all\n", 1, "paths must be a mapping"),
    ("clusters:\n  roots: {a: b}\n", 2, "roots must be a list of strings"),
    ("repository:\n  url: [x]\n", 2, "url must be a string"),
    ("limits:\n  max_file_bytes: big\n", 2, "max_file_bytes must be a positive integer"),
    ("limits:\n  max_file_bytes: 0\n", 2, "max_file_bytes must be a positive integer"),
    ("limits:\n  max_file_bytes: true\n", 2, "max_file_bytes must be a positive integer"),
    ("intervals:\n  minimum:\n    Kustomization: [1m]\n", 3, "Kustomization must be a string"),
    ("tenants: {name: a}\n", 1, "tenants must be a list"),
    ("flux_version: [2]\n", 1, "flux_version must be a string"),
    ("flux_version: latest\n", 1, "flux_version must be a release like"),
    ("intervals:\n  recommended:\n    HelmRelease: 1d\n", 3, "'1d' is not a duration"),
    ("tenants:\n  - name: a\n", 2, "each tenant needs `name` and `paths`"),
    ("- just\n- a list\n", 1, "must be a mapping of settings"),
])
def test_wrong_types_name_their_line(text: str, line: int, words: str) -> None:
    message = error(text)
    assert message.startswith(f"{SOURCE}:{line}: ")
    assert words in message


def test_broken_yaml_names_its_line() -> None:
    message = error("fail_on: error\nrules:\n  a: [\n")
    assert message.startswith(f"{SOURCE}:4: ") or message.startswith(f"{SOURCE}:3: ")
    assert "not valid YAML" in message


def test_duplicate_keys_are_an_error() -> None:
    assert error("fail_on: error\nfail_on: info\n").startswith(f"{SOURCE}:2: ")


def test_null_sections_are_empty() -> None:
    loaded = config("rules:\npaths:\n")
    assert loaded.rules == {} and loaded.include == ()


def test_load_config_finds_the_repository_file() -> None:
    snapshot = RepoSnapshot.from_mapping({".github/flux-review.yaml": "fail_on: warning\n"})
    loaded = load_config(snapshot, RULES_BY_ID)
    assert loaded.fail_on is Severity.WARNING and loaded.source == ".github/flux-review.yaml"
    assert load_config(RepoSnapshot.from_mapping({"a.yaml": ""}), RULES_BY_ID) == Config()


def test_load_config_from_an_explicit_file(tmp_path: Path) -> None:
    path = tmp_path / "review.yml"
    path.write_text("fail_on: info\n")
    snapshot = RepoSnapshot.from_mapping({".github/flux-review.yml": "fail_on: warning\n"})
    assert load_config(snapshot, RULES_BY_ID, str(path)).fail_on is Severity.INFO
    with pytest.raises(ConfigError, match="cannot read the configuration"):
        load_config(snapshot, RULES_BY_ID, str(tmp_path / "missing.yml"))


@pytest.mark.parametrize(("written", "version"), [
    ("2.10", "2.10"),  # YAML reads the float 2.1: the version is taken as written
    ('"2.10"', "2.10"),
    ("2.9  # the newest", "2.9"),
    ("v2.8.1", "v2.8.1"),
])
def test_flux_version_as_written(written: str, version: str) -> None:
    assert config(f"flux_version: {written}\n").flux_version == version


def test_rule_ids_are_checked_against_the_ids_given() -> None:
    text = "rules:\n  team/custom-rule: off\n"
    assert not load_config_text(text, SOURCE, {"team/custom-rule"}).rule("team/custom-rule").enabled
    with pytest.raises(ConfigError, match=r"flux-review.yml:2: unknown rule 'team/custom-rule'"):
        load_config_text(text, SOURCE, RULES_BY_ID)


@pytest.mark.parametrize(("written", "release"), [("2.9", (2, 9)), ("v2.8.1", (2, 8)), ("2.10", (2, 10)),
                                                  ("latest", (99, 0))])
def test_flux_release_reads_major_and_minor(written: str, release: tuple[int, int]) -> None:
    assert Config(flux_version=written).flux_release == release


def test_comments_can_be_turned_off_capped_or_opened_to_notices() -> None:
    assert config("comments: off\n").comments.enabled is False
    assert config("comments: false\n").comments.enabled is False
    settings = config("comments:\n  max: 5\n  notices: true\n").comments
    assert (settings.enabled, settings.max, settings.notices) == (True, 5, True)
    assert config("fail_on: error\n").comments.max == 30


@pytest.mark.parametrize(("text", "message"), [
    ("comments:\n  max: 0\n", "max must be a positive integer"),
    ("comments:\n  notices: sometimes\n", "notices must be true or false"),
    ("comments:\n  every: line\n", "unknown setting comments.every"),
])
def test_invalid_comment_settings_name_their_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config(text)


def test_extends_is_kept_for_the_app_which_reads_the_base() -> None:
    assert config("_extends: acme/policies\n").extends == "acme/policies"


def test_suppressions_forbid_takes_rule_patterns() -> None:
    settings = config("suppressions:\n  forbid: ['secrets/*', interval/too-short]\n")
    assert settings.forbidden_suppressions == ("secrets/*", "interval/too-short")
    assert not settings.may_silence("secrets/plaintext-secret") and not settings.may_silence("interval/too-short")
    assert settings.may_silence("interval/no-retry") and config("fail_on: error\n").may_silence("secrets/x")
    with pytest.raises(ConfigError, match=r"unknown setting suppressions\.allow"):
        config("suppressions:\n  allow: []\n")


def test_a_flux_version_per_cluster() -> None:
    loaded = config("""\
        clusters:
          flux_version:
            production: "2.6"
            staging: 2.10
        """)
    assert loaded.cluster_flux_versions == (("production", "2.6", 3), ("staging", "2.10", 4))
    assert loaded.cluster_roots == Config().cluster_roots
    with pytest.raises(ConfigError, match=r":3: clusters.flux_version.production must be a release like"):
        config("clusters:\n  flux_version:\n    production: latest\n")


def test_one_version_for_every_cluster_or_one_per_cluster_not_both() -> None:
    with pytest.raises(ConfigError, match=r":3: flux_version names the Flux of every cluster"):
        config("clusters:\n  flux_version: {prod: '2.6'}\nflux_version: '2.7'\n")
