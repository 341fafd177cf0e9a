"""What several structure rule tests share: the postBuild most of them write, a Namespace, and
the line a text was written on.

Repositories are written inline with a `clusters/prod/` root (bootstrap renders
it) and an `apps` Kustomization, the layout most Flux repositories share.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

SUBSTITUTE = """\
postBuild:
  substitute:
    CLUSTER_NAME: prod
"""

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n"


def line_of(files: Mapping[str, str], path: str, needle: str) -> int:
    """The first line of ``path`` (as analyzed, dedented) holding ``needle``."""
    for number, line in enumerate(textwrap.dedent(files[path]).splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
