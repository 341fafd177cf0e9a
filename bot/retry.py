"""When to try a GitHub request again, and how long to wait first.

The policy is pure: it looks at one outcome (a response's status and headers,
or a transport error), the attempt number and the clock, and answers "give
up" or "retry after N seconds". Keeping it free of I/O lets the tests assert
the exact waits, and keeps the sending loop (``bot.transport``) small.

It follows GitHub's guidance: on 403/429 rate limits wait ``Retry-After``
when given, else until ``x-ratelimit-reset`` when the remaining count is 0,
else (a secondary limit without headers) at least a minute, doubling each
time; on 5xx, timeouts and dropped connections back off exponentially with
jitter, but only for requests that are safe to send twice. A wait longer
than the configured maximum is not slept through: the caller gets
``RateLimitTooLong`` and the job is retried later instead of blocking a
worker for an hour.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass

import requests

# Methods whose repetition cannot duplicate an effect.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


class RateLimitTooLong(Exception):
    """GitHub asked us to wait longer than the configured maximum."""

    def __init__(self, wait: float, limit: float) -> None:
        super().__init__(
            f"GitHub's rate limit asks for a {wait:.0f} s wait, above the {limit:.0f} s maximum "
            "(FLUX_REVIEW_GITHUB_MAX_WAIT); the work will be retried later"
        )
        self.wait = wait


@dataclass(frozen=True)
class Decision:
    """``retry`` with ``wait`` seconds first, or not; ``reason`` is for logs and metrics."""

    retry: bool
    wait: float = 0.0
    reason: str = ""


FINAL = Decision(False)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits and waits; every number is configurable through ``Tuning``."""

    retries: int = 5
    backoff: float = 1.0
    backoff_max: float = 30.0
    jitter: float = 0.25
    max_wait: float = 900.0
    secondary_wait: float = 60.0

    def backoff_delay(self, attempt: int, rand: float) -> float:
        """Exponential backoff for ``attempt`` (1-based), plus up to ``jitter`` of it at random.

        Jitter spreads the retries of many workers hit by the same outage.
        """
        base = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        return base * (1 + self.jitter * rand)

    def after_response(self, *, attempt: int, rate_limited: int, method: str, status: int,
                       headers: Mapping[str, str], body: str, now: float, rand: float,
                       repeatable: bool) -> Decision:
        """What to do after a response. ``rate_limited`` counts earlier rate-limit waits of this request."""
        if is_rate_limited(status, headers, body):
            wait = self.rate_limit_wait(headers, now, rate_limited + 1)
            if wait > self.max_wait:
                raise RateLimitTooLong(wait, self.max_wait)
            if attempt > self.retries:
                return FINAL
            return Decision(True, wait, "rate limit")
        if status in RETRYABLE_STATUSES and repeatable and attempt <= self.retries:
            return Decision(True, self.backoff_delay(attempt, rand), f"status {status}")
        return FINAL

    def after_error(self, *, attempt: int, error: Exception, rand: float, repeatable: bool) -> Decision:
        """What to do after a timeout or a dropped connection (no response at all)."""
        if attempt > self.retries:
            return FINAL
        if repeatable or never_sent(error):
            return Decision(True, self.backoff_delay(attempt, rand), type(error).__name__)
        return FINAL

    def rate_limit_wait(self, headers: Mapping[str, str], now: float, occurrence: int) -> float:
        """Seconds to wait for a rate limit, from GitHub's headers; ``occurrence`` is 1 for the first."""
        retry_after = _header(headers, "retry-after")
        if retry_after is not None:
            seconds = _retry_after_seconds(retry_after, now)
            if seconds is not None:
                return seconds
        remaining = _header(headers, "x-ratelimit-remaining")
        reset = _header(headers, "x-ratelimit-reset")
        if remaining is not None and remaining.strip() == "0" and reset is not None:
            try:
                # The reset is a whole epoch second: one more lands after it, not on it.
                return max(0.0, float(reset) - now) + 1.0
            except ValueError:
                pass
        return self.secondary_wait * 2 ** (occurrence - 1)


def is_rate_limited(status: int, headers: Mapping[str, str], body: str) -> bool:
    """429, or a 403 that GitHub marks as a primary or secondary rate limit (not a permission error)."""
    if status == 429:
        return True
    if status != 403:
        return False
    if _header(headers, "retry-after") is not None:
        return True
    if (_header(headers, "x-ratelimit-remaining") or "").strip() == "0":
        return True
    return "rate limit" in body.lower()


def repeatable(method: str, path: str) -> bool:
    """Whether sending the request twice is harmless.

    POSTs usually create something; creating an installation token twice is
    harmless, so that one is allowed. A check run POST is not: if it failed
    ambiguously the job is retried and adopts the run it finds instead.
    """
    method = method.upper()
    if method in IDEMPOTENT_METHODS:
        return True
    return method == "POST" and path.rstrip("/").endswith("/access_tokens")


def never_sent(error: Exception) -> bool:
    """True when the request certainly did not reach the server (a refused or timed-out connect)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError):
        text = repr(error)
        return "NewConnectionError" in text or "Connection refused" in text
    return False


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _retry_after_seconds(value: str, now: float) -> float | None:
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
