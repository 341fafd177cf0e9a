"""The registry of rules: a plain list, one module per group."""

from __future__ import annotations

from checks.rules import structure
from checks.rules.base import Rule

RULES: list[Rule] = [
    *structure.RULES,
]
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

__all__ = ["RULES", "RULES_BY_ID", "Rule"]
