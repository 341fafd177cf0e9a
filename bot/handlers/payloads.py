"""Small readers for the parts of webhook payloads that several handlers share.

A payload that lacks what a handler needs is ignored with a reason (a
``PayloadError``), never a crash: the endpoint answers 202 and logs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.handlers.decisions import Decision, Ignore, Review
from bot.review_request import ReviewRequest


class PayloadError(ValueError):
    """The payload lacks a field the handler needs."""


def installation_id(payload: Mapping[str, Any]) -> int:
    installation = payload.get("installation")
    if not isinstance(installation, Mapping) or not isinstance(installation.get("id"), int):
        raise PayloadError("no installation id (is the webhook configured on the App, not on a repository?)")
    return int(installation["id"])


def repository(payload: Mapping[str, Any]) -> tuple[str, str]:
    """The repository's full name and default branch."""
    repo = payload.get("repository")
    if not isinstance(repo, Mapping) or not isinstance(repo.get("full_name"), str):
        raise PayloadError("no repository")
    return repo["full_name"], str(repo.get("default_branch") or "")


def review(payload: Mapping[str, Any], pull_number: int | None, head_sha: str, reason: str,
           delivery: str) -> Decision:
    """Review ``head_sha`` of pull request ``pull_number`` in the payload's repository and installation.

    Ignored, with the reason, when the payload names no installation or repository.
    """
    try:
        installation = installation_id(payload)
        full_name, default_branch = repository(payload)
    except PayloadError as exc:
        return Ignore(str(exc))
    return Review(ReviewRequest(
        installation_id=installation,
        repository=full_name,
        pull_number=pull_number,
        head_sha=head_sha,
        default_branch=default_branch,
        reason=reason,
        delivery=delivery,
    ))


def is_bot(user: Any) -> bool:
    """Bots (including this App) never trigger work."""
    if not isinstance(user, Mapping):
        return False
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")
