"""issue_comment: slash commands in new comments on pull requests by people are queued, keyed by their comment."""

from __future__ import annotations

from bot_support import payloads

from bot.handlers import Context, Ignore, Review
from bot.handlers.issue_comment import handle
from bot.review_request import ReviewRequest

CONTEXT = Context(app_id="42", delivery="d-1")


def test_a_recheck_is_queued_as_a_command_of_its_comment_not_as_a_review_of_the_pull_request() -> None:
    decision = handle(payloads.issue_comment("created", "acme/fleet", 5, "/flux-review recheck", comment_id=77,
                                             login="maintainer"), CONTEXT)
    assert isinstance(decision, Review)
    request = decision.request
    assert (request.command, request.comment_id, request.commenter, request.pull_number) == (
        "recheck", 77, "maintainer", 5)
    assert request.head_sha is None
    # A command never replaces a queued review of the same pull request: its key is its comment's.
    review_key = ReviewRequest(1, "acme/fleet", 5, None, "main", "push").key
    assert request.key != review_key and request.key.startswith(review_key)
    assert ReviewRequest.from_payload(request.to_payload()) == request


def test_the_alias_review_and_explain_with_its_rule_are_read() -> None:
    review = handle(payloads.issue_comment("created", "acme/fleet", 5, "Please\n/flux-review review"), CONTEXT)
    assert isinstance(review, Review) and review.request.command == "recheck"
    explain = handle(payloads.issue_comment("created", "acme/fleet", 5, "/flux-review explain dependency/cycle"),
                     CONTEXT)
    assert isinstance(explain, Review)
    assert (explain.request.command, explain.request.argument) == ("explain", "dependency/cycle")


def test_a_comment_without_a_command_or_with_one_only_quoted_or_fenced_queues_nothing() -> None:
    for body in ("LGTM", "> /flux-review recheck\nquoting", "```\n/flux-review recheck\n```",
                 "use `/flux-review recheck` to rerun"):
        decision = handle(payloads.issue_comment("created", "acme/fleet", 5, body), CONTEXT)
        assert isinstance(decision, Ignore) and "no command" in decision.reason, body


def test_comments_on_issues_edits_deletions_and_bots_are_skipped_with_a_reason() -> None:
    command = "/flux-review recheck"
    assert "not on a pull request" in handle(
        payloads.issue_comment("created", "acme/fleet", 5, command, on_pull=False), CONTEXT).reason
    assert "only new comments" in handle(payloads.issue_comment("edited", "acme/fleet", 5, command),
                                         CONTEXT).reason
    assert "only new comments" in handle(payloads.issue_comment("deleted", "acme/fleet", 5, command),
                                         CONTEXT).reason
    assert "bots" in handle(payloads.issue_comment("created", "acme/fleet", 5, command, user_kind="Bot"),
                            CONTEXT).reason
    assert "bots" in handle(payloads.issue_comment("created", "acme/fleet", 5, command,
                                                   login="flux-review[bot]"), CONTEXT).reason


def test_a_comment_without_an_id_or_author_is_ignored() -> None:
    payload = payloads.issue_comment("created", "acme/fleet", 5, "/flux-review recheck")
    payload["comment"]["id"] = True
    assert isinstance(handle(payload, CONTEXT), Ignore)
