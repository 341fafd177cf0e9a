"""Registering the App from its manifest: the manifest, the pending setups, and the code exchange.

GitHub's manifest flow (``GITHUB.md``, "App manifest"): the operator's browser
POSTs the manifest to ``{github}/settings/apps/new?state=STATE`` (or the
organisation's page), the operator confirms, GitHub redirects the browser to
the manifest's ``redirect_url`` with ``code`` and ``state``, and
``POST {api}/app-manifests/{code}/conversions`` answers with the App id, the
PEM key and the webhook secret, within an hour and once.

``state`` is what stops a forged callback: it is random, kept only by this
process, used once, expires, and is bound to the browser that started the
setup by a cookie, so a page elsewhere cannot make an operator's browser
complete setup with an App of the attacker's.
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode, urlparse

import requests
import yaml

from bot.credentials import Credentials, StoredCredentialsError
from bot.settings import DEFAULT_GITHUB_URL, Settings, api_url_for

# The keys GitHub documents for a manifest; anything else in app.yml is not sent.
MANIFEST_KEYS = frozenset({
    "name", "url", "hook_attributes", "redirect_url", "callback_urls", "setup_url", "description", "public",
    "default_events", "default_permissions", "request_oauth_on_install", "setup_on_update",
})
STATE_LIFETIME = 3600.0  # GitHub's code is valid for an hour; a setup left longer starts again
MAX_PENDING = 64  # anyone who reaches the page may start a setup: their number is bounded
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


class RegistrationError(Exception):
    """A step of the registration failed; the message is for the operator and holds no secret."""


def app_manifest(webhook_url: str, redirect_url: str) -> dict[str, Any]:
    """The manifest of ``app.yml`` (read now, from the package) for this server's webhook and callback."""
    text = resources.files("bot").joinpath("app.yml").read_text(encoding="utf-8")
    manifest = {key: copy.deepcopy(value) for key, value in yaml.safe_load(text).items() if key in MANIFEST_KEYS}
    hook = dict(manifest.get("hook_attributes") or {})
    hook["url"] = webhook_url
    hook.setdefault("active", True)
    manifest["hook_attributes"] = hook
    manifest["redirect_url"] = redirect_url
    return manifest


def new_app_url(github_url: str, organization: str, state: str) -> str:
    """GitHub's page that receives the manifest, for a personal account or an organisation."""
    query = urlencode({"state": state})
    if organization:
        return f"{github_url}/organizations/{quote(organization, safe='')}/settings/apps/new?{query}"
    return f"{github_url}/settings/apps/new?{query}"


def install_url(github_url: str, slug: str) -> str:
    """Where the operator installs the registered App on accounts and repositories."""
    return f"{github_url}/apps/{quote(slug, safe='')}/installations/new"


def organization_from_form(value: str) -> str:
    """The organisation's login, or "" for the operator's personal account; ``ValueError`` when malformed."""
    value = value.strip()
    if value and not _LOGIN.match(value):
        raise ValueError("The organisation must be its login as in its GitHub address (letters, digits, dashes).")
    return value


def github_url_from_form(value: str) -> str:
    """GitHub's address (github.com or a GitHub Enterprise Server); ``ValueError`` when not one."""
    value = (value.strip() or DEFAULT_GITHUB_URL).rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path or parsed.query:
        raise ValueError("The GitHub address must be like https://github.com or https://github.example.com.")
    return value


def webhook_url_from_form(value: str) -> str:
    """The public address GitHub sends webhooks to; ``ValueError`` when it is not an http(s) URL."""
    value = value.strip()
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("The webhook URL must be an http(s) address GitHub can reach, ending in /webhook.")
    return value


def api_for(settings: Settings, github_url: str) -> str:
    """The API of the GitHub the operator chose: the configured one for the configured GitHub."""
    return settings.api_url if github_url == settings.github_url else api_url_for(github_url)


@dataclass(frozen=True)
class PendingSetup:
    """A setup this server started: where the browser went, and until when its state is accepted."""

    state: str
    browser: str
    github_url: str
    api_url: str
    webhook_url: str
    expires: float


class PendingSetups:
    """The states this process handed out: random, single-use, expiring, bound to one browser."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, lifetime: float = STATE_LIFETIME,
                 limit: int = MAX_PENDING) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._limit = limit
        self._pending: OrderedDict[str, PendingSetup] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, browser: str, github_url: str, api_url: str, webhook_url: str) -> PendingSetup:
        """A new state for ``browser`` (the cookie's value); the oldest setup goes when too many wait."""
        pending = PendingSetup(secrets.token_urlsafe(32), browser, github_url, api_url, webhook_url,
                               self._clock() + self._lifetime)
        with self._lock:
            self._pending[pending.state] = pending
            while len(self._pending) > self._limit:
                self._pending.popitem(last=False)
        return pending

    def finish(self, state: str, browser: str) -> PendingSetup | None:
        """The setup ``state`` belongs to, once; None when unknown, used, expired or from another browser."""
        with self._lock:
            pending = self._pending.pop(state, None)
        if pending is None or self._clock() >= pending.expires:
            return None
        if not browser or not secrets.compare_digest(pending.browser, browser):
            return None
        return pending

    def __len__(self) -> int:
        return len(self._pending)


def new_browser_token() -> str:
    return secrets.token_urlsafe(32)


def convert(pending: PendingSetup, code: str, timeout: float,
            session: requests.Session | None = None) -> Credentials:
    """Exchange GitHub's ``code`` for the App's credentials (no authentication: the code is the proof)."""
    if not _CODE.match(code):
        raise RegistrationError("GitHub's code is missing or malformed: start the setup again.")
    url = f"{pending.api_url}/app-manifests/{quote(code, safe='')}/conversions"
    sender = session or requests
    try:
        answer = sender.post(url, timeout=timeout, headers={
            "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "flux-review",
        })
    except requests.RequestException as error:
        raise RegistrationError(f"Could not reach GitHub's API at {pending.api_url} ({type(error).__name__}).")\
            from None
    if answer.status_code != 201:
        raise RegistrationError(
            f"GitHub refused the code (HTTP {answer.status_code}): a code is valid for one hour and one exchange; "
            "start the setup again."
        )
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RegistrationError("GitHub's answer to the code exchange is not a JSON object.")
    try:
        return Credentials.from_conversion(body, pending.github_url, pending.api_url)
    except StoredCredentialsError as error:
        raise RegistrationError(str(error)) from None
