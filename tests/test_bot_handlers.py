"""Routing: each event family to its module; events without a handler are ignored."""

from __future__ import annotations

from bot_support import payloads

from bot.handlers import HANDLERS, Context, Ignore, RecordInstallation, Review, route

CONTEXT = Context(app_id="42", delivery="d-9")


def test_every_event_family_of_the_app_manifest_has_a_handler() -> None:
    assert set(HANDLERS) == {"pull_request", "check_suite", "check_run", "issue_comment", "installation",
                             "installation_repositories"}


def test_routing_by_event_name() -> None:
    assert isinstance(route("pull_request", payloads.pull_request("opened", "a/b", 1, "c" * 40), CONTEXT), Review)
    assert isinstance(route("installation", payloads.installation("created", 3, "a", []), CONTEXT),
                      RecordInstallation)
    assert route("deployment", {"action": "created"}, CONTEXT) == Ignore("deployment events are not handled")


def test_the_delivery_id_travels_with_the_job() -> None:
    decision = route("pull_request", payloads.pull_request("opened", "a/b", 1, "c" * 40), CONTEXT)
    assert isinstance(decision, Review) and decision.request.delivery == "d-9"
