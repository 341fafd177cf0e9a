"""What went wrong in a review, said to the user: retry it, or close the Check Run with a clear message.

Transient trouble (GitHub 5xx after our retries, rate limits, timeouts,
dropped connections) retries the whole job later. Anything else ends the
Check Run: ``failure`` when the repository owner must act (an invalid
``.github/flux-review.yml``), ``neutral`` when the trouble is ours or
GitHub's, so an outage of the bot does not turn every pull request red.
Exception text is shown only for errors whose text we write ourselves or
GitHub's JSON message; nothing else reaches a Check Run, and the logs go
through ``bot.logs.redact``.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from github import GithubException

from bot.checkrun import Outcome
from bot.github import ArchiveError
from bot.retry import RateLimitTooLong
from bot.sandbox import LimitExceeded
from checks.config import ConfigError
from checks.source import SnapshotError

RERUN_HINT = "Use **Re-run** on this check to try again."


class Superseded(Exception):
    """A newer push or job for the pull request exists; this review stops."""


class LostLease(Exception):
    """Another worker took over this job (our lease expired); stop without touching its Check Run."""


@dataclass(frozen=True)
class Failure:
    """``transient``: worth retrying the job; ``outcome``: how to close the Check Run otherwise."""

    transient: bool
    outcome: Outcome
    retry_after: float | None = None
    internal: bool = False  # our own bug: logged with its traceback


def classify(error: BaseException) -> Failure:
    """Map an exception raised by a review to what the user should see."""
    if isinstance(error, ConfigError):
        # Neutral: the change under review did not fail; the default branch's settings need fixing.
        return Failure(False, Outcome("neutral", "Invalid flux-review configuration",
                                      f"{error}\n\nFix the file on the default branch; the review runs again "
                                      "on the next push. " + RERUN_HINT))
    if isinstance(error, RateLimitTooLong):
        return Failure(True, _unavailable("GitHub's rate limit for this installation is exhausted."),
                       retry_after=error.wait)
    if isinstance(error, GithubException):
        status = error.status or 0
        transient = status >= 500 or (status in (403, 429) and _rate_limited(error))
        message = _github_message(error)
        if status in (401, 403, 404) and not transient:
            return Failure(False, Outcome(
                "neutral", "flux-review cannot read this repository",
                f"GitHub answered HTTP {status} ({message}). The App may lack access to this repository "
                "or a permission (contents: read, pull requests: read, checks: write). " + RERUN_HINT))
        return Failure(transient, _unavailable(f"GitHub answered HTTP {status} ({message})."))
    if isinstance(error, ArchiveError):
        transient = error.status == 0 or error.status >= 500 or error.status == 429
        return Failure(transient, Outcome("neutral", "The repository archive could not be read",
                                          f"{error}. " + RERUN_HINT))
    if isinstance(error, SnapshotError):
        return Failure(False, Outcome("neutral", "The repository archive could not be read",
                                      f"{error}. " + RERUN_HINT))
    if isinstance(error, LimitExceeded):
        return Failure(False, Outcome(
            "neutral", f"The review passed its {error.limit} limit",
            f"Reviewing this change took more {error.limit} than one review may use ({error.value}; the operator "
            f"sets it with {error.setting}), so it was stopped and no verdict is given. Repositories this large "
            "or this self-referencing need a higher limit. Other reviews were not affected. " + RERUN_HINT))
    if isinstance(error, requests.RequestException):
        # Never show the exception text: it can hold a pre-signed download link.
        return Failure(True, _unavailable(f"GitHub did not answer ({type(error).__name__})."))
    return Failure(False, Outcome(
        "neutral", "flux-review failed while reviewing",
        f"An internal error ({type(error).__name__}) stopped the review; it has been logged. " + RERUN_HINT),
        internal=True)


def _unavailable(reason: str) -> Outcome:
    return Outcome("neutral", "GitHub was unavailable", f"{reason} The review was retried and gave up. "
                   + RERUN_HINT)


def _github_message(error: GithubException) -> str:
    data = error.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"][:300]
    return "no message"


def _rate_limited(error: GithubException) -> bool:
    return "rate limit" in _github_message(error).lower() or error.status == 429
