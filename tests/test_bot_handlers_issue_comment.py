"""issue_comment: new comments on pull requests by people are candidates; nothing is queued yet."""

from __future__ import annotations

from bot_support import payloads

from bot.handlers import Context, Ignore
from bot.handlers.issue_comment import handle

CONTEXT = Context(app_id="42")


def test_a_new_comment_on_a_pull_request_is_noted_without_queueing_work() -> None:
    decision = handle(payloads.issue_comment("created", "acme/fleet", 5, "/flux-review review"), CONTEXT)
    assert isinstance(decision, Ignore)
    assert "pull request #5" in decision.reason and "not enabled yet" in decision.reason


def test_comments_on_issues_edits_deletions_and_bots_are_skipped_with_a_reason() -> None:
    assert "not on a pull request" in handle(
        payloads.issue_comment("created", "acme/fleet", 5, "hi", on_pull=False), CONTEXT).reason
    assert "only new comments" in handle(payloads.issue_comment("edited", "acme/fleet", 5, "hi"), CONTEXT).reason
    assert "bots" in handle(payloads.issue_comment("created", "acme/fleet", 5, "hi", user_kind="Bot"),
                            CONTEXT).reason
    assert "bots" in handle(payloads.issue_comment("created", "acme/fleet", 5, "hi", login="flux-review[bot]"),
                            CONTEXT).reason
