"""Slash commands in pull request comments: ``/flux-review recheck``, ``help`` and ``explain RULE``.

Reading a command is plain text work (``parse``): a command is a line of
its own that starts with ``/flux-review``, outside fenced code and
outside quotes, so quoting someone's command or showing one in an example
never runs it. Answering one (``answer``) runs in the worker: who may run
a command is decided by the commenter's permission on the repository (the
collaborators endpoint: write, maintain or admin), never by
``author_association``, which only hints at membership. An accepted
command gets a reaction; a refused one gets one polite reply.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from github import GithubException
from github.Repository import Repository

from checks.rule_docs import DOCS_URL, explanation_markdown

log = logging.getLogger(__name__)

NAMES = {"recheck": "recheck", "review": "recheck", "help": "help", "explain": "explain"}
ALLOWED = frozenset({"admin", "write"})  # the endpoint's ``permission`` reports maintain as write
ACCEPTED_REACTION = "+1"
_COMMAND = re.compile(r"^ {0,3}/flux-review(?![\w-])(?:[ \t]+(?P<name>[\w-]+))?(?:[ \t]+(?P<argument>\S+))?")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
MAX_REPLY = 65_536

HELP = """flux-review reviews the Flux manifests this pull request changes. Commands (one per comment, \
on a line of its own; people with write access to the repository may run them):

- `/flux-review recheck` (or `review`): review the pull request's head again.
- `/flux-review explain RULE`: why a rule matters and how to fix its findings, e.g. \
`/flux-review explain interval/too-short`.
- `/flux-review help`: this message.

Silence a finding on its line, or the line above, with `# flux-review: ignore[RULE]`; configure the App in \
`.github/flux-review.yml` on the default branch."""


@dataclass(frozen=True)
class Command:
    """A command found in a comment: its canonical name, its argument, and the word used when unknown."""

    name: str
    argument: str = ""
    unknown: str = ""


def parse(body: str) -> Command | None:
    """The first command in a comment body, or None."""
    fence: str | None = None
    for line in (body or "").splitlines():
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening[1]
            continue
        match = _COMMAND.match(line)
        if match is None:
            continue
        word = (match["name"] or "help").lower()
        name = NAMES.get(word)
        if name is None:
            return Command("help", unknown=word)
        return Command(name, match["argument"] or "")
    return None


def permission(repo: Repository, login: str) -> str:
    """The commenter's permission on the repository: admin, write, read or none."""
    try:
        return repo.get_collaborator_permission(login)
    except GithubException as error:
        if error.status == 404:  # not a user GitHub knows, or not visible to the App
            return "none"
        raise


def react(repo: Repository, comment_id: int, content: str = ACCEPTED_REACTION) -> None:
    repo._requester.requestJsonAndCheck("POST", f"{repo.url}/issues/comments/{comment_id}/reactions",
                                        input={"content": content})


def reply(repo: Repository, pull_number: int, body: str) -> None:
    text = body if len(body) <= MAX_REPLY else body[:MAX_REPLY - 1] + "…"
    repo._requester.requestJsonAndCheck("POST", f"{repo.url}/issues/{pull_number}/comments", input={"body": text})


def refusal(login: str, command: str) -> str:
    return (f"@{login} thanks for asking. Only people with write, maintain or admin permission on this repository "
            f"can run `/flux-review {command}`; a maintainer can run it for you.")


def answer_text(command: Command) -> str:
    """The reply to ``help`` and ``explain``."""
    if command.name == "explain":
        explained = explanation_markdown(command.argument.strip("`"))
        if explained is None:
            asked = f"`{command.argument}` is not" if command.argument else "`explain` needs"
            what = "a flux-review rule" if command.argument else "a rule id"
            return f"{asked} {what}. The rules are listed in [the rule index]({DOCS_URL}/README.md).\n\n{HELP}"
        return explained
    if command.unknown:
        return f"`/flux-review {command.unknown}` is not a command.\n\n{HELP}"
    return HELP
