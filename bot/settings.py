"""The service's configuration, read once from the environment and validated at start.

Names follow Probot's where Probot has one (``APP_ID``, ``PRIVATE_KEY``,
``WEBHOOK_SECRET``, ``GITHUB_API_URL``, ``REDIS_URL``, ``HOST``, ``PORT``,
``LOG_LEVEL``), so an operator who has run a Probot app knows them already.
Tunables of our own carry the ``FLUX_REVIEW_`` prefix. A missing or malformed
value stops the start with a message naming the variable and what is
expected; secrets are never echoed in those messages.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bot import credentials as stored_credentials
from bot.sandbox import Limits

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_GITHUB_URL = "https://github.com"
DEFAULT_PORT = 3000  # Probot's default
# GitHub never sends a payload above 25 MB; a little headroom for headers of the form encoding.
DEFAULT_MAX_WEBHOOK_BYTES = 25 * 1024 * 1024 + 64 * 1024

_LOG_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
    "critical": logging.CRITICAL,
}
_CLIENT_ID = re.compile(r"^Iv[0-9A-Za-z.]{4,}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

T = TypeVar("T")


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


class NotRegistered(SettingsError):
    """No App credentials in the environment nor under ``DATA_DIR``: ``serve`` opens setup mode."""


@dataclass(frozen=True)
class Tuning:
    """Timings and caps; the defaults suit production, tests shrink them."""

    workers: int = 4
    review_delay: float = 2.0
    github_timeout: float = 30.0
    github_retries: int = 5
    github_backoff: float = 1.0
    github_backoff_max: float = 30.0
    github_max_wait: float = 900.0
    secondary_rate_wait: float = 60.0
    write_interval: float = 1.0
    token_refresh_margin: float = 300.0
    job_lease: float = 120.0
    job_attempts: int = 3
    job_retry_delay: float = 30.0
    requeue_after: float = 600.0
    queue_poll: float = 1.0
    finalize_retries: int = 8
    max_annotations: int = 250
    max_webhook_bytes: int = DEFAULT_MAX_WEBHOOK_BYTES
    # How long one request may take to send its body: a client that stalls costs a connection for this
    # long, never a web thread for good (GitHub sends a delivery at once).
    body_timeout: float = 10.0
    archive_max_bytes: int = 256 * 1024 * 1024
    archive_max_members: int = 100_000
    archive_max_file_bytes: int = 16 * 1024 * 1024
    archive_max_total_bytes: int = 512 * 1024 * 1024
    # The whole download of one archive, however the sender paces it.
    archive_timeout: float = 300.0
    # Compressed archives kept in memory by commit, so a re-review downloads only the new head.
    archive_cache_bytes: int = 64 * 1024 * 1024
    # One review's analysis runs in a child process with these limits (wall clock 0: in-process).
    review_timeout: float = 120.0
    review_cpu: int = 120
    review_memory: int = 1024 * 1024 * 1024

    @property
    def analysis_limits(self) -> Limits:
        return Limits(self.review_timeout, self.review_cpu, self.review_memory)


@dataclass(frozen=True)
class Settings:
    """Everything the web process and the workers need to run."""

    app_id: str
    private_key: str = field(repr=False)
    webhook_secret: bytes = field(repr=False)
    api_url: str = DEFAULT_API_URL
    github_url: str = DEFAULT_GITHUB_URL
    data_dir: Path = Path(".flux-review")
    redis_url: str | None = field(default=None, repr=False)
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    log_level: int = logging.INFO
    log_format: str = "text"
    review_drafts: bool = True
    tuning: Tuning = field(default_factory=Tuning)

    @property
    def scale_out(self) -> bool:
        """True when Redis holds the queue and the shared state (several processes, several machines)."""
        return self.redis_url is not None

    @property
    def registered(self) -> bool:
        """False in setup mode, before the App's credentials exist."""
        return bool(self.app_id)

    def with_credentials(self, found: stored_credentials.Credentials) -> Settings:
        """The same settings acting as the App that setup just registered (on the GitHub it was registered on)."""
        return replace(self, app_id=found.app_id, private_key=found.private_key,
                       webhook_secret=found.webhook_secret.encode(), api_url=found.api_url or self.api_url,
                       github_url=found.github_url or self.github_url)

    def with_address(self, host: str | None, port: int | None) -> Settings:
        """The same settings listening elsewhere (``serve --host/--port`` override the environment)."""
        return replace(self, host=host or self.host, port=port if port is not None else self.port)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, setup: bool = False) -> Settings:
        """Read and validate the environment; ``SettingsError`` names the first bad variable.

        The App's credentials come from the environment, else from what setup stored under ``DATA_DIR``,
        else ``NotRegistered`` is raised. ``setup=True`` reads everything but the credentials (setup mode).
        """
        env = os.environ if env is None else env
        data_dir = Path(env.get("DATA_DIR") or ".flux-review")
        app = _NO_APP if setup else _credentials(env, data_dir)
        return cls(
            app_id=app.app_id,
            private_key=app.private_key,
            webhook_secret=app.webhook_secret.encode(),
            api_url=_api_url(env, app.api_url),
            github_url=_github_url(env, app.github_url),
            data_dir=data_dir,
            redis_url=_redis_url(env),
            host=env.get("HOST") or "0.0.0.0",
            port=_number(env, "PORT", int, DEFAULT_PORT, 1, 65535),
            log_level=_log_level(env),
            log_format=_log_format(env),
            review_drafts=_flag(env, "FLUX_REVIEW_DRAFTS", True),
            tuning=_tuning(env),
        )


_NO_APP = stored_credentials.Credentials(app_id="", private_key="", webhook_secret="")


def _credentials(env: Mapping[str, str], data_dir: Path) -> stored_credentials.Credentials:
    """The environment's credentials when it sets any (all are then required), else the stored ones."""
    if stored_credentials.set_in_environment(env):
        return stored_credentials.Credentials(  # checked in this order: the first missing one is named
            app_id=_app_id(env), private_key=_private_key(env),
            webhook_secret=_required(env, "WEBHOOK_SECRET", "the webhook secret set in the App's settings"))
    try:
        found = stored_credentials.load(data_dir)
    except stored_credentials.StoredCredentialsError as error:
        raise SettingsError(f"DATA_DIR: {error}") from None
    if found is None:
        raise NotRegistered(
            "no GitHub App credentials: set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET, "
            f"or register the App from the page `flux-review serve` shows (it stores them in {data_dir})"
        )
    return found


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set: expected {what}")
    return value


def _app_id(env: Mapping[str, str]) -> str:
    value = _required(env, "APP_ID", "the numeric App id from the App's settings page")
    if not (value.isdigit() and int(value) > 0) and not _CLIENT_ID.match(value):
        raise SettingsError(f"APP_ID must be the numeric App id (or its client id Iv...), got {value!r}")
    return value


def _private_key(env: Mapping[str, str]) -> str:
    text = env.get("PRIVATE_KEY", "").strip()
    path = env.get("PRIVATE_KEY_PATH", "").strip()
    name = "PRIVATE_KEY"
    if not text and path:
        name = "PRIVATE_KEY_PATH"
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise SettingsError(f"PRIVATE_KEY_PATH: cannot read {path}: {exc.strerror}") from None
    if not text:
        raise SettingsError(
            "PRIVATE_KEY is not set: expected the App's PEM private key (or PRIVATE_KEY_PATH naming its file)"
        )
    # Probot accepts keys whose newlines were flattened to "\n" in a one-line variable.
    if "\\n" in text and "\n" not in text.strip():
        text = text.replace("\\n", "\n")
    try:
        key = load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        # The key itself is never echoed: it is a secret.
        raise SettingsError(f"{name} is not a readable PEM private key (expected -----BEGIN RSA PRIVATE KEY-----)")\
            from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SettingsError(f"{name} must be an RSA key: GitHub signs App JWTs with RS256")
    return text


def _api_url(env: Mapping[str, str], registered: str = "") -> str:
    """GITHUB_API_URL, else the API of GITHUB_URL, else the API the App was registered on, else GitHub's."""
    if not env.get("GITHUB_API_URL", "").strip() and env.get("GITHUB_URL", "").strip():
        return api_url_for(_github_url(env))
    value = (env.get("GITHUB_API_URL") or registered or DEFAULT_API_URL).strip().rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise SettingsError(
            f"GITHUB_API_URL must be an http(s) URL such as {DEFAULT_API_URL} or https://HOST/api/v3, got {value!r}"
        )
    return value


def _github_url(env: Mapping[str, str], registered: str = "") -> str:
    value = (env.get("GITHUB_URL") or registered or DEFAULT_GITHUB_URL).strip().rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path not in ("", "/"):
        raise SettingsError(
            f"GITHUB_URL must be GitHub's address such as {DEFAULT_GITHUB_URL} or https://HOST, got {value!r}"
        )
    return value


def api_url_for(github_url: str) -> str:
    """The REST API of a GitHub: api.github.com for github.com, ``<host>/api/v3`` for GitHub Enterprise Server."""
    github_url = github_url.rstrip("/")
    return DEFAULT_API_URL if github_url == DEFAULT_GITHUB_URL else f"{github_url}/api/v3"


def _redis_url(env: Mapping[str, str]) -> str | None:
    value = env.get("REDIS_URL", "").strip()
    if not value:
        return None
    if urlparse(value).scheme not in ("redis", "rediss", "unix"):
        # Only the scheme is shown: the URL may hold a password.
        raise SettingsError("REDIS_URL must start with redis://, rediss:// or unix://")
    return value


def _log_level(env: Mapping[str, str]) -> int:
    value = (env.get("LOG_LEVEL") or "info").strip().lower()
    if value not in _LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of trace, debug, info, warn, error, fatal; got {value!r}")
    return _LOG_LEVELS[value]


def _log_format(env: Mapping[str, str]) -> str:
    value = (env.get("LOG_FORMAT") or "text").strip().lower()
    if value not in ("text", "json"):
        raise SettingsError(f"LOG_FORMAT must be text or json, got {value!r}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def _number(env: Mapping[str, str], name: str, kind: Callable[[str], T], default: T,
            low: float, high: float | None = None) -> T:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name} must be {expected}, got {raw!r}") from None
    if value < low or (high is not None and value > high):  # type: ignore[operator]
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name} must be {bound}, got {raw}")
    return value


_TUNING_VARS: dict[str, tuple[str, type, float, float | None]] = {
    "workers": ("FLUX_REVIEW_WORKERS", int, 1, 64),
    "review_delay": ("FLUX_REVIEW_REVIEW_DELAY", float, 0, 600),
    "github_timeout": ("FLUX_REVIEW_GITHUB_TIMEOUT", float, 0.1, 600),
    "github_retries": ("FLUX_REVIEW_GITHUB_RETRIES", int, 0, 20),
    "github_backoff": ("FLUX_REVIEW_GITHUB_BACKOFF", float, 0, 60),
    "github_backoff_max": ("FLUX_REVIEW_GITHUB_BACKOFF_MAX", float, 0, 3600),
    "github_max_wait": ("FLUX_REVIEW_GITHUB_MAX_WAIT", float, 0, 3 * 3600),
    "secondary_rate_wait": ("FLUX_REVIEW_SECONDARY_RATE_WAIT", float, 0, 3600),
    "write_interval": ("FLUX_REVIEW_WRITE_INTERVAL", float, 0, 60),
    "token_refresh_margin": ("FLUX_REVIEW_TOKEN_REFRESH_MARGIN", float, 0, 3000),
    "job_lease": ("FLUX_REVIEW_JOB_LEASE", float, 1, 3600),
    "job_attempts": ("FLUX_REVIEW_JOB_ATTEMPTS", int, 1, 20),
    "job_retry_delay": ("FLUX_REVIEW_JOB_RETRY_DELAY", float, 0, 3600),
    "requeue_after": ("FLUX_REVIEW_REQUEUE_AFTER", float, 1, 24 * 3600),
    "queue_poll": ("FLUX_REVIEW_QUEUE_POLL", float, 0.01, 60),
    "finalize_retries": ("FLUX_REVIEW_FINALIZE_RETRIES", int, 0, 100),
    "max_annotations": ("FLUX_REVIEW_MAX_ANNOTATIONS", int, 0, 10_000),
    "max_webhook_bytes": ("FLUX_REVIEW_MAX_WEBHOOK_BYTES", int, 1024, None),
    "body_timeout": ("FLUX_REVIEW_BODY_TIMEOUT", float, 0.1, 600),
    "archive_max_bytes": ("FLUX_REVIEW_ARCHIVE_MAX_BYTES", int, 1024, None),
    "archive_max_members": ("FLUX_REVIEW_ARCHIVE_MAX_MEMBERS", int, 1, None),
    "archive_max_file_bytes": ("FLUX_REVIEW_ARCHIVE_MAX_FILE_BYTES", int, 1, None),
    "archive_max_total_bytes": ("FLUX_REVIEW_ARCHIVE_MAX_TOTAL_BYTES", int, 1, None),
    "archive_timeout": ("FLUX_REVIEW_ARCHIVE_TIMEOUT", float, 0.1, 3600),
    "archive_cache_bytes": ("FLUX_REVIEW_ARCHIVE_CACHE_BYTES", int, 0, None),
    "review_timeout": ("FLUX_REVIEW_REVIEW_TIMEOUT", float, 0, 24 * 3600),
    "review_cpu": ("FLUX_REVIEW_REVIEW_CPU", int, 0, 24 * 3600),
    "review_memory": ("FLUX_REVIEW_REVIEW_MEMORY", int, 0, None),
}


def _tuning(env: Mapping[str, str]) -> Tuning:
    defaults = Tuning()
    values = {
        attr: _number(env, name, kind, getattr(defaults, attr), low, high)
        for attr, (name, kind, low, high) in _TUNING_VARS.items()
    }
    tuning = Tuning(**values)
    if tuning.token_refresh_margin >= 3600:
        raise SettingsError("FLUX_REVIEW_TOKEN_REFRESH_MARGIN must be below 3600: tokens live one hour")
    return tuning


def tuning_variables() -> dict[str, str]:
    """Environment variable name of every tunable, for the operator docs and tests."""
    return {attr: spec[0] for attr, spec in _TUNING_VARS.items()}
