"""What a literal value is: a reference to a secret kept elsewhere, public material, a URL carrying a credential.

plaintext-secret, credential-in-values and credential-in-url judge values
the same way, so the look-alikes the group leaves alone (``${VAR}``,
templates, secret-manager references, certificates, public keys,
``known_hosts`` lines, age recipients) are defined once, here.
"""

from __future__ import annotations

import re

_MANAGER_PREFIXES = (
    "op://", "vault:", "vault://", "ref+", "akv://", "azkv://", "keyvault://", "sm://", "berglas://",
    "gcpsm://", "gcp-secret-manager://", "awssm://", "awssecrets://", "awsssm://", "ssm://",
    "secretsmanager://", "arn:aws:secretsmanager:", "arn:aws:ssm:", "doppler://", "infisical://",
    "bws://", "bitwarden://", "keeper://", "onepassword://", "<path:", "<secret:", "secret://",
    "k8s://", "kubernetes://", "file://", "env://", "sops://",
)
_GCP_SECRET = re.compile(r"^projects/[^/\s]+/secrets/[^/\s]+(/versions/[^/\s]+)?$")
_PUBLIC_PEM = re.compile(r"-----BEGIN ((?:TRUSTED |X509 )?CERTIFICATE|(?:RSA |EC )?PUBLIC KEY|PGP PUBLIC KEY BLOCK|"
                         r"X509 CRL|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST)-----")
_ANY_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_SSH_KEY = (r"(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com|"
            r"sk-ecdsa-sha2-nistp256@openssh\.com)\s+AAAA[0-9A-Za-z+/=]+")
_PUBLIC_LINE = re.compile(rf"^(?:(?:@\S+\s+)?\S+\s+)?{_SSH_KEY}(?:\s.*)?$|^age1[02-9ac-hj-np-z]{{58}}$")


def is_reference(value: str) -> bool:
    """A value that names where a secret lives instead of holding it."""
    text = value.strip()
    lowered = text.lower()
    if "${" in text or "{{" in text or "$(" in text:
        return True
    return lowered.startswith(_MANAGER_PREFIXES) or bool(_GCP_SECRET.match(text))


def is_public_material(value: str) -> bool:
    """Certificates, public keys, ``known_hosts`` lines and age recipients: meant to be shared."""
    text = value.strip()
    if not text:
        return False
    kinds = _ANY_PEM.findall(text)
    if kinds:
        return all(_PUBLIC_PEM.match(f"-----BEGIN {kind}-----") for kind in kinds)
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and all(_PUBLIC_LINE.match(line) for line in lines)

_USERINFO = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<userinfo>[^@/?#\s]*)@(?P<host>[^/?#\s]*)")
_TOKEN_USER = re.compile(r"^(gh[pousr]_|github_pat_|glpat-|[A-Za-z0-9_\-]{32,}$)")
_SECRET_QUERY = re.compile(r"[?&](?P<name>(?:access_|api_|auth_|private_)?(?:token|key|apikey|password|secret|"
                           r"sig|signature|auth))=(?P<value>[^&#]+)", re.I)
_WEBHOOK_PATHS = re.compile(
    r"^https?://(?:hooks\.slack\.com/services/|(?:[\w-]+\.)?discord(?:app)?\.com/api/webhooks/|"
    r"[\w.-]*webhook\.office\.com/|outlook\.office\.com/webhook/|api\.telegram\.org/bot)", re.I)


def url_credential(url: str) -> str | None:
    """What kind of credential a URL carries (a phrase for the message), or None."""
    text = url.strip()
    if not text or "${" in text:
        return None
    match = _USERINFO.match(text)
    if match:
        user, sep, password = match.group("userinfo").partition(":")
        if sep and password:
            return "a password"
        if match.group("scheme").lower() in ("http", "https") and _TOKEN_USER.match(user):
            return "a token"
    query = _SECRET_QUERY.search(text)
    if query and query.group("value").strip() and "${" not in query.group("value"):
        return f"a `{query.group('name')}` query parameter"
    if _WEBHOOK_PATHS.match(text):
        return "the webhook's secret path"
    return None
