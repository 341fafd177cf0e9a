"""The one road every GitHub request takes: pacing, counting, retrying.

``GitHubAdapter`` is a requests transport adapter. PyGithub's calls and our
raw calls (the archive download) are both sent through a session that
mounts it, so the retry policy, the write pacing, the installation token
refresh on 401 and the per-endpoint counting live in one place. Sleep,
clock and randomness are injected so that tests assert the exact waits.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from bot import metrics
from bot.pacing import Pacer
from bot.retry import RetryPolicy, repeatable

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

_SHA = re.compile(r"^[0-9a-f]{40}$")
_TEMPLATES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/repos/[^/]+/[^/]+/(tarball|zipball)/.*$"), r"/repos/{owner}/{repo}/\1/{ref}"),
    (re.compile(r"^/repos/[^/]+/[^/]+/contents/.*$"), "/repos/{owner}/{repo}/contents/{path}"),
    (re.compile(r"^/repos/[^/]+/[^/]+/compare/.*$"), "/repos/{owner}/{repo}/compare/{basehead}"),
    (re.compile(r"^/repos/[^/]+/[^/]+(/.*)?$"), r"/repos/{owner}/{repo}\1"),
]


def endpoint_of(url: str, api_prefix: str = "") -> str:
    """A low-cardinality name for a request URL: ``/repos/{owner}/{repo}/pulls/{n}/files``.

    URLs outside the API (the archive host GitHub redirects to) are named
    ``archive-download`` so that no signed link ever reaches a metric label.
    """
    parts = urlsplit(url)
    path = parts.path
    if api_prefix:
        api = urlsplit(api_prefix)
        if (parts.scheme, parts.netloc) != (api.scheme, api.netloc):
            return "archive-download"
        prefix = api.path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix):]
    for pattern, template in _TEMPLATES:
        if pattern.match(path):
            path = pattern.sub(template, path)
            break
    segments = [
        "{sha}" if _SHA.match(s) else "{n}" if s.isdigit() else s for s in path.split("/")
    ]
    return "/".join(segments) or "/"


@dataclass
class CallLog:
    """Every attempt this adapter sent: (method, endpoint, status or 'error'). For tests and benchmarks."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, method: str, endpoint: str, status: str) -> None:
        self.calls.append((method, endpoint, status))


class GitHubAdapter(HTTPAdapter):
    """Sends a request, then retries it as ``RetryPolicy`` decides, pacing writes per installation.

    ``pace_key`` names the installation whose write slots are used (None: no
    pacing, e.g. for the App's own JWT calls). ``renew_authorization`` is
    called once on a 401 with the header that failed; it returns a fresh
    header (a renewed installation token) or None.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        api_url: str = "",
        pacer: Pacer | None = None,
        pace_key: str | None = None,
        write_interval: float = 1.0,
        renew_authorization: Callable[[str], str | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        call_log: CallLog | None = None,
        pool_size: int = 10,
    ) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.policy = policy
        self.api_url = api_url
        self.pacer = pacer
        self.pace_key = pace_key
        self.write_interval = write_interval
        self.renew_authorization = renew_authorization
        self.sleep = sleep
        self.clock = clock
        self.rand = rand
        self.call_log = call_log

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:  # type: ignore[override]
        method = (request.method or "GET").upper()
        url = request.url or ""
        endpoint = endpoint_of(url, self.api_url)
        may_repeat = repeatable(method, urlsplit(url).path)
        attempt = 0
        rate_limited = 0
        renewed = False
        while True:
            attempt += 1
            self._pace(method)
            try:
                response = super().send(request, **kwargs)  # type: ignore[arg-type]
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
                self._count(method, endpoint, "error")
                decision = self.policy.after_error(attempt=attempt, error=error, rand=self.rand(),
                                                   repeatable=may_repeat)
                if not decision.retry:
                    raise
                self._wait(decision.wait, decision.reason, method, endpoint)
                continue
            self._count(method, endpoint, str(response.status_code))
            if self.pace_key is not None:  # the installation's own rate limit, not the App's
                metrics.note_rate_limit(self.pace_key, response.headers)
            if response.status_code == 401 and not renewed and self.renew_authorization is not None:
                fresh = self.renew_authorization(request.headers.get("Authorization", ""))
                if fresh:
                    renewed = True
                    request.headers["Authorization"] = fresh
                    response.close()
                    continue
            body = _error_text(response) if response.status_code in (403, 429) else ""
            decision = self.policy.after_response(
                attempt=attempt, rate_limited=rate_limited, method=method, status=response.status_code,
                headers=response.headers, body=body, now=self.clock(), rand=self.rand(), repeatable=may_repeat,
            )
            if not decision.retry:
                return response
            if decision.reason == "rate limit":
                rate_limited += 1
            response.close()
            self._wait(decision.wait, decision.reason, method, endpoint)

    def _pace(self, method: str) -> None:
        if self.pacer is None or self.pace_key is None or method not in WRITE_METHODS:
            return
        wait = self.pacer.reserve(self.pace_key, self.write_interval)
        if wait > 0:
            self.sleep(wait)

    def _count(self, method: str, endpoint: str, status: str) -> None:
        metrics.GITHUB_CALLS.labels(method, endpoint, status).inc()
        if self.call_log is not None:
            self.call_log.add(method, endpoint, status)

    def _wait(self, seconds: float, reason: str, method: str, endpoint: str) -> None:
        log.warning("GitHub %s %s: %s, retrying in %.2f s", method, endpoint, reason, seconds)
        metrics.GITHUB_WAITS.labels(reason if reason == "rate limit" else "transient").observe(seconds)
        self.sleep(seconds)


def _error_text(response: requests.Response) -> str:
    try:
        return response.text[:2000]
    except (requests.RequestException, UnicodeDecodeError):
        return ""


def _no_netrc(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def session_with(adapter: GitHubAdapter) -> requests.Session:
    """A session that sends everything (http and https) through ``adapter``."""
    session = requests.Session()
    # A no-op auth stops requests from adding credentials from ~/.netrc (proxies from the environment still apply).
    session.auth = _no_netrc
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
