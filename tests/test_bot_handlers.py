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


def test_fields_of_the_wrong_type_or_shape_are_ignored_with_the_reason() -> None:
    good = payloads.pull_request("opened", "acme/fleet", 7, "c" * 40)
    listed_action = {**good, "action": ["opened"]}
    assert route("pull_request", listed_action, CONTEXT) == Ignore("action is not a string")
    true_number = {**good, "pull_request": {**good["pull_request"], "number": True}}
    assert route("pull_request", true_number, CONTEXT) == Ignore("pull_request.number is not a positive number")
    traversal = {**good, "repository": {**good["repository"], "full_name": "acme/../../app/installations"}}
    assert route("pull_request", traversal, CONTEXT) == Ignore("repository.full_name is not an owner/name")
    not_a_sha = payloads.pull_request("opened", "acme/fleet", 7, "../../etc")
    assert route("pull_request", not_a_sha, CONTEXT) == Ignore("the head commit is not a commit id")
    run = payloads.check_run("requested_action", "acme/fleet", "c" * 40, [7], 42)
    run["requested_action"] = {"identifier": {"rerun": True}}
    assert route("check_run", run, CONTEXT) == Ignore("requested_action.identifier is not a string")
    assert isinstance(route("pull_request", good, CONTEXT), Review)
