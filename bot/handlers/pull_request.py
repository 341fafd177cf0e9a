"""``pull_request`` events: a review for every new head of an open pull request.

Reviewed actions: opened, synchronize (new commits), reopened and
ready_for_review. The event's head, base and file count travel with the
job, which then needs no request for the pull request itself. Drafts are reviewed too unless ``FLUX_REVIEW_DRAFTS`` is
false; a draft marked ready is then reviewed by its ready_for_review event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.handlers import payloads
from bot.handlers.decisions import Decision, Ignore, Review

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
    decision = payloads.review(payload, int(pull["number"]), head_sha, f"pull_request.{action}", context.delivery)
    if not isinstance(decision, Review):
        return decision
    # What the event says of the pull request spares the job a request for it.
    base = pull.get("base") if isinstance(pull.get("base"), Mapping) else {}
    base_sha = base.get("sha")
    listed = pull.get("changed_files")
    return Review(replace(
        decision.request,
        base_sha=base_sha if isinstance(base_sha, str) and payloads.is_commit(base_sha) else None,
        changed_files=listed if isinstance(listed, int) and not isinstance(listed, bool) and listed >= 0 else None,
    ))
