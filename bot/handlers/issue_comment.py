"""``issue_comment`` events: comments on pull requests, where slash commands will live.

Only new comments (``created``) on pull requests (``issue.pull_request``
present) by people (not bots, not this App) are candidates. Parsing the
commands and checking the commenter's permission come with the commands
themselves; until then a candidate is acknowledged in the logs and no work
is queued, so nobody can trigger reviews by commenting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.handlers import payloads
from bot.handlers.decisions import Decision, Ignore

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
    return Ignore(f"comment on pull request #{issue.get('number')} noted; slash commands are not enabled yet")
