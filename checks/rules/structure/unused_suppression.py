"""structure/unused-suppression: an inline ignore comment that silences nothing.

The suppressions themselves are read and applied by ``checks.suppressions``,
after every other rule has run; that is also where unused ones are found, so
this rule's check yields nothing of its own and the engine adds what
``apply_suppressions`` reports as unused.
"""

from __future__ import annotations

from collections.abc import Iterable

from checks.findings import Finding, Severity
from checks.rules.base import Rule, RuleContext
from checks.suppressions import UNUSED_RULE_ID

RULE = Rule(
    id=UNUSED_RULE_ID,
    severity=Severity.INFO,
    summary="An inline `# flux-review: ignore[...]` comment that silences nothing",
    fixable=True,
    doc="""
    Inline suppressions silence named rules where a finding is reported:

        interval: 30s  # flux-review: ignore[interval/too-short]

        # flux-review: ignore[interval/too-short, interval/no-retry]
        interval: 30s

        # flux-review: ignore-file[structure/unrendered-file]

    `ignore[...]` as a trailing comment silences its own line; on a line of
    its own it silences the next line that is not a comment (stack several
    above one line). `ignore-file[...]` anywhere in a file silences those
    rules in the whole file. The list of rule ids is required: a bare
    `# flux-review: ignore` is not accepted, because it would also hide
    every problem a later edit brings to that line.

    This rule reports a suppression that silences nothing: a rule id with a
    typo, a problem that was fixed since, a comment that drifted away from
    its line, or a bare `ignore`. Stale suppressions hide the next real
    problem on that line. The fix removes the stale rule id, or the whole
    comment when no id remains. Suppressions of rules that did not run
    (switched off in the configuration, or comparing with the base of a
    change outside a review) are not reported.

    Failing (nothing on the next line is too short):
        # flux-review: ignore[interval/too-short]
        interval: 10m

    Passing:
        interval: 30s  # flux-review: ignore[interval/too-short]
""",
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    return ()  # the engine reports unused suppressions once every other rule has run
