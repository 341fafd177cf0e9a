"""Rules of the `secrets` group (see RULES.md)."""

from __future__ import annotations

from checks.rules.base import Rule

RULES: list[Rule] = []
