"""source/insecure: a source with `insecure: true`, or fetched from an `http://` URL.

Addresses inside the cluster or the machine (``*.svc``, ``*.cluster.local``,
``*.local``, single-label hosts, localhost) are left alone: TLS is usually
not the point there. ``insecure`` is judged only on the kinds that honour it
(OCIRepository, Bucket, ImageRepository, and a HelmRepository of
``type: oci``); a plain HelmRepository ignores the flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from checks.findings import Finding, Severity, merge_repeats
from checks.model import KubeObject
from checks.rules.base import Rule, RuleContext
from checks.rules.source._shared import checked_objects

RULE = Rule(
    id="source/insecure",
    severity=Severity.WARNING,
    summary="insecure: true, or an http:// source URL",
    fixable=False,
    needs_base=False,
    doc="""
        A source fetched without TLS can be read and tampered with between the
        cluster and the server, and Flux applies whatever arrives. Addresses
        inside the cluster (`*.svc`, `*.cluster.local`, single-label service
        names, localhost) are not reported, nor is `insecure` where Flux ignores
        it (a HelmRepository that is not `type: oci`).

        Failing:
            kind: HelmRepository
            spec:
              url: http://charts.example.com

        Passing:
            spec:
              url: https://charts.example.com
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_insecure(ctx))


# Per kind: the spec field whose `http://` scheme is reported, the spec field whose host decides whether the
# server is internal (`url` when not listed), and the kinds that always honour `insecure`.
_URL_FIELDS = {"GitRepository": "url", "HelmRepository": "url", "Bucket": "endpoint"}
_ADDRESS_FIELDS = {"Bucket": "endpoint", "ImageRepository": "image"}
_INSECURE_KINDS = frozenset(("OCIRepository", "Bucket", "ImageRepository"))


def _insecure(ctx: RuleContext) -> Iterator[Finding]:
    for obj in checked_objects(ctx.model):
        if obj.implicit or not obj.is_flux:
            continue
        address = obj.get("spec", _ADDRESS_FIELDS.get(obj.kind, "url"))
        internal = isinstance(address, str) and _internal_host(address)
        if obj.get("spec", "insecure") is True and _honours_insecure(obj) and not internal:
            pos = obj.key_pos("spec", "insecure")
            yield Finding(
                "source/insecure", Severity.WARNING, pos.path, pos.line,
                f"{obj.id} sets `insecure: true`: it talks to its server over plain HTTP (or without verifying "
                "TLS), so what it pulls can be read or replaced on the way. Serve it over HTTPS, or give a CA "
                "with `certSecretRef`.",
                object=obj.id, key="spec.insecure")
        field_name = _URL_FIELDS.get(obj.kind)
        url = obj.get("spec", field_name) if field_name else None
        if isinstance(url, str) and url.strip().lower().startswith("http://") and not _internal_host(url):
            pos = obj.pos("spec", field_name)
            yield Finding(
                "source/insecure", Severity.WARNING, pos.path, pos.line,
                f"{obj.id} fetches from an `http://` URL: what it pulls can be read or replaced on the way. "
                "Use `https://`.",
                object=obj.id, key=f"spec.{field_name}")


def _internal_host(url: str) -> bool:
    """Addresses inside the cluster or the machine, where TLS is usually not the point.

    Remembered (asked of every source of every cluster), except a URL with a user part: a credential
    written into it is not kept past the review that read it.
    """
    return _internal(url) if "@" not in url else _host_is_internal(url)


def _host_is_internal(url: str) -> bool:
    match = re.match(r"^(?:[a-z]+://)?(?:[^@/]*@)?(?P<host>\[[^\]]*\]|[^:/?#]*)", url.strip().lower())
    host = match.group("host") if match else ""
    return (not host or "." not in host or host.endswith((".svc", ".svc.cluster.local", ".cluster.local", ".local"))
            or host in ("localhost", "127.0.0.1", "[::1]"))


_internal = lru_cache(maxsize=4096)(_host_is_internal)


def _honours_insecure(obj: KubeObject) -> bool:
    """Kinds whose ``insecure`` flag does something (a plain HelmRepository ignores it)."""
    if obj.kind == "HelmRepository":
        return obj.get("spec", "type") == "oci"
    return obj.kind in _INSECURE_KINDS
