"""source/wildcard-alert: Alerts that follow every object of a kind in every namespace."""

from __future__ import annotations

import textwrap

from rule_support import findings as run
from rule_support import flux_object as obj

from checks.config import Config, RuleSettings


def _alert(sources: str) -> str:
    return obj("Alert", "all", "providerRef:\n  name: slack\neventSources:\n" + textwrap.indent(sources, "  "))


def test_all_namespace_wildcard_alert_is_reported() -> None:
    files = {"clusters/prod/alert.yaml": _alert("- kind: Kustomization\n  name: '*'\n  namespace: '*'\n"
                                                "- kind: HelmRelease\n  name: '*'\n  namespace: '*'\n")}
    found = run(files, "source/wildcard-alert")
    assert len(found) == 1 and "HelmRelease, Kustomization" in found[0].message
    options = Config(rules={"source/wildcard-alert": RuleSettings(options={"min_kinds": 3})})
    assert run(files, "source/wildcard-alert", options) == []


def test_wildcard_within_a_namespace_or_with_labels_passes() -> None:
    files = {"clusters/prod/alert.yaml": _alert("- kind: Kustomization\n  name: '*'\n"
                                                "- kind: HelmRelease\n  name: '*'\n  namespace: '*'\n"
                                                "  matchLabels:\n    team: payments\n")}
    assert run(files, "source/wildcard-alert") == []
