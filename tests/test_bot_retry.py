"""The retry policy alone: which outcomes are retried, and the exact waits chosen."""

from __future__ import annotations

import email.utils

import pytest
import requests

from bot.retry import RateLimitTooLong, RetryPolicy, is_rate_limited, never_sent, repeatable

POLICY = RetryPolicy(retries=3, backoff=1.0, backoff_max=8.0, jitter=0.25, max_wait=100.0, secondary_wait=60.0)
NOW = 1_700_000_000.0


def after(status: int, headers: dict[str, str] | None = None, body: str = "", attempt: int = 1,
          rate_limited: int = 0, rand: float = 0.0, method: str = "GET", may_repeat: bool = True,
          policy: RetryPolicy = POLICY):
    return policy.after_response(attempt=attempt, rate_limited=rate_limited, method=method, status=status,
                                 headers=headers or {}, body=body, now=NOW, rand=rand, repeatable=may_repeat)


def test_backoff_doubles_up_to_the_cap_and_adds_jitter() -> None:
    assert [POLICY.backoff_delay(n, 0.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert POLICY.backoff_delay(2, 1.0) == 2.5
    assert POLICY.backoff_delay(1, 0.5) == 1.125


def test_server_errors_are_retried_with_backoff_until_the_limit() -> None:
    assert (after(502, attempt=1).retry, after(502, attempt=1).wait) == (True, 1.0)
    assert after(503, attempt=3, rand=1.0).wait == 5.0
    assert not after(500, attempt=4).retry
    assert not after(404).retry and not after(422).retry and not after(200).retry


def test_non_repeatable_writes_are_not_retried_on_server_errors() -> None:
    assert not after(502, method="POST", may_repeat=False).retry


def test_retry_after_seconds_is_honoured_exactly() -> None:
    decision = after(429, {"Retry-After": "7"})
    assert (decision.retry, decision.wait, decision.reason) == (True, 7.0, "rate limit")
    assert after(403, {"retry-after": "3"}, method="POST", may_repeat=False).wait == 3.0


def test_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(NOW + 12, usegmt=True)
    assert after(429, {"Retry-After": when}).wait == 12.0


def test_exhausted_primary_limit_waits_until_the_reset_plus_one_second() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)}
    assert after(403, headers, body='{"message": "API rate limit exceeded"}').wait == 31.0


def test_reset_in_the_past_waits_one_second() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 5)}
    assert after(403, headers).wait == 1.0


def test_secondary_limit_without_headers_waits_a_minute_then_doubles() -> None:
    body = '{"message": "You have exceeded a secondary rate limit"}'
    assert after(403, body=body, rate_limited=0).wait == 60.0
    policy = RetryPolicy(retries=5, max_wait=1000.0, secondary_wait=60.0)
    assert after(403, body=body, rate_limited=1, policy=policy).wait == 120.0
    assert after(403, body=body, rate_limited=2, policy=policy).wait == 240.0


def test_a_wait_above_the_maximum_is_refused_not_slept() -> None:
    with pytest.raises(RateLimitTooLong) as caught:
        after(429, {"Retry-After": "3600"})
    assert caught.value.wait == 3600.0
    assert "FLUX_REVIEW_GITHUB_MAX_WAIT" in str(caught.value)


def test_permission_403_is_not_a_rate_limit() -> None:
    assert not is_rate_limited(403, {"x-ratelimit-remaining": "4999"}, '{"message": "Resource not accessible"}')
    assert not after(403, {"x-ratelimit-remaining": "4999"}, '{"message": "Resource not accessible"}').retry


def test_errors_without_a_response() -> None:
    timeout = requests.exceptions.ReadTimeout("read timed out")
    assert POLICY.after_error(attempt=1, error=timeout, rand=0.0, repeatable=True).wait == 1.0
    assert not POLICY.after_error(attempt=1, error=timeout, rand=0.0, repeatable=False).retry
    refused = requests.exceptions.ConnectTimeout("connect timed out")
    assert POLICY.after_error(attempt=2, error=refused, rand=0.0, repeatable=False).wait == 2.0
    assert not POLICY.after_error(attempt=4, error=refused, rand=0.0, repeatable=True).retry


def test_what_may_be_sent_twice() -> None:
    assert repeatable("GET", "/repos/a/b/pulls/1")
    assert repeatable("PATCH", "/repos/a/b/check-runs/1")
    assert repeatable("POST", "/app/installations/1/access_tokens")
    assert not repeatable("POST", "/repos/a/b/check-runs")
    assert never_sent(requests.exceptions.ConnectionError("NewConnectionError: Connection refused"))
    assert not never_sent(requests.exceptions.ConnectionError("RemoteDisconnected"))
