"""structure/yaml-invalid: a file Flux cannot parse as YAML, or a document that is not a mapping.

The model notices these itself: while it loads each file (``checks.yaml_docs``:
syntax errors, alias expansion past the cap (YAML bombs), nesting too deep,
binary or non-UTF-8 files with a YAML name) and while kustomize decodes each
document (``checks.kustomize``: a document that is a list or a scalar). The
rule reports what the model found.
"""

from __future__ import annotations

from checks.findings import Severity
from checks.rules.base import Rule, model_problems

RULE = Rule(
    id="structure/yaml-invalid",
    severity=Severity.ERROR,
    summary="A file that is not valid YAML, or a document that is not a mapping",
    doc="""
        A manifest Flux cannot parse fails the whole Kustomization that renders it.
        Also raised for YAML bombs (alias expansion past the cap), values nested
        too deeply, and binary or non-UTF-8 files with a YAML name.

        Failing:
            metadata:
              name: podinfo
             namespace: apps      # wrong indentation

        Passing:
            metadata:
              name: podinfo
              namespace: apps
    """,
)

check = RULE.implementation(model_problems(RULE.id))
