"""Posting the plan: our comments read back by marker, one COMMENT review, resolved comments edited and hidden."""

from __future__ import annotations

import json

import responses
from github import Auth, Github
from github.PullRequest import PullRequest

from bot import pull_review
from bot.review_comments import CommentPlan, InlineComment, PostedComment, marker

API = "https://api.github.test"
CALLED = "https://api.github.test:443"  # PyGithub spells the port out when it follows an object's url
HEAD = "b" * 40


def pull() -> PullRequest:
    responses.get(f"{API}/repos/acme/fleet/pulls/5", json={
        "number": 5, "url": f"{API}/repos/acme/fleet/pulls/5", "state": "open", "head": {"sha": HEAD}})
    return Github(auth=Auth.Token("t"), base_url=API, retry=None, lazy=True).get_repo("acme/fleet").get_pull(5)


def review_comment(number: int, body: str, kind: str = "Bot") -> dict[str, object]:
    return {"id": number, "node_id": f"PRRC_{number}", "body": body, "path": "a.yaml", "line": 3,
            "user": {"login": "flux-review[bot]" if kind == "Bot" else "ann", "type": kind}}


@responses.activate
def test_only_bot_comments_with_our_marker_count_as_ours() -> None:
    target = pull()
    responses.get(f"{CALLED}/repos/acme/fleet/pulls/5/comments", json=[
        review_comment(1, "text\n" + marker(["aa11", "bb22"])),
        review_comment(2, "quoting you: " + marker(["cc33"]), kind="User"),
        review_comment(3, "another bot, no marker"),
        review_comment(4, "gone\n" + marker(["dd44"], kind="resolved")),
    ])
    posted = pull_review.posted_comments(target)
    assert [(c.id, c.node_id, set(c.fingerprints), c.resolved) for c in posted] == [
        (1, "PRRC_1", {"aa11", "bb22"}, False), (4, "PRRC_4", {"dd44"}, True)]


@responses.activate
def test_a_plan_with_comments_posts_one_comment_review_on_the_head() -> None:
    target = pull()
    responses.post(f"{CALLED}/repos/acme/fleet/pulls/5/reviews", json={"id": 77, "state": "COMMENTED"})
    plan = CommentPlan([InlineComment("a.yaml", 4, "body", ("aa11",), start_line=2)], "review body")
    assert pull_review.publish(target, HEAD, plan) == 77
    sent = json.loads(responses.calls[-1].request.body)
    assert sent == {"commit_id": HEAD, "event": "COMMENT", "body": "review body", "comments": [
        {"path": "a.yaml", "line": 4, "side": "RIGHT", "body": "body", "start_line": 2, "start_side": "RIGHT"}]}


@responses.activate
def test_nothing_new_posts_nothing() -> None:
    target = pull()
    calls = len(responses.calls)
    assert pull_review.publish(target, HEAD, CommentPlan()) is None
    assert len(responses.calls) == calls


@responses.activate
def test_resolved_comments_are_edited_then_minimized_in_one_graphql_request() -> None:
    target = pull()
    for number in (1, 2):
        responses.patch(f"{CALLED}/repos/acme/fleet/pulls/comments/{number}", json={"id": number})
    responses.post(f"{CALLED}/graphql", json={"data": {"c0": {"minimizedComment": {"isMinimized": True}},
                                                        "c1": {"minimizedComment": {"isMinimized": True}}}})
    resolved = [PostedComment(n, f"PRRC_{n}", f"**x** {n}\n" + marker([f"{n}f"]), frozenset({f"{n}f"}))
                for n in (1, 2)]
    pull_review.publish(target, HEAD, CommentPlan(resolved=resolved))
    edits = [json.loads(c.request.body)["body"] for c in responses.calls if c.request.method == "PATCH"]
    assert all(body.startswith("✅ Resolved in bbbbbbbbbbbb") for body in edits)
    assert "flux-review:resolved=1f" in edits[0]
    [graphql] = [json.loads(c.request.body) for c in responses.calls if c.request.url.endswith("/graphql")]
    assert graphql["query"].count("minimizeComment(") == 2 and "classifier: OUTDATED" in graphql["query"]
    assert graphql["variables"] == {"s0": "PRRC_1", "s1": "PRRC_2"}


@responses.activate
def test_a_comment_deleted_meanwhile_and_a_failed_minimize_do_not_fail_the_review() -> None:
    target = pull()
    responses.patch(f"{CALLED}/repos/acme/fleet/pulls/comments/1", status=404, json={"message": "Not Found"})
    responses.post(f"{CALLED}/graphql", json={"data": {"c0": None}, "errors": [
        {"type": "NOT_FOUND", "message": "Could not resolve to a node"}]})
    pull_review.retire(target, HEAD, [PostedComment(1, "PRRC_1", "x", frozenset({"aa"}))])
