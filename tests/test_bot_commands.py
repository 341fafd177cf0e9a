"""Slash commands: what counts as a command, who may run one, and the replies."""

from __future__ import annotations

import json

import pytest
import responses
from github import Auth, Github

from bot import commands
from bot.commands import Command, parse

API = "https://api.github.test"
CALLED = "https://api.github.test:443"  # PyGithub spells the port out when it follows an object's url


@pytest.mark.parametrize(("body", "expected"), [
    ("/flux-review recheck", Command("recheck")),
    ("/flux-review review", Command("recheck")),
    ("/flux-review RECHECK please", Command("recheck", "please")),
    ("  /flux-review help", Command("help")),
    ("/flux-review", Command("help")),
    ("/flux-review explain interval/too-short", Command("explain", "interval/too-short")),
    ("/flux-review frobnicate", Command("help", unknown="frobnicate")),
    ("Thanks!\n\n/flux-review recheck\n", Command("recheck")),
    ("```yaml\n/flux-review help\n```\n/flux-review recheck", Command("recheck")),
])
def test_commands_are_lines_of_their_own(body: str, expected: Command) -> None:
    assert parse(body) == expected


@pytest.mark.parametrize("body", [
    "", "recheck please", "> /flux-review recheck", "```\n/flux-review recheck\n```",
    "~~~\n/flux-review recheck\n~~~", "    /flux-review recheck", "run `/flux-review recheck`",
    "````\n```\n/flux-review recheck\n````", "/flux-reviewer recheck",
])
def test_quoted_fenced_indented_and_inline_commands_are_not_commands(body: str) -> None:
    assert parse(body) is None


def test_help_explain_and_unknown_answers() -> None:
    assert "/flux-review recheck" in commands.answer_text(Command("help"))
    explained = commands.answer_text(Command("explain", "interval/too-short"))
    assert explained.startswith("### interval/too-short") and "interval/too-short.md" in explained
    assert "is not a flux-review rule" in commands.answer_text(Command("explain", "no/such-rule"))
    assert "needs a rule id" in commands.answer_text(Command("explain"))
    assert "`/flux-review frobnicate` is not a command" in commands.answer_text(Command("help", unknown="frobnicate"))


def _repo() -> object:
    return Github(auth=Auth.Token("t"), base_url=API, lazy=True, retry=None).get_repo("acme/fleet")


@responses.activate
def test_permission_comes_from_the_collaborators_endpoint_and_an_unknown_user_has_none() -> None:
    responses.get(f"{CALLED}/repos/acme/fleet/collaborators/ann/permission",
                  json={"permission": "write", "role_name": "maintain", "user": {"login": "ann"}})
    responses.get(f"{CALLED}/repos/acme/fleet/collaborators/ghost/permission", status=404,
                  json={"message": "ghost is not a user"})
    repo = _repo()
    assert commands.permission(repo, "ann") in commands.ALLOWED  # type: ignore[arg-type]
    assert commands.permission(repo, "ghost") == "none"  # type: ignore[arg-type]
    assert "none" not in commands.ALLOWED and "read" not in commands.ALLOWED


@responses.activate
def test_reactions_and_replies_use_the_issue_comment_endpoints() -> None:
    responses.post(f"{CALLED}/repos/acme/fleet/issues/comments/77/reactions", json={"id": 1, "content": "+1"},
                   status=201)
    responses.post(f"{CALLED}/repos/acme/fleet/issues/5/comments", json={"id": 2}, status=201)
    repo = _repo()
    commands.react(repo, 77)  # type: ignore[arg-type]
    commands.reply(repo, 5, commands.refusal("visitor", "recheck"))  # type: ignore[arg-type]
    assert json.loads(responses.calls[0].request.body) == {"content": "+1"}
    reply = json.loads(responses.calls[1].request.body)["body"]
    assert reply.startswith("@visitor") and "write, maintain or admin" in reply
