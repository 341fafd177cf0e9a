"""What the secrets rules share: how keys are named in a message, a line's trailing comment, core kinds.

Messages of this group name keys, never values, and name at most a few of
them; the fixes of three rules edit a line and must keep its comment.
"""

from __future__ import annotations

import re

from checks.model import KubeObject

MAX_NAMED_KEYS = 5


def is_core_kind(obj: KubeObject, kind: str) -> bool:
    """A core ``v1`` object of this kind: a CRD that reuses the name (``kind: Secret`` elsewhere) is not one."""
    return obj.kind == kind and obj.api_version == "v1"


def named_keys(keys: list[str]) -> str:
    """``a``, ``a and b``, ``a, b, c and 2 more``: keys for a message."""
    shown = [f"`{k}`" for k in keys[:MAX_NAMED_KEYS]]
    rest = len(keys) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def split_comment(text: str) -> tuple[str, str]:
    """The YAML content of a line and its trailing comment (with the space before it)."""
    match = re.search(r"\s+#.*$", text)
    if match and text.count('"', 0, match.start()) % 2 == 0 and text.count("'", 0, match.start()) % 2 == 0:
        return text[: match.start()], text[match.start():]
    return text, ""
