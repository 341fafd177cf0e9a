"""structure/file-too-large: a YAML file above ``limits.max_file_bytes`` that was not read, so not checked.

``checks.yaml_docs.load_yaml`` does not read such a file and notes it; the rule
reports what the model noted.
"""

from __future__ import annotations

from checks.findings import Severity
from checks.rules.base import Rule, model_problems

RULE = Rule(
    id="structure/file-too-large",
    severity=Severity.INFO,
    summary="A YAML file above the size limit was not checked",
    doc="""
        Files larger than `limits.max_file_bytes` (1 MiB by default) are not read,
        so nothing in them is checked. Raise the limit in .github/flux-review.yml
        if the file is a manifest Flux applies.

        Failing (a 2 MiB CRD bundle under the default limit):
            infrastructure/crds/bundle.yaml   # 2,097,152 bytes

        Passing (`.github/flux-review.yml`):
            limits:
              max_file_bytes: 4194304
    """,
)

check = RULE.implementation(model_problems(RULE.id))
