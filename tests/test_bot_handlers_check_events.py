"""check_suite / check_run: the Re-run buttons and our action button, only for our own runs."""

from __future__ import annotations

from bot_support import payloads

from bot.handlers import Context, Ignore, Review
from bot.handlers.check_events import handle_check_run, handle_check_suite

SHA = "d" * 40
CONTEXT = Context(app_id="42")


def test_check_suite_rerequested_reviews_the_listed_pull_request() -> None:
    decision = handle_check_suite(payloads.check_suite("rerequested", "acme/fleet", SHA, [3], app_id=42), CONTEXT)
    assert isinstance(decision, Review)
    assert (decision.request.pull_number, decision.request.head_sha) == (3, SHA)


def test_fork_pull_requests_are_found_by_commit_in_the_worker() -> None:
    decision = handle_check_suite(payloads.check_suite("rerequested", "acme/fleet", SHA, [], app_id=42), CONTEXT)
    assert isinstance(decision, Review)
    assert decision.request.pull_number is None and decision.request.key == f"1/acme/fleet@{SHA}"


def test_only_our_app_and_our_run_count() -> None:
    other_app = payloads.check_suite("rerequested", "acme/fleet", SHA, [3], app_id=7)
    assert isinstance(handle_check_suite(other_app, CONTEXT), Ignore)
    other_run = payloads.check_run("rerequested", "acme/fleet", SHA, [3], app_id=42, name="lint")
    assert isinstance(handle_check_run(other_run, CONTEXT), Ignore)


def test_check_run_rerequested_and_the_rerun_action() -> None:
    rerun = handle_check_run(payloads.check_run("rerequested", "acme/fleet", SHA, [3], app_id=42), CONTEXT)
    assert isinstance(rerun, Review) and rerun.request.reason == "check_run.rerequested"
    action = payloads.check_run("requested_action", "acme/fleet", SHA, [3], app_id=42, identifier="rerun")
    assert isinstance(handle_check_run(action, CONTEXT), Review)
    unknown = payloads.check_run("requested_action", "acme/fleet", SHA, [3], app_id=42, identifier="approve")
    assert isinstance(handle_check_run(unknown, CONTEXT), Ignore)


def test_pull_requests_of_another_repository_are_not_taken() -> None:
    payload = payloads.check_suite("rerequested", "acme/fleet", SHA, [3], app_id=42, repo_id=1)
    payload["check_suite"]["pull_requests"][0]["base"]["repo"]["id"] = 999
    decision = handle_check_suite(payload, CONTEXT)
    assert isinstance(decision, Review) and decision.request.pull_number is None


def test_other_actions_are_ignored() -> None:
    assert isinstance(handle_check_suite(payloads.check_suite("requested", "a/b", SHA, [1], 42), CONTEXT), Ignore)
    assert isinstance(handle_check_run(payloads.check_run("completed", "a/b", SHA, [1], 42), CONTEXT), Ignore)
