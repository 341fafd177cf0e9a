"""secrets/substitution-in-data: a ``${VAR}`` under a Secret's base64 ``data``.

postBuild substitution inserts the variable's text, which is not base64.
Only rendered, unencrypted core Secrets are read; variables whose name says
they hold base64 (``B64``, ``BASE64``) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.edits import indentation, line_text
from checks.findings import Finding, Fix, Severity
from checks.model import KubeObject
from checks.rules.base import Rule, RuleContext
from checks.rules.secrets._shared import is_core_kind, named_keys, split_comment
from checks.sops import is_sops_document

RULE = Rule(
    id="secrets/substitution-in-data",
    severity=Severity.WARNING,
    summary="${VAR} inside a Secret's base64 data (substitution needs stringData)",
    fixable=True,
    needs_base=False,
    doc="""
    postBuild substitution replaces `${VAR}` with the variable's text (values
    read from a Secret in `substituteFrom` are decoded first). Under `data`
    Kubernetes expects base64, so the substituted text is rejected ("illegal
    base64 data") or decoded into garbage. Variables whose name says they
    hold base64 (`B64`, `BASE64`) are left alone.

    The fix renames `data:` to `stringData:`, offered only when every value
    under `data` is one `${VAR}` (base64 literals must not move to
    stringData) and the Secret has no `stringData` yet.

    Failing:
        kind: Secret
        data:
          password: ${DB_PASSWORD}

    Passing:
        kind: Secret
        stringData:
          password: ${DB_PASSWORD}
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    """Rendered, unencrypted Secrets with ``${VAR}`` under base64 ``data``."""
    rendered = ctx.model.rendered_files
    for obj in ctx.model.objects:
        if not is_core_kind(obj, "Secret") or obj.path not in rendered or is_sops_document(obj.body):
            continue
        keys = _substituted_data(obj)
        if not keys:
            continue
        pos = obj.key_pos("data", keys[0])
        yield Finding(
            "secrets/substitution-in-data", Severity.WARNING, pos.path, pos.line,
            f"{obj.id} puts `${{...}}` variables in base64 `data` ({named_keys(['data.' + k for k in keys])}): "
            "postBuild substitution inserts the variable's plain value, which is not base64, so the Secret "
            "fails to apply or holds the wrong bytes. Put substituted values under `stringData`.",
            object=obj.id, key="data", fix=_stringdata_fix(ctx, obj))


_VARIABLE = re.compile(r"^\$\{[_A-Za-z][_A-Za-z0-9]*(?:(?::?=|:-)[^}]*)?\}$")
_BASE64_HINT = re.compile(r"b64|base64", re.I)


def _substituted_data(obj: KubeObject) -> list[str]:
    values = obj.get("data")
    if not isinstance(values, dict):
        return []
    found = []
    for key, value in values.items():
        if isinstance(value, str) and "${" in value and not _BASE64_HINT.search(value):
            found.append(str(key))
    return found


def _stringdata_fix(ctx: RuleContext, obj: KubeObject) -> Fix | None:
    """``data:`` -> ``stringData:`` when every value is one variable (moving base64 literals would be wrong)."""
    values = obj.get("data")
    if not isinstance(values, dict) or "stringData" in obj.body:
        return None
    if not all(isinstance(v, str) and _VARIABLE.match(v.strip()) for v in values.values()):
        return None
    pos = obj.key_pos("data")
    text = line_text(ctx.model, pos.path, pos.line)
    if text is None:
        return None
    content, comment = split_comment(text)
    if content.strip() != "data:":
        return None
    return Fix(pos.path, pos.line, pos.line, f"{indentation(content)}stringData:{comment}\n")

