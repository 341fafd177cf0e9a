"""What a rule is: an id, a default severity, its documentation and its check.

Rules are small declarative units (after yamllint): the documentation a user
reads with ``flux-review explain`` lives beside the check, and a check only
yields findings; it knows nothing about output formats or configuration.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from checks.findings import Finding, Severity
from checks.repo import RepoModel

Check = Callable[[RepoModel], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One promise to a user: what it catches, why it matters, and how to fix it."""

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

    def check(model: RepoModel) -> Iterable[Finding]:
        return [p for p in model.problems if p.rule == rule_id]

    return check
