"""structure/resource-missing: a kustomization.yaml resource, component or patch path that does not exist.

The model notices a missing path while it builds each folder
(``checks.kustomize``); the rule reports what it found.
"""

from __future__ import annotations

from checks.findings import Severity
from checks.rules.base import Rule, model_problems

RULE = Rule(
    id="structure/resource-missing",
    severity=Severity.ERROR,
    summary="A kustomization.yaml resource, component or patch path that does not exist",
    doc="""
        kustomize stops at the first path it cannot read, so the whole Flux
        Kustomization fails to build. Remote resources are not fetched and not
        checked.

        Failing (kustomization.yaml):
            resources:
              - deployment.yaml
              - servce.yaml        # no such file

        Passing:
            resources:
              - deployment.yaml
              - service.yaml
    """,
)

check = RULE.implementation(model_problems(RULE.id))
