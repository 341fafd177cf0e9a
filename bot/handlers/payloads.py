"""Small readers for the parts of webhook payloads that several handlers share.

A payload that lacks what a handler needs is ignored with a reason (a
``PayloadError``), never a crash: the endpoint answers 202 and logs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.handlers.decisions import Decision, Ignore, Review
from bot.review_request import ReviewRequest


class PayloadError(ValueError):
    """The payload lacks a field the handler needs."""


# GitHub's owner and repository names: what may be put into an API path as they are.
_FULL_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def shape_problem(payload: Mapping[str, Any]) -> str | None:
    """Why the fields every handler reads have the wrong type or shape, or None when they are fine.

    A signed delivery is GitHub's, but its fields end up in API paths and
    comparisons: a list where a string belongs, ``true`` where a number
    belongs, or ``acme/../../app`` as a repository name is refused here.
    """
    action = payload.get("action")
    if action is not None and not isinstance(action, str):
        return "action is not a string"
    requested = payload.get("requested_action")
    if requested is not None and (not isinstance(requested, Mapping)
                                  or not isinstance(requested.get("identifier", ""), str)):
        return "requested_action.identifier is not a string"
    for key in ("pull_request", "issue"):
        number = payload.get(key, {}).get("number") if isinstance(payload.get(key), Mapping) else None
        if number is not None and not _positive_int(number):
            return f"{key}.number is not a positive number"
    return None


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def installation_id(payload: Mapping[str, Any]) -> int:
    installation = payload.get("installation")
    if not isinstance(installation, Mapping) or not _positive_int(installation.get("id")):
        raise PayloadError("no installation id (is the webhook configured on the App, not on a repository?)")
    return int(installation["id"])


def repository(payload: Mapping[str, Any]) -> tuple[str, str]:
    """The repository's full name (``owner/name``, nothing else) and default branch."""
    repo = payload.get("repository")
    if not isinstance(repo, Mapping) or not isinstance(repo.get("full_name"), str):
        raise PayloadError("no repository")
    full_name = repo["full_name"]
    if not _FULL_NAME.fullmatch(full_name) or ".." in full_name:
        raise PayloadError("repository.full_name is not an owner/name")
    branch = repo.get("default_branch")
    return full_name, branch if isinstance(branch, str) else ""


def review(payload: Mapping[str, Any], pull_number: int | None, head_sha: str | None, reason: str,
           delivery: str) -> Decision:
    """Review ``head_sha`` (None: the head it has when the job runs) of pull request ``pull_number``.

    Ignored, with the reason, when the payload names no installation or repository.
    """
    try:
        installation = installation_id(payload)
        full_name, default_branch = repository(payload)
    except PayloadError as exc:
        return Ignore(str(exc))
    if pull_number is not None and not _positive_int(pull_number):
        return Ignore("the pull request number is not a positive number")
    if head_sha is not None and not _SHA.fullmatch(head_sha):
        return Ignore("the head commit is not a commit id")
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
