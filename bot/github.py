"""GitHub clients for the App and its installations: PyGithub over our transport.

PyGithub makes the calls it knows (pull requests, check runs, contents,
compare, installation tokens). Raw ``requests`` is used only for what it
lacks: the archive download, whose 302 must be followed *without* the
Authorization header (the redirect target is a pre-signed link on another
host). Every request of both goes through ``bot.transport.GitHubAdapter``,
so retries, rate-limit waits, write pacing and counting apply to all.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import quote, urljoin, urlsplit

import requests
from github import Github, GithubIntegration
from github.Repository import Repository
from github.Requester import Requester, RequestsResponse

from bot.archive_cache import ArchiveCache
from bot.auth import InstallationAuth, InstallationTokens, IssuedToken, app_auth
from bot.pacing import Pacer
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.transport import CallLog, GitHubAdapter, session_with

log = logging.getLogger(__name__)

USER_AGENT = "flux-review"
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 3


class ArchiveError(Exception):
    """The repository archive could not be downloaded; ``status`` is GitHub's answer (0 when none)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class _SessionConnection:
    """Stands in for PyGithub's connection classes and sends through our session.

    PyGithub shares one connection object between threads and splits a call
    into ``request()`` then ``getresponse()``, so the pending call is kept
    per thread.
    """

    def __init__(self, session: requests.Session, scheme: str, host: str, port: int | None,
                 timeout: float) -> None:
        self.session = session
        self.scheme = scheme
        self.host = host
        self.port = port
        self.timeout = timeout
        self._pending = threading.local()

    def request(self, verb: str, url: str, input: object, headers: dict[str, str], stream: bool = False) -> None:
        self._pending.call = (verb, url, input, headers, stream)

    def getresponse(self) -> RequestsResponse:
        verb, url, data, headers, stream = self._pending.call
        port = f":{self.port}" if self.port else ""
        response = self.session.request(
            verb, f"{self.scheme}://{self.host}{port}{url}", headers=headers, data=data,
            timeout=self.timeout, allow_redirects=False, stream=stream,
        )
        return RequestsResponse(response)

    def close(self) -> None:
        """The session outlives PyGithub's connection objects; nothing to close here."""


def send_through(requester: Requester, session: requests.Session, timeout: float) -> None:
    """Make one PyGithub ``Requester`` send every call through ``session``.

    PyGithub has no per-client transport hook: ``injectConnectionClasses`` is
    process-wide and turns connection reuse off. So the connection factory of
    this one requester is replaced; ``tests/test_bot_github.py`` proves every
    call still goes through our adapter, and fails loudly should PyGithub
    rename the attribute.
    """
    attribute = "_Requester__connectionClass"
    if not hasattr(requester, attribute):
        raise RuntimeError("this PyGithub version has no connection factory to route through; pin pygithub<3")
    scheme = urlsplit(requester.base_url).scheme

    def connection(host: str, port: int | None = None, **_: object) -> _SessionConnection:
        return _SessionConnection(session, scheme, host, port, timeout)

    setattr(requester, attribute, connection)


class InstallationClient:
    """What one job needs from GitHub, authenticated as one installation."""

    def __init__(self, installation_id: int, api: Github, session: requests.Session, auth: InstallationAuth,
                 api_url: str, timeout: float, retry_policy: RetryPolicy,
                 sleep: Callable[[float], None], rand: Callable[[], float],
                 archives: ArchiveCache | None = None) -> None:
        self.installation_id = installation_id
        self.archives = archives or ArchiveCache(0)
        self.api = api
        self.session = session
        self.auth = auth
        self.api_url = api_url
        self.timeout = timeout
        self._policy = retry_policy
        self._sleep = sleep
        self._rand = rand

    def repository(self, full_name: str) -> Repository:
        """A lazy repository: no request until a call needs one."""
        return self.api.get_repo(full_name)

    def download_archive(self, full_name: str, ref: str, max_bytes: int, deadline: float = 300.0) -> bytes:
        """The gzipped tarball of ``ref``: one API call and one download, whatever the repository's size.

        A connection dropped while reading the body is retried as a whole,
        with the same backoff as any other transient error. A commit's archive
        downloaded recently is taken from the cache, with no call at all.
        """
        cached = self.archives.get(self.installation_id, full_name, ref)
        if cached is not None:
            return cached
        attempt = 0
        while True:
            attempt += 1
            try:
                data = self._download(full_name, ref, max_bytes, deadline)
                self.archives.put(self.installation_id, full_name, ref, data)
                return data
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
                    requests.exceptions.Timeout) as error:
                decision = self._policy.after_error(attempt=attempt, error=error, rand=self._rand(),
                                                    repeatable=True)
                if not decision.retry:
                    raise
                log.warning("archive of %s@%s: %s, retrying in %.2f s", full_name, ref[:12],
                            type(error).__name__, decision.wait)
                self._sleep(decision.wait)

    def _download(self, full_name: str, ref: str, max_bytes: int, deadline: float) -> bytes:
        url = f"{self.api_url}/repos/{full_name}/tarball/{quote(ref, safe='')}"
        headers = {"Authorization": self.auth.header(), "Accept": "application/vnd.github+json",
                   "User-Agent": USER_AGENT}
        response = self._get(url, headers)
        hops = 0
        while response.status_code in _REDIRECTS:
            location = response.headers.get("Location")
            response.close()
            hops += 1
            if not location or hops > _MAX_HOPS:
                raise ArchiveError(f"archive of {full_name}@{ref[:12]}: too many or empty redirects")
            # The link is pre-signed and usually on another host: the token is never sent along.
            url = urljoin(url, location)
            response = self._get(url, {"User-Agent": USER_AGENT})
        with response:
            if response.status_code != 200:
                raise ArchiveError(
                    f"archive of {full_name}@{ref[:12]}: GitHub answered HTTP {response.status_code}",
                    response.status_code,
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ArchiveError(f"archive of {full_name}@{ref[:12]} is {int(declared):,} bytes, "
                                   f"above the {max_bytes:,}-byte limit (FLUX_REVIEW_ARCHIVE_MAX_BYTES)")
            # The read timeout bounds one silence, not the whole body: a sender trickling a few bytes
            # before each timeout would hold the worker for as long as it likes. A watchdog closes the
            # response when the deadline for the whole download passes.
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                # Closing does not wake a thread blocked in recv; shutting the socket down does.
                sock = getattr(getattr(response.raw, "connection", None), "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                response.close()

            watchdog = threading.Timer(deadline, expire)
            watchdog.daemon = True
            watchdog.start()
            chunks: list[bytes] = []
            total = 0
            try:
                for chunk in response.iter_content(chunk_size=1 << 16):
                    total += len(chunk)
                    if total > max_bytes:
                        raise ArchiveError(f"archive of {full_name}@{ref[:12]} is above the {max_bytes:,}-byte "
                                           "limit (FLUX_REVIEW_ARCHIVE_MAX_BYTES)")
                    chunks.append(chunk)
                    if expired.is_set():
                        break
            except Exception:
                if not expired.is_set():
                    raise
            finally:
                watchdog.cancel()
            if expired.is_set():
                raise ArchiveError(f"archive of {full_name}@{ref[:12]} took longer than {deadline:g} s to download "
                                   "(FLUX_REVIEW_ARCHIVE_TIMEOUT)")
            return b"".join(chunks)

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        return self.session.get(url, headers=headers, allow_redirects=False, stream=True, timeout=self.timeout)


class GitHubApps:
    """Builds the App's clients: the JWT-authenticated integration and one client per installation.

    ``sleep``, ``clock`` and ``rand`` are injected for tests; ``call_log``
    records every attempt sent (benchmarks count API calls with it).
    """

    def __init__(self, settings: Settings, pacer: Pacer, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, rand: Callable[[], float] = random.random,
                 call_log: CallLog | None = None) -> None:
        tuning = settings.tuning
        self.settings = settings
        self.policy = RetryPolicy(
            retries=tuning.github_retries, backoff=tuning.github_backoff, backoff_max=tuning.github_backoff_max,
            max_wait=tuning.github_max_wait, secondary_wait=tuning.secondary_rate_wait,
        )
        self._pacer = pacer
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self.call_log = call_log
        self._clients: dict[int, InstallationClient] = {}
        self._archives = ArchiveCache(tuning.archive_cache_bytes)
        self._lock = threading.Lock()
        app_session = session_with(self._adapter(pace_key=None, renew=None))
        self.integration = GithubIntegration(
            auth=app_auth(settings.app_id, settings.private_key), base_url=settings.api_url,
            timeout=math.ceil(tuning.github_timeout), user_agent=USER_AGENT, retry=None,
            seconds_between_requests=None, seconds_between_writes=None,
        )
        send_through(self.integration.requester, app_session, tuning.github_timeout)
        self.tokens = InstallationTokens(self._issue_token, margin=tuning.token_refresh_margin, clock=clock)

    def installation(self, installation_id: int) -> InstallationClient:
        """The (cached) client of one installation."""
        with self._lock:
            client = self._clients.get(installation_id)
            if client is None:
                client = self._build(installation_id)
                self._clients[installation_id] = client
            return client

    def _build(self, installation_id: int) -> InstallationClient:
        tuning = self.settings.tuning
        auth = InstallationAuth(self.tokens, installation_id)
        session = session_with(self._adapter(pace_key=str(installation_id), renew=auth.renew_header))
        api = Github(
            auth=auth, base_url=self.settings.api_url, timeout=math.ceil(tuning.github_timeout),
            user_agent=USER_AGENT, per_page=100, retry=None, lazy=True,
            seconds_between_requests=None, seconds_between_writes=None,
        )
        send_through(api.requester, session, tuning.github_timeout)
        return InstallationClient(installation_id, api, session, auth, self.settings.api_url,
                                  tuning.github_timeout, self.policy, self._sleep, self._rand, self._archives)

    def _adapter(self, pace_key: str | None, renew: Callable[[str], str | None] | None) -> GitHubAdapter:
        return GitHubAdapter(
            self.policy, api_url=self.settings.api_url, pacer=self._pacer, pace_key=pace_key,
            write_interval=self.settings.tuning.write_interval, renew_authorization=renew,
            sleep=self._sleep, clock=self._clock, rand=self._rand, call_log=self.call_log,
            pool_size=max(4, self.settings.tuning.workers * 2),
        )

    def _issue_token(self, installation_id: int) -> IssuedToken:
        granted = self.integration.get_access_token(installation_id)
        return IssuedToken(granted.token, granted.expires_at.timestamp())
