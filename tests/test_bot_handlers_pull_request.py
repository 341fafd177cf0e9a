"""pull_request: which actions are reviewed, drafts, and what the job carries."""

from __future__ import annotations

import pytest
from bot_support import payloads

from bot.handlers import Context, Ignore, Review
from bot.handlers.pull_request import handle

SHA = "c" * 40


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened", "ready_for_review"])
def test_new_heads_are_reviewed(action: str) -> None:
    decision = handle(payloads.pull_request(action, "acme/fleet", 12, SHA, installation_id=5), Context("1"))
    assert isinstance(decision, Review)
    request = decision.request
    assert (request.installation_id, request.repository, request.pull_number, request.head_sha) == (
        5, "acme/fleet", 12, SHA)
    assert request.default_branch == "main" and request.reason == f"pull_request.{action}"
    assert request.key == "5/acme/fleet#12"


@pytest.mark.parametrize("action", ["closed", "labeled", "assigned", "edited", "converted_to_draft"])
def test_other_actions_need_no_review(action: str) -> None:
    assert isinstance(handle(payloads.pull_request(action, "acme/fleet", 1, SHA), Context("1")), Ignore)


def test_drafts_are_reviewed_unless_configured_off() -> None:
    draft = payloads.pull_request("opened", "acme/fleet", 1, SHA, draft=True)
    assert isinstance(handle(draft, Context("1")), Review)
    decision = handle(draft, Context("1", review_drafts=False))
    assert isinstance(decision, Ignore) and "draft" in decision.reason
    ready = payloads.pull_request("ready_for_review", "acme/fleet", 1, SHA, draft=False)
    assert isinstance(handle(ready, Context("1", review_drafts=False)), Review)


def test_closed_pull_requests_and_incomplete_payloads_are_ignored() -> None:
    assert isinstance(handle(payloads.pull_request("synchronize", "a/b", 1, SHA, state="closed"), Context("1")),
                      Ignore)
    no_installation = payloads.pull_request("opened", "a/b", 1, SHA)
    del no_installation["installation"]
    assert "installation" in handle(no_installation, Context("1")).reason
    no_head = payloads.pull_request("opened", "a/b", 1, "")
    assert isinstance(handle(no_head, Context("1")), Ignore)
    assert isinstance(handle({"action": "opened"}, Context("1")), Ignore)
