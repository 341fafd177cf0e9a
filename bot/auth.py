"""Authenticating as the GitHub App and as each of its installations.

The App signs a short JWT (RS256, ``iat`` 60 s in the past against clock
drift, a few minutes of validity) with PyJWT through PyGithub's ``AppAuth``,
and trades it for installation tokens (valid one hour). Tokens are cached
per installation and refreshed some minutes before they expire; the
installation's ``Auth`` asks the cache on *every* request, so a long job
picks up the renewed token by itself, and a 401 (a revoked token) renews it
once on the spot. Tokens never appear in logs or ``repr``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from github import Auth

log = logging.getLogger(__name__)

JWT_ISSUED_AT = -60  # seconds, against clock drift between us and GitHub
JWT_EXPIRY = 300  # seconds; GitHub accepts at most 600


def app_auth(app_id: str, private_key: str) -> Auth.AppAuth:
    """The App's own authentication: a fresh RS256 JWT for every request."""
    return Auth.AppAuth(app_id, private_key, jwt_expiry=JWT_EXPIRY, jwt_issued_at=JWT_ISSUED_AT)


@dataclass(frozen=True)
class IssuedToken:
    """An installation token and when it stops working (epoch seconds)."""

    token: str = field(repr=False)
    expires_at: float


class InstallationTokens:
    """Installation tokens cached per installation until ``margin`` seconds before they expire.

    ``issue`` asks GitHub for a new token (``POST /app/installations/{id}/access_tokens``).
    One lock per installation makes concurrent jobs share one refresh.
    """

    def __init__(self, issue: Callable[[int], IssuedToken], margin: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._issue = issue
        self._margin = margin
        self._clock = clock
        self._tokens: dict[int, IssuedToken] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def token(self, installation_id: int) -> str:
        """A token valid for at least ``margin`` more seconds."""
        with self._lock(installation_id):
            current = self._tokens.get(installation_id)
            if current is None or current.expires_at - self._clock() <= self._margin:
                current = self._issue(installation_id)
                self._tokens[installation_id] = current
                log.info("installation %s: new token, valid until %s", installation_id,
                         time.strftime("%H:%M:%S", time.gmtime(current.expires_at)))
            return current.token

    def renew(self, installation_id: int, rejected: str) -> str:
        """A new token after GitHub rejected ``rejected``; another thread may already have renewed it."""
        with self._lock(installation_id):
            current = self._tokens.get(installation_id)
            if current is not None and current.token == rejected:
                del self._tokens[installation_id]
        return self.token(installation_id)

    def _lock(self, installation_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(installation_id, threading.Lock())


class InstallationAuth(Auth.Auth):
    """PyGithub authentication that reads the installation's token from the cache on every request."""

    def __init__(self, tokens: InstallationTokens, installation_id: int) -> None:
        self._tokens = tokens
        self.installation_id = installation_id

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._tokens.token(self.installation_id)

    def header(self) -> str:
        """The ``Authorization`` header value for raw requests."""
        return f"token {self.token}"

    def renew_header(self, rejected_header: str) -> str | None:
        """After a 401: a header with a renewed token, or None when the rejected one was not ours."""
        prefix = "token "
        if not rejected_header.startswith(prefix):
            return None
        return f"token {self._tokens.renew(self.installation_id, rejected_header[len(prefix):])}"
