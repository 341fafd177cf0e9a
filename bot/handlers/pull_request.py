"""``pull_request`` events: a review for every new head of an open pull request.

Reviewed actions: opened, synchronize (new commits), reopened and
ready_for_review. Drafts are reviewed too unless ``FLUX_REVIEW_DRAFTS`` is
false; a draft marked ready is then reviewed by its ready_for_review event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.handlers import payloads
from bot.handlers.decisions import Decision, Ignore

if TYPE_CHECKING:
    from bot.handlers.context import Context

REVIEWED_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})


def handle(payload: Mapping[str, Any], context: Context) -> Decision:
    action = payload.get("action")
    if action not in REVIEWED_ACTIONS:
        return Ignore(f"pull_request.{action} needs no review")
    pull = payload.get("pull_request")
    if not isinstance(pull, Mapping) or not isinstance(pull.get("number"), int):
        return Ignore("pull_request event without a pull request")
    if pull.get("state") not in (None, "open"):
        return Ignore(f"pull request #{pull['number']} is {pull.get('state')}")
    if pull.get("draft") and not context.review_drafts and action != "ready_for_review":
        return Ignore(f"pull request #{pull['number']} is a draft and drafts are not reviewed")
    head = pull.get("head") if isinstance(pull.get("head"), Mapping) else {}
    head_sha = head.get("sha")
    if not isinstance(head_sha, str) or not head_sha:
        return Ignore(f"pull request #{pull['number']} has no head commit")
    return payloads.review(payload, int(pull["number"]), head_sha, f"pull_request.{action}", context.delivery)
