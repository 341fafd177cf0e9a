"""The transport adapter with `responses`: retries, rate-limit waits (exact), pacing, token renewal, counting."""

from __future__ import annotations

import pytest
import requests
import responses

from bot.pacing import LocalPacer
from bot.retry import RateLimitTooLong, RetryPolicy
from bot.transport import CallLog, GitHubAdapter, endpoint_of, session_with

API = "https://api.github.test"
NOW = 1_700_000_000.0
POLICY = RetryPolicy(retries=3, backoff=1.0, backoff_max=8.0, jitter=0.25, max_wait=120.0, secondary_wait=60.0)


class Sleeps(list):
    """An injected sleep that records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 6))


def client(sleeps: Sleeps, log: CallLog | None = None, rand: float = 0.0, **options: object) -> requests.Session:
    adapter = GitHubAdapter(POLICY, api_url=API, sleep=sleeps, clock=lambda: NOW, rand=lambda: rand,
                            call_log=log, **options)  # type: ignore[arg-type]
    return session_with(adapter)


@responses.activate
def test_server_errors_back_off_exponentially_with_jitter() -> None:
    url = f"{API}/repos/acme/fleet/pulls/1"
    for status in (500, 502, 503):
        responses.get(url, status=status)
    responses.get(url, json={"number": 1})
    sleeps = Sleeps()
    assert client(sleeps, rand=0.5).get(url, timeout=5).json() == {"number": 1}
    assert sleeps == [1.125, 2.25, 4.5]


@responses.activate
def test_gives_up_after_the_configured_retries_and_returns_the_last_answer() -> None:
    url = f"{API}/repos/acme/fleet/pulls/1"
    for _ in range(4):
        responses.get(url, status=502)
    sleeps = Sleeps()
    assert client(sleeps).get(url, timeout=5).status_code == 502
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(responses.calls) == 4


@responses.activate
def test_429_waits_exactly_retry_after() -> None:
    url = f"{API}/repos/acme/fleet/pulls/1/files"
    responses.get(url, status=429, headers={"Retry-After": "17"}, json={"message": "rate limited"})
    responses.get(url, json=[])
    sleeps = Sleeps()
    assert client(sleeps).get(url, timeout=5).status_code == 200
    assert sleeps == [17.0]


@responses.activate
def test_exhausted_limit_waits_until_reset() -> None:
    url = f"{API}/repos/acme/fleet/compare/a...b"
    responses.get(url, status=403, json={"message": "API rate limit exceeded"},
                  headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 42)})
    responses.get(url, json={})
    sleeps = Sleeps()
    client(sleeps).get(url, timeout=5)
    assert sleeps == [43.0]


@responses.activate
def test_secondary_limit_on_a_write_waits_a_minute_then_doubles() -> None:
    url = f"{API}/repos/acme/fleet/check-runs"
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}
    responses.post(url, status=403, json=body)
    responses.post(url, status=403, json=body)
    responses.post(url, status=201, json={"id": 1})
    sleeps = Sleeps()
    assert client(sleeps).post(url, json={}, timeout=5).status_code == 201
    assert sleeps == [60.0, 120.0]


@responses.activate
def test_a_rate_limit_wait_beyond_the_maximum_raises_instead_of_sleeping() -> None:
    url = f"{API}/repos/acme/fleet/pulls/1"
    responses.get(url, status=429, headers={"Retry-After": "3600"})
    sleeps = Sleeps()
    with pytest.raises(RateLimitTooLong):
        client(sleeps).get(url, timeout=5)
    assert sleeps == []


@responses.activate
def test_permission_denied_is_not_retried() -> None:
    url = f"{API}/repos/acme/fleet/pulls/1"
    responses.get(url, status=403, json={"message": "Resource not accessible by integration"},
                  headers={"x-ratelimit-remaining": "4000"})
    sleeps = Sleeps()
    assert client(sleeps).get(url, timeout=5).status_code == 403
    assert sleeps == []


@responses.activate
def test_timeouts_are_retried_for_reads_only() -> None:
    url = f"{API}/repos/acme/fleet/pulls/1"
    responses.get(url, body=requests.exceptions.ReadTimeout("read timed out"))
    responses.get(url, json={"number": 1})
    sleeps = Sleeps()
    assert client(sleeps).get(url, timeout=5).status_code == 200
    assert sleeps == [1.0]
    create = f"{API}/repos/acme/fleet/check-runs"
    responses.post(create, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(requests.exceptions.ReadTimeout):
        client(Sleeps()).post(create, json={}, timeout=5)


@responses.activate
def test_a_refused_connection_is_retried_even_for_a_write() -> None:
    url = f"{API}/repos/acme/fleet/check-runs"
    responses.post(url, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.post(url, status=201, json={"id": 1})
    sleeps = Sleeps()
    assert client(sleeps).post(url, json={}, timeout=5).status_code == 201
    assert sleeps == [1.0]


@responses.activate
def test_writes_are_paced_per_installation() -> None:
    url = f"{API}/repos/acme/fleet/check-runs/1"
    responses.patch(url, json={})
    responses.get(url, json={})
    clock = [100.0]
    pacer = LocalPacer(clock=lambda: clock[0])
    sleeps = Sleeps()
    session = client(sleeps, pacer=pacer, pace_key="31", write_interval=1.0)
    session.patch(url, json={}, timeout=5)
    session.get(url, timeout=5)  # reads are not paced
    session.patch(url, json={}, timeout=5)
    clock[0] += 0.25
    session.patch(url, json={}, timeout=5)
    other = client(sleeps, pacer=pacer, pace_key="32", write_interval=1.0)
    other.patch(url, json={}, timeout=5)  # another installation has its own slots
    assert sleeps == [1.0, 1.75]


@responses.activate
def test_401_renews_the_installation_token_once() -> None:
    url = f"{API}/repos/acme/fleet/pulls/1"
    responses.get(url, status=401, json={"message": "Bad credentials"},
                  match=[responses.matchers.header_matcher({"Authorization": "token old"})])
    responses.get(url, json={"number": 1}, match=[responses.matchers.header_matcher({"Authorization": "token new"})])
    renewed: list[str] = []

    def renew(rejected: str) -> str:
        renewed.append(rejected)
        return "token new"

    response = client(Sleeps(), renew_authorization=renew).get(url, headers={"Authorization": "token old"}, timeout=5)
    assert response.status_code == 200
    assert renewed == ["token old"]


@responses.activate
def test_every_attempt_is_counted_by_endpoint_and_status() -> None:
    responses.get(f"{API}/repos/acme/fleet/pulls/7/files", status=502)
    responses.get(f"{API}/repos/acme/fleet/pulls/7/files", json=[])
    responses.get("https://codeload.test/acme/fleet/legacy.tar.gz/abc?token=secret", body=b"tar")
    log = CallLog()
    session = client(Sleeps(), log)
    session.get(f"{API}/repos/acme/fleet/pulls/7/files?page=2", timeout=5)
    session.get("https://codeload.test/acme/fleet/legacy.tar.gz/abc?token=secret", timeout=5)
    assert log.calls == [
        ("GET", "/repos/{owner}/{repo}/pulls/{n}/files", "502"),
        ("GET", "/repos/{owner}/{repo}/pulls/{n}/files", "200"),
        ("GET", "archive-download", "200"),
    ]


def test_endpoint_templates_keep_labels_low_cardinality() -> None:
    sha = "a" * 40
    assert endpoint_of(f"{API}/repos/o/r/tarball/{sha}", API) == "/repos/{owner}/{repo}/tarball/{ref}"
    assert endpoint_of(f"{API}/repos/o/r/contents/.github/x.yml?ref=main", API) == \
        "/repos/{owner}/{repo}/contents/{path}"
    assert endpoint_of(f"{API}/repos/o/r/compare/{sha}...{sha}", API) == "/repos/{owner}/{repo}/compare/{basehead}"
    assert endpoint_of(f"{API}/app/installations/12/access_tokens", API) == "/app/installations/{n}/access_tokens"
    assert endpoint_of("https://ghe.test/api/v3/repos/o/r/check-runs/9", "https://ghe.test/api/v3") == \
        "/repos/{owner}/{repo}/check-runs/{n}"
