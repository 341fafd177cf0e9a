"""structure/file-unreadable: a file or folder the checkout holds but that could not be read, so not checked.

A permission, a broken mount or a file removed while it was read: the model
loads such a file as empty and notes it (and a folder the walk could not
enter), and the rule reports what the model noted. Saying nothing would let
`check` exit 0 on a repository it never read.
"""

from __future__ import annotations

from checks.findings import Severity
from checks.rules.base import Rule, model_problems

RULE = Rule(
    id="structure/file-unreadable",
    severity=Severity.WARNING,
    summary="A file or folder that could not be read was not checked",
    doc="""
        A file the checkout lists but that cannot be read (permission denied,
        a broken link or mount, removed while it was read), or a folder the
        walk cannot enter, is not checked: its objects are missing from the
        model, and findings that depend on them are missing too. Make it
        readable by the user that runs flux-review.

        Failing (`chmod 000 apps/secret.yaml`):
            apps/secret.yaml   # Permission denied

        Passing:
            apps/secret.yaml   # readable
    """,
)

check = RULE.implementation(model_problems(RULE.id))
