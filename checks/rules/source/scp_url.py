"""source/scp-url: a GitRepository with an scp-style URL (`git@host:org/repo`), which the CRD rejects.

The GitRepository CRD validates ``spec.url`` against ``^(http|https|ssh)://``.
The fix rewrites the URL to the equivalent ``ssh://`` form, but only where
that is unambiguous: a home-relative path (``~``) or a path starting with
digits (which may be a port) gets no rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.edits import line_text
from checks.findings import Finding, Fix, Severity, merge_repeats
from checks.rules.base import Rule, RuleContext
from checks.rules.source._shared import checked_objects, templated

RULE = Rule(
    id="source/scp-url",
    severity=Severity.ERROR,
    summary="An scp-style Git URL (git@host:org/repo), which Flux does not support",
    fixable=True,
    needs_base=False,
    doc="""
        The GitRepository CRD accepts `ssh://`, `https://` and `http://` URLs only
        (`^(http|https|ssh)://`); the scp-like shorthand that `git clone`
        understands is rejected by the API server. The fix
        rewrites it to the equivalent `ssh://` URL (path after the colon becomes
        the path after the host).

        Failing:
            url: git@github.com:acme/fleet.git

        Passing:
            url: ssh://git@github.com/acme/fleet.git
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_scp_urls(ctx))


def _scp_urls(ctx: RuleContext) -> Iterator[Finding]:
    for obj in checked_objects(ctx.model):
        if obj.kind != "GitRepository" or not obj.is_flux:
            continue
        url = obj.get("spec", "url")
        if not isinstance(url, str) or templated(url):
            continue
        rewritten = scp_to_ssh(url)
        if rewritten is None:
            continue
        pos = obj.pos("spec", "url")
        fix = None
        text = line_text(ctx.model, pos.path, pos.line)
        if rewritten and text is not None and text.count(url) == 1 and pos.line == pos.end_line:
            fix = Fix(pos.path, pos.line, pos.line, text.replace(url, rewritten) + "\n")
        suggestion = f"`{rewritten}`" if rewritten else "an `ssh://user@host/path` URL"
        yield Finding(
            "source/scp-url", Severity.ERROR, pos.path, pos.line,
            f"{obj.id} uses the scp-style URL `{url}`: the GitRepository CRD accepts only http://, https:// "
            f"and ssh:// URLs, so the API server rejects it. Write it as {suggestion}.",
            object=obj.id, key="spec.url", fix=fix)


_SCP_URL = re.compile(r"^(?P<user>[^@/:\s]+)@(?P<host>[^:/\s\[\]]+):(?P<path>(?!//)\S+)$")


def scp_to_ssh(url: str) -> str | None:
    """``git@host:org/repo`` -> ``ssh://git@host/org/repo``.

    None when the URL is not scp-style; an empty string when it is, but no
    rewrite is safe (the finding then suggests the form without a fix).
    Public: the tests pin the rewrites directly.
    """
    match = _SCP_URL.match(url.strip())
    if not match:
        return None
    path = match.group("path")
    if path.startswith("~") or re.match(r"^\d+/", path):
        return ""  # a home-relative path or what may be a port: no safe rewrite
    return f"ssh://{match.group('user')}@{match.group('host')}/{path.lstrip('/')}"
