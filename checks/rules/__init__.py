"""The registry of rules: a plain list, one module per group."""

from __future__ import annotations

from checks import suppressions
from checks.rules import (
    api_versions,
    dependencies,
    intervals,
    notifications,
    secrets,
    sources,
    structure,
    tenancy,
)
from checks.rules.base import Rule

RULES: list[Rule] = [
    *dependencies.RULES,
    *intervals.RULES,
    *secrets.RULES,
    *sources.RULES,
    *structure.RULES,
    *suppressions.RULES,
    *api_versions.RULES,
    *tenancy.RULES,
    *notifications.RULES,
]
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

__all__ = ["RULES", "RULES_BY_ID", "Rule"]
