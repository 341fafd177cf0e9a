"""Run the rules over a snapshot: the one entry point the CLI and the bot share.

``analyze`` builds the model, runs every enabled rule, applies the
configuration (severity overrides, path filters) and inline suppressions,
and returns the findings in a stable order with no duplicates (a file
rendered into two clusters yields its findings once).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from checks import config as configuration
from checks.config import Config
from checks.findings import Finding, merge_repeats, sort_key
from checks.loading import ParseCache, collector_paused
from checks.repo import RepoModel, build_model
from checks.resourceset import template_lines
from checks.rules import RULES, RULES_BY_ID
from checks.rules.base import RuleContext
from checks.source import RepoSnapshot
from checks.suppressions import UNUSED_RULE_ID, Suppression, apply_suppressions
from checks.yaml_docs import Pos, decode_text


def load_config(snapshot: RepoSnapshot, explicit_path: str | None = None) -> Config:
    """The configuration of a snapshot (or an explicit file), its rule ids checked against the registry."""
    return configuration.load_config(snapshot, RULES_BY_ID, explicit_path)


def load_config_text(text: str, source: str) -> Config:
    """Configuration text parsed and validated, its rule ids checked against the registry."""
    return configuration.load_config_text(text, source, RULES_BY_ID)


@dataclass
class Analysis:
    """The findings for one snapshot, the model they came from, and what it cost."""

    findings: list[Finding]
    model: RepoModel
    stats: dict[str, float | int] = field(default_factory=dict)
    # What inline suppressions silenced (at the configured severity, inside the selected paths), and by which.
    silenced: list[tuple[Finding, Suppression]] = field(default_factory=list)


def analyze(snapshot: RepoSnapshot, config: Config | None = None, previous: Analysis | None = None,
            cache: ParseCache | None = None) -> Analysis:
    """All findings of a snapshot under a configuration.

    ``previous`` is the analysis of the base of a change; rules that compare
    (deleted dependency targets, release identity changes) read it.
    """
    with collector_paused():  # rules allocate as much as loading does; see collector_paused
        return _analyze(snapshot, config or Config(), previous, cache)


def _analyze(snapshot: RepoSnapshot, config: Config, previous: Analysis | None,
             cache: ParseCache | None) -> Analysis:
    started = time.perf_counter()
    model = build_model(snapshot, config, cache)
    model_seconds = time.perf_counter() - started
    findings: dict[tuple[str, str, int, str], Finding] = {}
    ran: set[str] = set()
    templates = template_lines(model.objects)
    contexts: dict[int, RuleContext] = {}  # rules the configuration does not name share one options object
    for rule in RULES:
        settings = config.rule(rule.id)
        if not settings.enabled:
            continue
        if rule.needs_base and previous is None:
            continue
        ran.add(rule.id)
        context = contexts.get(id(settings.options))
        if context is None:
            context = contexts[id(settings.options)] = RuleContext(
                model, previous.model if previous else None, settings.options)
        for finding in rule.check(context):
            _collect(findings, _without_template_fix(finding, templates), config)
    suppressions = apply_suppressions(_one_per_template_line(list(findings.values()), templates),
                                      {p: f.text for p, f in model.files.items()},
                                      lambda path: _read_text(snapshot, path, config), RULES_BY_ID, ran)
    kept = {(f.rule, f.path, f.line, f.message): f for f in suppressions.kept}
    if UNUSED_RULE_ID in ran:
        for finding in suppressions.unused:
            _collect(kept, finding, config)
    ordered = sorted(kept.values(), key=sort_key)
    stats = {
        "files": len(snapshot.sizes),
        "yaml_files": len(model.files),
        "objects": len(model.objects),
        "clusters": len(model.clusters),
        "kustomizations": sum(len(c.renders) for c in model.clusters),
        "suppressed": len(suppressions.suppressed),
        "model_seconds": round(model_seconds, 4),
        "seconds": round(time.perf_counter() - started, 4),
    }
    silenced = [(_configured(f, config), s) for f, s in suppressions.silenced if config.path_selected(f.path)]
    return Analysis(ordered, model, stats, silenced)


def _collect(findings: dict[tuple[str, str, int, str], Finding], finding: Finding, config: Config) -> None:
    """Keep a finding once, inside the selected paths, at its configured severity."""
    if not config.path_selected(finding.path):
        return
    finding = _configured(finding, config)
    findings.setdefault((finding.rule, finding.path, finding.line, finding.message), finding)


def _configured(finding: Finding, config: Config) -> Finding:
    """A finding at the severity the configuration gives its rule."""
    severity = config.rule(finding.rule).severity
    return finding.with_severity(severity) if severity is not None else finding


def _without_template_fix(finding: Finding, templates: list[Pos]) -> Finding:
    """A finding without its fix when the fix edits a ResourceSet's templates.

    Every object made from a template shares its lines, and a templated value
    holds every input: a line edit for one generated object is wrong for the others.
    """
    fix = finding.fix
    if fix is not None and any(pos.path == fix.path and pos.line <= fix.end_line and fix.start_line <= pos.end_line
                               for pos in templates):
        return replace(finding, fix=None)
    return finding


def _one_per_template_line(findings: list[Finding], templates: list[Pos]) -> list[Finding]:
    """One finding per problem on a ResourceSet's template line, naming the other objects made from it.

    The objects a template makes for every input share its lines: one thing to fix, reported once.
    """
    inside = [any(pos.path == f.path and pos.line <= f.line <= pos.end_line for pos in templates) for f in findings]
    if not any(inside):
        return findings
    kept = [f for f, own in zip(findings, inside, strict=True) if not own]
    return kept + list(merge_repeats((f for f, own in zip(findings, inside, strict=True) if own), "creates"))


def _read_text(snapshot: RepoSnapshot, path: str, config: Config) -> str | None:
    """The text of a file that is not a loaded YAML file (a ``Kustomization`` file), for its suppressions."""
    if path not in snapshot or snapshot.size(path) > config.max_file_bytes:
        return None
    try:
        return decode_text(snapshot.read(path))
    except (OSError, KeyError, UnicodeError):
        return None
