"""What a rule is: an id, a default severity, its documentation and its check.

Rules are small declarative units (after yamllint): the documentation a user
reads with ``flux-review explain`` lives beside the check, and a check only
yields findings; it knows nothing about output formats or configuration.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping
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
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.model.config


Check = Callable[[RuleContext], Iterable[Finding]]


class Rule:
    """One promise to a user: what it catches, why it matters, and how to fix it.

    ``doc`` is the user documentation: what it catches, why it matters, a
    failing and a passing example. ``needs_base`` rules only report in a
    review, where the base of the change is known.

    A rule's file starts with its ``Rule`` and then its check, bound with the
    ``implementation`` decorator, so a reader meets the promise before the code::

        RULE = Rule(id="interval/too-short", severity=Severity.WARNING, summary=..., doc=...)

        @RULE.implementation
        def check(ctx: RuleContext) -> Iterator[Finding]:
            ...
    """

    def __init__(self, id: str, severity: Severity, summary: str, doc: str, *, fixable: bool = False,
                 needs_base: bool = False, check: Check | None = None) -> None:
        self.id = id
        self.severity = severity
        self.summary = summary
        self.doc = doc
        self.fixable = fixable
        self.needs_base = needs_base
        self._check = check

    def __repr__(self) -> str:
        return f"Rule({self.id!r})"

    def implementation(self, function: Check) -> Check:
        """Bind the function that checks this rule (exactly one per rule)."""
        if self._check is not None:
            raise ValueError(f"{self.id} already has a check")
        self._check = function
        return function

    @property
    def implemented(self) -> bool:
        return self._check is not None

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        """The findings of this rule in a context."""
        if self._check is None:
            raise RuntimeError(f"{self.id} has no check: decorate one with @RULE.implementation")
        return self._check(ctx)

    @property
    def group(self) -> str:
        return self.id.partition("/")[0]

    @property
    def name(self) -> str:
        return self.id.partition("/")[2]

    @property
    def documentation(self) -> str:
        return textwrap.dedent(self.doc).strip()


def model_problems(rule_id: str) -> Check:
    """A check for problems the model itself notices while loading and rendering."""

    def check(ctx: RuleContext) -> Iterable[Finding]:
        return [p for p in ctx.model.problems if p.rule == rule_id]

    return check
