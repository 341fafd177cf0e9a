"""secrets/credential-in-url: a token or password inside a source url or a Provider address.

What counts as a credential in a URL (``user:password@``, a token as the
user, a ``token=`` query parameter, a webhook whose path is the secret) is
``url_credential`` in ``_values``, which credential-in-values shares. The
message shows the host, never the credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.rules.base import Rule, RuleContext
from checks.rules.secrets._values import url_credential

RULE = Rule(
    id="secrets/credential-in-url",
    severity=Severity.ERROR,
    summary="A token or password inside a source url or a Provider address",
    fixable=False,
    needs_base=False,
    doc="""
    `https://user:token@host/...` in a GitRepository, HelmRepository or
    OCIRepository `url` (or a Bucket `endpoint`) puts the credential in the
    repository, in the object's status and in events. The same holds for a
    Provider `address` (or `proxy`) that embeds a token: `user:password@`, a `token=` or
    `key=` query parameter, or a webhook URL whose path is the secret (Slack,
    Discord, Teams, Telegram). The message shows the host, never the
    credential. `${VAR}` placeholders are not reported.

    Failing:
        kind: GitRepository
        spec:
          url: https://flux:ghp_xxxxxxxx@github.com/acme/fleet

    Passing:
        spec:
          url: https://github.com/acme/fleet
          secretRef:
            name: github-auth     # username/password keys
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    """Each URL field of a Flux source or Provider that carries a credential."""
    for obj in ctx.model.objects:
        if not obj.is_flux or obj.kind not in _URL_FIELDS:
            continue
        for field_name in _URL_FIELDS[obj.kind]:
            value = obj.get("spec", field_name)
            if not isinstance(value, str):
                continue
            what = url_credential(value)
            if what is None:
                continue
            pos = obj.pos("spec", field_name)
            where = "the `secretRef` Secret (key `address`)" if obj.kind == "Provider" else \
                "the Secret named by `spec.secretRef` (`username`/`password` keys)"
            yield Finding(
                "secrets/credential-in-url", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} has {what} in `spec.{field_name}` (host {_url_host(value) or 'unknown'}): "
                f"it is readable in the repository and in events. Move it to {where} and rotate it.",
                object=obj.id, key=f"spec.{field_name}")


_URL_FIELDS = {
    "GitRepository": ("url",),
    "HelmRepository": ("url",),
    "OCIRepository": ("url",),
    "Bucket": ("endpoint",),
    "ImageRepository": ("image",),
    "Provider": ("address", "proxy"),
}


def _url_host(url: str) -> str:
    match = re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:[^@/?#\s]*@)?(?P<host>[^/?#\s:]*)", url.strip())
    return match.group("host") if match else ""

