"""What a rule is: an id, a default severity, its documentation and its check.

Rules are small declarative units (after yamllint): the documentation a user
reads with ``flux-review explain`` lives beside the check, and a check only
yields findings; it knows nothing about output formats or configuration.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from checks.config import Config
from checks.findings import Finding, Severity
from checks.repo import RepoModel


@dataclass(frozen=True)
class RuleContext:
    """What a check reads: the model at head, the model at base (in a review), and its options."""

    model: RepoModel
    previous: RepoModel | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.model.config


Check = Callable[[RuleContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One promise to a user: what it catches, why it matters, and how to fix it.

    ``doc`` is the user documentation: what it catches, why it matters, a
    failing and a passing example. ``needs_base`` rules only report in a
    review, where the base of the change is known.
    """

    id: str
    severity: Severity
    summary: str
    doc: str
    check: Check
    fixable: bool = False
    needs_base: bool = False

    @property
    def group(self) -> str:
        return self.id.partition("/")[0]

    @property
    def documentation(self) -> str:
        return textwrap.dedent(self.doc).strip()


def model_problems(rule_id: str) -> Check:
    """A check for problems the model itself notices while loading and rendering."""

    def check(ctx: RuleContext) -> Iterable[Finding]:
        return [p for p in ctx.model.problems if p.rule == rule_id]

    return check
