"""``issue_comment`` events: slash commands in comments on pull requests.

Only new comments (``created``: an edit must not run a command twice) on
pull requests (``issue.pull_request`` present) by people (not bots, not
this App) are read, and only those holding a command (``bot.commands``).
The handler does no I/O: it queues the command, keyed by its comment so it
never replaces a queued review, and the worker checks the commenter's
permission before anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot import commands
from bot.handlers import payloads
from bot.handlers.decisions import Decision, Ignore, Review

if TYPE_CHECKING:
    from bot.handlers.context import Context


def handle(payload: Mapping[str, Any], context: Context) -> Decision:
    action = payload.get("action")
    if action != "created":
        return Ignore(f"issue_comment.{action}: only new comments are read")
    issue = payload.get("issue")
    if not isinstance(issue, Mapping) or not issue.get("pull_request"):
        return Ignore("a comment on an issue, not on a pull request")
    comment = payload.get("comment")
    if not isinstance(comment, Mapping):
        return Ignore("issue_comment event without a comment")
    if payloads.is_bot(comment.get("user")) or payloads.is_bot(payload.get("sender")):
        return Ignore("comments by bots are not read")
    body = comment.get("body")
    command = commands.parse(body) if isinstance(body, str) else None
    if command is None:
        return Ignore(f"comment on pull request #{issue.get('number')} holds no command")
    user = comment.get("user")
    login = user.get("login") if isinstance(user, Mapping) else None
    comment_id = comment.get("id")
    if not isinstance(login, str) or not login or not isinstance(comment_id, int) or isinstance(comment_id, bool):
        return Ignore("the comment has no author or id")
    decision = payloads.review(payload, issue.get("number"), None, f"/flux-review {command.name}",
                               context.delivery)
    if not isinstance(decision, Review):
        return decision
    return Review(replace(decision.request, command=command.name,
                          argument=command.argument or command.unknown, comment_id=comment_id,
                          commenter=login))
