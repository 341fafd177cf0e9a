"""The App's credentials as setup stored them under ``DATA_DIR``: written atomically, readable by the owner only.

Setup mode receives the App id, the private key and the webhook secret from
GitHub once (``bot.registration``). They are kept in two files beside the
queue: ``github-app.json`` (id, slug, client id, webhook secret, the GitHub it
was registered on) and the PEM key in a file named after the App id, which the
JSON names. Each file is written to a temporary file, flushed and renamed, so a
crash leaves the old file or the new one, never half of one; the key is written
first and the JSON last, so the JSON never names a key that is not there.

Environment variables always win: these files are read only when none of
``APP_ID``, ``PRIVATE_KEY``, ``PRIVATE_KEY_PATH`` and ``WEBHOOK_SECRET`` is set.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

CREDENTIAL_VARIABLES = ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET")
RECORD_NAME = "github-app.json"
_KEY_NAME = re.compile(r"^github-app-[0-9]+\.private-key\.pem$")


class StoredCredentialsError(ValueError):
    """The stored credentials exist but cannot be used; the message names the file, never a secret."""


@dataclass(frozen=True)
class Credentials:
    """What the service needs to act as the App, and what the operator needs to find it again."""

    app_id: str
    private_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    slug: str = ""
    client_id: str = ""
    owner: str = ""
    html_url: str = ""
    github_url: str = ""
    api_url: str = ""

    @classmethod
    def from_conversion(cls, answer: Mapping[str, Any], github_url: str, api_url: str) -> Credentials:
        """The credentials in GitHub's answer to ``POST /app-manifests/{code}/conversions``."""
        owner = answer.get("owner")
        credentials = cls(
            app_id=str(answer.get("id", "")),
            private_key=str(answer.get("pem") or ""),
            webhook_secret=str(answer.get("webhook_secret") or ""),
            slug=str(answer.get("slug") or ""),
            client_id=str(answer.get("client_id") or ""),
            owner=str(owner.get("login", "")) if isinstance(owner, Mapping) else "",
            html_url=str(answer.get("html_url") or ""),
            github_url=github_url,
            api_url=api_url,
        )
        _validate(credentials, "GitHub's answer")
        return credentials

    @property
    def key_file_name(self) -> str:
        return f"github-app-{self.app_id}.private-key.pem"


def set_in_environment(env: Mapping[str, str]) -> list[str]:
    """The credential variables the environment sets (blank ones count as unset)."""
    return [name for name in CREDENTIAL_VARIABLES if env.get(name, "").strip()]


def save(data_dir: Path, credentials: Credentials) -> Path:
    """Store ``credentials`` under ``data_dir`` (folder 0700, files 0600); the record's path."""
    _validate(credentials, "the credentials to store")
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_dir.chmod(0o700)
    _write_private(data_dir / credentials.key_file_name, credentials.private_key.encode())
    record = {
        "app_id": credentials.app_id,
        "slug": credentials.slug,
        "client_id": credentials.client_id,
        "owner": credentials.owner,
        "html_url": credentials.html_url,
        "github_url": credentials.github_url,
        "api_url": credentials.api_url,
        "webhook_secret": credentials.webhook_secret,
        "private_key_file": credentials.key_file_name,
    }
    path = data_dir / RECORD_NAME
    _write_private(path, (json.dumps(record, indent=2) + "\n").encode())
    return path


def load(data_dir: Path) -> Credentials | None:
    """The stored credentials, None when setup has not stored any; ``StoredCredentialsError`` when unusable."""
    path = data_dir / RECORD_NAME
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StoredCredentialsError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        record = json.loads(text)
    except ValueError:
        raise StoredCredentialsError(f"{path} is not JSON: remove it and register the App again") from None
    if not isinstance(record, dict):
        raise StoredCredentialsError(f"{path} is not a JSON object: remove it and register the App again")
    key_name = str(record.get("private_key_file", ""))
    if not _KEY_NAME.match(key_name):  # a bare file name in DATA_DIR, nothing that leads elsewhere
        raise StoredCredentialsError(f"{path} does not name the App's key file")
    try:
        key = (data_dir / key_name).read_text()
    except OSError as error:
        raise StoredCredentialsError(f"{data_dir / key_name}: cannot read the App's key ({error.strerror})") from None
    credentials = Credentials(
        app_id=str(record.get("app_id", "")),
        private_key=key,
        webhook_secret=str(record.get("webhook_secret", "")),
        **{name: str(record.get(name) or "") for name in
           ("slug", "client_id", "owner", "html_url", "github_url", "api_url")},
    )
    _validate(credentials, str(path))
    return credentials


def _validate(credentials: Credentials, source: str) -> None:
    if not (credentials.app_id.isdigit() and int(credentials.app_id) > 0):
        raise StoredCredentialsError(f"{source}: the App id is not a positive number")
    if not credentials.webhook_secret:
        raise StoredCredentialsError(f"{source}: the webhook secret is missing")
    try:
        key = load_pem_private_key(credentials.private_key.encode(), password=None)
    except (ValueError, TypeError):
        raise StoredCredentialsError(f"{source}: the private key is not a readable PEM key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise StoredCredentialsError(f"{source}: the private key is not an RSA key")


def _write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename; the file is 0600 from its first byte."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)
