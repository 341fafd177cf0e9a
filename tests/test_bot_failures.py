"""What users see when a review cannot be made: retried, or a clear and safe message."""

from __future__ import annotations

import requests
from github import GithubException

from bot.failures import classify
from bot.github import ArchiveError
from bot.retry import RateLimitTooLong
from checks.config import ConfigError
from checks.source import SnapshotError


def test_configuration_errors_end_the_run_neutral_with_the_message() -> None:
    failure = classify(ConfigError("acme/fleet:.github/flux-review.yml:3: unknown rule"))
    assert not failure.transient
    assert failure.outcome.conclusion == "neutral"
    assert failure.outcome.summary.startswith("acme/fleet:.github/flux-review.yml:3: unknown rule")


def test_github_trouble_is_transient_and_permission_problems_are_not() -> None:
    assert classify(GithubException(502, {"message": "Bad Gateway"}, None)).transient
    assert classify(GithubException(403, {"message": "API rate limit exceeded"}, None)).transient
    denied = classify(GithubException(403, {"message": "Resource not accessible by integration"}, None))
    assert not denied.transient and denied.outcome.conclusion == "neutral"
    assert "Resource not accessible by integration" in denied.outcome.summary
    assert "checks: write" in denied.outcome.summary


def test_rate_limits_beyond_the_maximum_wait_retry_after_that_wait() -> None:
    failure = classify(RateLimitTooLong(1800.0, 900.0))
    assert failure.transient and failure.retry_after == 1800.0


def test_network_errors_never_show_their_text() -> None:
    error = requests.exceptions.ConnectionError("GET https://codeload.test/x?token=SECRET failed")
    failure = classify(error)
    assert failure.transient
    assert "SECRET" not in failure.outcome.summary and "ConnectionError" in failure.outcome.summary


def test_archive_and_snapshot_problems() -> None:
    assert classify(ArchiveError("archive too big", 0)).transient
    assert not classify(ArchiveError("archive of a@b: GitHub answered HTTP 404", 404)).transient
    unreadable = classify(SnapshotError("not a readable tar archive"))
    assert not unreadable.transient and "not a readable tar archive" in unreadable.outcome.summary


def test_our_own_bugs_are_neutral_and_named_by_type_only() -> None:
    failure = classify(KeyError("ghs_token_in_a_key"))
    assert failure.internal and failure.outcome.conclusion == "neutral"
    assert "KeyError" in failure.outcome.summary and "ghs_" not in failure.outcome.summary
