"""structure/duplicate-key: a YAML mapping that repeats a key, which Go's YAML parser rejects.

The model notices the repeat while it loads the file (``checks.yaml_docs``);
the rule reports what it found.
"""

from __future__ import annotations

from checks.findings import Severity
from checks.rules.base import Rule, model_problems

RULE = Rule(
    id="structure/duplicate-key",
    severity=Severity.ERROR,
    summary="A YAML mapping with the same key twice",
    doc="""
        Go's YAML parser, which Flux uses, rejects a mapping that repeats a key,
        so the file never reaches the cluster. Other tools silently keep the last
        value, which hides the mistake until Flux fails.

        Failing:
            spec:
              interval: 10m
              interval: 1h

        Passing:
            spec:
              interval: 1h
    """,
)

check = RULE.implementation(model_problems(RULE.id))
