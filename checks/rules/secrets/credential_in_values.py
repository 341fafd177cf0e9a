"""secrets/credential-in-values: a credential-like literal in a HelmRelease's ``spec.values``.

Deliberately conservative: a key must name a credential (not the Secret
holding one), and its value must not be a placeholder, a reference, a path,
a plain URL or a Secret's name. A HelmRelease written once and rendered into
several namespaces is one thing to fix: its findings are merged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from checks.findings import Finding, Severity, merge_repeats
from checks.model import field_path
from checks.rules.base import Rule, RuleContext
from checks.rules.secrets._values import is_public_material, is_reference, url_credential
from checks.sops import is_encrypted_value

RULE = Rule(
    id="secrets/credential-in-values",
    severity=Severity.WARNING,
    summary="A credential-like literal in HelmRelease spec.values",
    fixable=False,
    needs_base=False,
    doc="""
    Helm values are plain text in the repository. A key whose name ends in
    password, passphrase, token, secret, apiKey, privateKey or
    secretAccessKey (or an `env` item `{name: X_PASSWORD, value: ...}`) with a
    literal value is reported.

    Deliberately conservative: not reported are keys that name a Secret or a
    key in one (`existingSecret`, `secretKey`, `*SecretName`, `*Ref`,
    `secretKeyRef`, `valueFrom`), `${VAR}` placeholders, templates, `op://`
    and other secret-manager references, empty values, booleans, numbers,
    paths, plain URLs, placeholders (`none`, `changeme`), and values of
    `*Secret` keys that read like a Secret's name (`my-app-secret`).

    Failing:
        values:
          auth:
            adminPassword: S3cr3t!

    Passing:
        values:
          auth:
            existingSecret: grafana-admin
        valuesFrom:
          - kind: Secret
            name: grafana-admin
            valuesKey: password
            targetPath: auth.adminPassword
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    """Credential-like literals under each HelmRelease's values, one finding per written line."""
    return merge_repeats(_credentials_in_values(ctx))


def _credentials_in_values(ctx: RuleContext) -> Iterator[Finding]:
    # A release rendered into several clusters shares its values tree: walk each tree once.
    walked: dict[int, list[tuple[tuple[str | int, ...], str]]] = {}
    for obj in ctx.model.all_objects():
        if obj.kind != "HelmRelease" or not obj.is_flux or obj.implicit:
            continue
        values = obj.get("spec", "values")
        if not isinstance(values, dict):
            continue
        found = walked.get(id(values))
        if found is None:
            found = walked[id(values)] = _credential_values(values, ())
        for path, shown in found:
            pos = obj.key_pos("spec", "values", *path)
            yield Finding(
                "secrets/credential-in-values", Severity.WARNING, pos.path, pos.line,
                f"{obj.id} sets `spec.values.{shown}` to a literal that looks like a credential: it is stored "
                "in the repository and in the Helm release Secret history. Move it to a Secret read with "
                "`valuesFrom` (or the chart's `existingSecret`).",
                object=obj.id, key=f"spec.values.{field_path(path)}")


# A tuple, not ``dict | list``: the union written in a call is built anew on every call.
_CONTAINERS = (dict, list)
_CREDENTIAL_NOUNS = ("password", "passwd", "passphrase", "token", "secret", "apikey", "secretaccesskey",
                     "privatekey", "encryptionkey", "signingkey", "clientsecret")
_ALLOWED_KEYS = re.compile(r"^(existingsecret.*|.*secretname|.*secretref|.*secretkeyref|secretkey|.*ref|"
                           r".*existing.*|usesecret|createsecret|.*fromsecret|.*secretfile|.*tokenfile)$")
_SKIP_PARENTS = re.compile(r"^(existingsecret.*|.*secretkeyref|valuefrom|envfrom|secretref|.*ref|annotations|"
                           r"labels|podannotations|podlabels|.*selector|.*existing.*)$")
_PLACEHOLDERS = frozenset((
    "none", "null", "nil", "-", "n/a", "na", "unused", "disabled", "empty", "default", "auto", "generate",
    "generated", "random", "changeme", "change-me", "change_me", "changeit", "password", "secret", "token",
    "xxx", "xxxx", "todo", "tbd", "redacted", "replace-me", "replaceme", "placeholder", "example", "test",
    "true", "false", "yes", "no", "on", "off", "enabled",
))
_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@lru_cache(maxsize=4096)
def _normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


@lru_cache(maxsize=4096)  # asked of every key of every values tree; charts repeat the same keys
def _is_credential_key(key: str) -> bool:
    """A values key whose name says it holds a credential (not the name of a Secret holding one)."""
    normal = _normal(key)
    if not normal or _ALLOWED_KEYS.match(normal):
        return False
    return normal.endswith(_CREDENTIAL_NOUNS)


@lru_cache(maxsize=4096)
def _skipped_parent(key: str) -> bool:
    """A values key whose map or list holds references, metadata or selectors, never a credential."""
    return _SKIP_PARENTS.match(_normal(key)) is not None


def _is_credential_value(key: str, value: Any) -> bool:
    """A literal that looks like a credential: not a placeholder, a reference, a path or a Secret's name."""
    if not isinstance(value, str):
        return False  # numbers, booleans, null, maps and lists
    text = value.strip()
    if len(text) < 4 or text.lower() in _PLACEHOLDERS or is_reference(text) or is_encrypted_value(text):
        return False
    if text.startswith(("/", "./", "~/", "$")) or set(text) <= {"*", "x", "X", "-", "."}:
        return False
    if re.fullmatch(r"[0-9.]+", text) or is_public_material(text):
        return False
    if re.match(r"^[a-z][a-z0-9+.-]*://", text) and url_credential(text) is None:
        return False  # an address, not a credential
    normal = _normal(key)
    return not (normal.endswith("secret") and _looks_like_name(text))


def _looks_like_name(text: str) -> bool:
    """``my-app-secret``: the name of a Secret rather than a secret (dashes or dots between words)."""
    if not _DNS_NAME.match(text) or len(text) > 253:
        return False
    parts = re.split(r"[-.]", text)
    return (len(parts) > 1 and all(re.search(r"[a-z]", p) for p in parts)) or text.isalpha()


def _credential_values(node: Any, path: tuple[str | int, ...],
                       found: list[tuple[tuple[str | int, ...], str]] | None = None,
                       ) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, display key) of credential-like literals under a values tree, in the order written.

    Appends to one list rather than yielding through a generator per nested map and list: values
    trees are deep, and every HelmRelease's whole tree is walked.
    """
    found = [] if found is None else found
    if isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, str) and "value" in node and _is_credential_key(name) and _is_credential_value(
                name, node.get("value")):
            found.append(((*path, "value"), f"{field_path(path)} ({name})" if path else name))
        for key, value in node.items():
            if isinstance(value, _CONTAINERS):
                if not _skipped_parent(str(key)):
                    _credential_values(value, (*path, key), found)
            elif isinstance(value, str) and _is_credential_key(str(key)) and _is_credential_value(str(key), value):
                found.append(((*path, key), field_path((*path, key))))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, _CONTAINERS):  # nothing else holds a credential of its own
                _credential_values(item, (*path, index), found)
    return found

