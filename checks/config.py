"""Repository configuration: `.github/flux-review.yml`, validated with line numbers.

Every key has a default that serves a repository with no configuration.
Unknown keys and wrong types stop with a ``ConfigError`` naming the line,
because a silently ignored typo in a CI gate is worse than a failed run.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from checks.findings import Severity
from checks.yaml_docs import YMap, YSeq, load_yaml

# The Flux release a cluster is judged against when neither the configuration nor the repository names one.
DEFAULT_FLUX_VERSION = "2.9"

CONFIG_PATHS = (".github/flux-review.yml", ".github/flux-review.yaml")

DEFAULT_MINIMUM_INTERVALS = {
    "GitRepository": "1m", "OCIRepository": "1m", "HelmRepository": "1m", "Bucket": "1m",
    "HelmChart": "1m", "Kustomization": "1m", "HelmRelease": "1m", "ImageRepository": "1m",
    "ImageUpdateAutomation": "1m",
}
DEFAULT_RECOMMENDED_INTERVALS = {
    "GitRepository": "10m", "OCIRepository": "10m", "HelmRepository": "30m", "Bucket": "10m",
    "HelmChart": "10m", "Kustomization": "10m", "HelmRelease": "15m", "ImageRepository": "10m",
    "ImageUpdateAutomation": "30m",
}


class ConfigError(ValueError):
    """Configuration a user must correct; the message names the file and line."""


@dataclass(frozen=True)
class Tenant:
    """A tenant: a name, the paths its manifests live in, and its namespaces."""

    name: str
    paths: tuple[str, ...]
    namespaces: tuple[str, ...] = ()
    service_account: str | None = None

    def owns(self, path: str) -> bool:
        return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") or fnmatch.fnmatch(path, p)
                   for p in self.paths)


@dataclass(frozen=True)
class RuleSettings:
    """What the configuration says about one rule."""

    enabled: bool = True
    severity: Severity | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


# What a rule the configuration does not name runs with: shared, so its options cannot be written.
_UNCONFIGURED = RuleSettings(options=MappingProxyType({}))


@dataclass(frozen=True)
class CommentSettings:
    """How the App comments on pull requests (the command line ignores these).

    ``enabled`` False (``comments: off``) leaves the Check Run alone; ``max``
    caps inline comments per review (the rest go in the review's body and
    the Check Run); ``notices`` lets info-level findings comment too.
    """

    enabled: bool = True
    max: int = 30
    notices: bool = False


@dataclass(frozen=True)
class Config:
    """The effective configuration (defaults where the file is silent)."""

    rules: dict[str, RuleSettings] = field(default_factory=dict)
    fail_on: Severity | None = Severity.ERROR
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    cluster_roots: tuple[str, ...] = ("clusters/*",)
    repository_url: str | None = None
    repository_sources: tuple[str, ...] = ()
    artifact_root: str | None = None  # the folder CI builds this repository's OCI artifact from; None: read CI
    flux_version: str | None = None  # None: what the repository says, else DEFAULT_FLUX_VERSION
    cluster_flux_versions: tuple[tuple[str, str, int], ...] = ()  # (cluster, version, line in the file)
    minimum_intervals: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MINIMUM_INTERVALS))
    recommended_intervals: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_RECOMMENDED_INTERVALS))
    tenants: tuple[Tenant, ...] = ()
    max_file_bytes: int = 1024 * 1024
    comments: CommentSettings = field(default_factory=CommentSettings)
    forbidden_suppressions: tuple[str, ...] = ()  # rule patterns a change may not silence (``secrets/*``)
    extends: str | None = None
    source: str = "defaults"

    @property
    def flux_release(self) -> tuple[int, int]:
        """The configured Flux version as (major, minor): ``"v2.8.1"`` is ``(2, 8)``; the default when unset.

        The configuration file is validated, so only a ``Config`` built in code can hold
        something unreadable: that counts as a release later than any known.
        """
        return _release(self.flux_version or DEFAULT_FLUX_VERSION)

    def rule(self, rule_id: str) -> RuleSettings:
        """What the configuration says about a rule (asked of every rule and finding of an analysis)."""
        settings = self.rules.get(rule_id)
        return settings if settings is not None else _UNCONFIGURED

    def may_silence(self, rule_id: str) -> bool:
        """Whether a change may add a suppression of ``rule_id`` (``suppressions.forbid`` says no)."""
        return not any(fnmatch.fnmatchcase(rule_id, pattern) for pattern in self.forbidden_suppressions)

    def path_selected(self, path: str) -> bool:
        """True when a path is inside ``include`` (if given) and outside ``exclude``."""
        if not self.include and not self.exclude:  # asked of every file and finding; most configurations set neither
            return True
        if self.include and not any(_glob(path, pattern) for pattern in self.include):
            return False
        return not any(_glob(path, pattern) for pattern in self.exclude)


@lru_cache(maxsize=64)  # the api-version rules ask it of every Flux object
def _release(text: str) -> tuple[int, int]:
    match = re.match(r"\s*v?(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else (99, 0)


def _glob(path: str, pattern: str) -> bool:
    pattern = pattern.strip("/")
    return fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/") or fnmatch.fnmatch(
        path, pattern + "/*")


_TOP_KEYS = {
    "rules", "fail_on", "paths", "clusters", "repository", "flux_version", "intervals", "tenants", "limits",
    "comments", "suppressions", "_extends",
}


def load_config_text(text: str, source: str, known_rules: Collection[str]) -> Config:
    """Parse and validate configuration text; ``ConfigError`` names the offending line.

    ``known_rules`` are the rule ids a ``rules:`` entry may name (the engine passes
    its registry's: configuration knows no rules of its own).
    """
    loaded = load_yaml(source, text.encode())
    for problem in loaded.problems:
        raise ConfigError(f"{source}:{problem.line}: {problem.message}")
    if not loaded.docs or loaded.docs[0].root is None:
        return Config(source=source)
    root = loaded.docs[0].root
    if not isinstance(root, YMap):
        raise ConfigError(f"{source}:1: the configuration must be a mapping of settings")
    reader = _Reader(source)
    reader.known(root, _TOP_KEYS, "")
    values: dict[str, Any] = {"source": source}
    if "fail_on" in root:
        word = reader.text(root, "fail_on")
        values["fail_on"] = None if word == "never" else reader.severity(root, "fail_on", word)
    if "rules" in root:
        values["rules"] = _rules(reader, reader.mapping(root, "rules"), known_rules)
    if "paths" in root:
        paths = reader.mapping(root, "paths")
        reader.known(paths, {"include", "exclude"}, "paths.")
        values["include"] = reader.strings(paths, "include") if "include" in paths else ()
        values["exclude"] = reader.strings(paths, "exclude") if "exclude" in paths else ()
    if "clusters" in root:
        clusters = reader.mapping(root, "clusters")
        reader.known(clusters, {"roots", "flux_version"}, "clusters.")
        if "roots" in clusters:
            values["cluster_roots"] = reader.strings(clusters, "roots")
        if "flux_version" in clusters:
            versions = reader.mapping(clusters, "flux_version")
            values["cluster_flux_versions"] = tuple(
                (str(name), _flux_version(reader, versions, text, str(name), "clusters.flux_version."),
                 versions.value_pos[name].line) for name in versions)
    if "repository" in root:
        repo = reader.mapping(root, "repository")
        reader.known(repo, {"url", "sources", "artifact_root"}, "repository.")
        if "url" in repo:
            values["repository_url"] = reader.text(repo, "url")
        if "artifact_root" in repo:
            values["artifact_root"] = reader.text(repo, "artifact_root")
        if "sources" in repo:
            values["repository_sources"] = reader.strings(repo, "sources")
    if "flux_version" in root:
        values["flux_version"] = _flux_version(reader, root, text)
        if values.get("cluster_flux_versions"):
            raise ConfigError(f"{source}:{root.value_pos['flux_version'].line}: flux_version names the Flux of "
                              "every cluster; set it or clusters.flux_version, not both")
    if "intervals" in root:
        values.update(_intervals(reader, reader.mapping(root, "intervals")))
    if "tenants" in root:
        values["tenants"] = _tenants(reader, root)
    if "limits" in root:
        limits = reader.mapping(root, "limits")
        reader.known(limits, {"max_file_bytes"}, "limits.")
        if "max_file_bytes" in limits:
            values["max_file_bytes"] = reader.integer(limits, "max_file_bytes")
    if "comments" in root:
        values["comments"] = _comments(reader, root)
    if "suppressions" in root:
        suppressions = reader.mapping(root, "suppressions")
        reader.known(suppressions, {"forbid"}, "suppressions.")
        if "forbid" in suppressions:
            values["forbidden_suppressions"] = reader.strings(suppressions, "forbid")
    if "_extends" in root:
        values["extends"] = reader.text(root, "_extends")
    return Config(**values)


def _comments(reader: _Reader, root: YMap) -> CommentSettings:
    """``comments: off`` (or ``false``), or a mapping of ``enabled``, ``max`` and ``notices``."""
    value = root["comments"]
    if isinstance(value, bool):
        return CommentSettings(enabled=value)
    if isinstance(value, str) and value.strip().lower() in ("off", "on"):
        return CommentSettings(enabled=value.strip().lower() == "on")
    comments = reader.mapping(root, "comments")
    reader.known(comments, {"enabled", "max", "notices"}, "comments.")
    settings: dict[str, Any] = {}
    for key in ("enabled", "notices"):
        if key in comments:
            settings[key] = reader.boolean(comments, key)
    if "max" in comments:
        settings["max"] = reader.integer(comments, "max")
    return CommentSettings(**settings)


def _rules(reader: _Reader, rules: YMap, known_rules: Collection[str]) -> dict[str, RuleSettings]:
    result: dict[str, RuleSettings] = {}
    for rule_id, value in rules.items():
        line = rules.key_pos[rule_id].line
        if rule_id not in known_rules:
            raise ConfigError(f"{reader.source}:{line}: unknown rule {rule_id!r} "
                              "(`flux-review rules` lists them)")
        if isinstance(value, bool):
            result[rule_id] = RuleSettings(enabled=value)
        elif isinstance(value, str):
            if value in ("off", "disabled"):
                result[rule_id] = RuleSettings(enabled=False)
            else:
                result[rule_id] = RuleSettings(severity=reader.severity(rules, rule_id, value))
        elif isinstance(value, YMap):
            reader.known(value, {"enabled", "severity", "options"}, f"rules.{rule_id}.")
            enabled = value.get("enabled", True)
            if not isinstance(enabled, bool):
                raise ConfigError(f"{reader.source}:{value.value_pos['enabled'].line}: "
                                  f"rules.{rule_id}.enabled must be true or false")
            severity = reader.severity(value, "severity", value["severity"]) if "severity" in value else None
            options = dict(reader.mapping(value, "options")) if "options" in value else {}
            result[rule_id] = RuleSettings(enabled, severity, options)
        else:
            raise ConfigError(f"{reader.source}:{line}: rules.{rule_id} must be off, a severity, "
                              "or a mapping with enabled/severity/options")
    return result


def _intervals(reader: _Reader, intervals: YMap) -> dict[str, dict[str, str]]:
    reader.known(intervals, {"minimum", "recommended"}, "intervals.")
    result = {}
    for key, target in (("minimum", "minimum_intervals"), ("recommended", "recommended_intervals")):
        if key in intervals:
            table = reader.mapping(intervals, key)
            defaults = DEFAULT_MINIMUM_INTERVALS if key == "minimum" else DEFAULT_RECOMMENDED_INTERVALS
            merged = dict(defaults)
            for kind in table:
                if kind not in defaults:
                    raise ConfigError(f"{reader.source}:{table.key_pos[kind].line}: intervals.{key}: "
                                      f"{kind!r} is not a Flux kind with an interval")
                merged[kind] = reader.text(table, kind)
                if not _DURATION.fullmatch(merged[kind]):
                    raise ConfigError(f"{reader.source}:{table.value_pos[kind].line}: intervals.{key}.{kind}: "
                                      f"{merged[kind]!r} is not a duration (for example 90s, 10m, 1h30m)")
            result[target] = merged
    return result


_DURATION = re.compile(r"([0-9]+(\.[0-9]+)?(ms|s|m|h))+")
_VERSION = re.compile(r"v?[0-9]+\.[0-9]+(\.[0-9]+)?")


def _flux_version(reader: _Reader, root: YMap, text: str, key: str = "flux_version", prefix: str = "") -> str:
    """The version as written: unquoted `2.10` is the float 2.1 to YAML, so read the line instead."""
    version = reader.text(root, key)
    line = root.value_pos[key].line
    if isinstance(root[key], float):
        written = re.search(rf"{re.escape(key)}\s*:\s*([0-9.]+)", text.splitlines()[line - 1])
        version = written.group(1) if written else version
    if not _VERSION.fullmatch(version):
        raise ConfigError(f"{reader.source}:{line}: {prefix}{key} must be a release like \"2.9\", not {version!r}")
    return version


def _tenants(reader: _Reader, root: YMap) -> tuple[Tenant, ...]:
    tenants = root["tenants"]
    if not isinstance(tenants, YSeq):
        raise ConfigError(f"{reader.source}:{root.value_pos['tenants'].line}: tenants must be a list")
    result = []
    for item, pos in zip(tenants, tenants.item_pos, strict=True):
        if not isinstance(item, YMap) or "name" not in item or "paths" not in item:
            raise ConfigError(f"{reader.source}:{pos.line}: each tenant needs `name` and `paths`")
        reader.known(item, {"name", "paths", "namespaces", "service_account"}, "tenants[].")
        result.append(Tenant(
            name=reader.text(item, "name"),
            paths=reader.strings(item, "paths"),
            namespaces=reader.strings(item, "namespaces") if "namespaces" in item else (),
            service_account=reader.text(item, "service_account") if "service_account" in item else None,
        ))
    return tuple(result)


class _Reader:
    """Typed access to configuration values with errors that name the line."""

    def __init__(self, source: str) -> None:
        self.source = source

    def known(self, mapping: YMap, keys: set[str], prefix: str) -> None:
        for key in mapping:
            if key not in keys:
                raise ConfigError(f"{self.source}:{mapping.key_pos[key].line}: unknown setting "
                                  f"{prefix}{key} (expected one of: {', '.join(sorted(keys))})")

    def mapping(self, parent: YMap, key: str) -> YMap:
        value = parent[key]
        if value is None:
            return YMap(parent.value_pos[key])
        if not isinstance(value, YMap):
            raise ConfigError(f"{self.source}:{parent.value_pos[key].line}: {key} must be a mapping")
        return value

    def text(self, parent: YMap, key: str) -> str:
        value = parent[key]
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(f"{self.source}:{parent.value_pos[key].line}: {key} must be a string")
        return str(value)

    def integer(self, parent: YMap, key: str) -> int:
        value = parent[key]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{self.source}:{parent.value_pos[key].line}: {key} must be a positive integer")
        return value

    def boolean(self, parent: YMap, key: str) -> bool:
        value = parent[key]
        if not isinstance(value, bool):
            raise ConfigError(f"{self.source}:{parent.value_pos[key].line}: {key} must be true or false")
        return value

    def strings(self, parent: YMap, key: str) -> tuple[str, ...]:
        value = parent[key]
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, YSeq) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.source}:{parent.value_pos[key].line}: {key} must be a list of strings")
        return tuple(value)

    def severity(self, parent: YMap, key: str, word: Any) -> Severity:
        try:
            return Severity.parse(str(word))
        except ValueError as exc:
            raise ConfigError(f"{self.source}:{parent.value_pos[key].line}: {exc}") from None


def load_config(snapshot: Any, known_rules: Collection[str], explicit_path: str | None = None) -> Config:
    """The configuration of a snapshot (``.github/flux-review.yml``), or an explicit file."""
    if explicit_path is not None:
        try:
            with open(explicit_path, encoding="utf-8") as handle:
                return load_config_text(handle.read(), explicit_path, known_rules)
        except OSError as exc:
            raise ConfigError(f"{explicit_path}: cannot read the configuration ({exc.strerror})") from None
    for path in CONFIG_PATHS:
        if path in snapshot:
            return load_config_text(snapshot.read(path).decode("utf-8", "replace"), path, known_rules)
    return Config()
