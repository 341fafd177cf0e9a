"""Routing of webhook events to one module per event family.

A handler reads a verified, parsed payload and answers with a decision:
``Review`` (queue a review job), ``RecordInstallation`` (remember an
installation change) or ``Ignore`` (with the reason, for the logs and the
HTTP answer). Handlers do no I/O: the webhook endpoint must answer fast,
and everything slow happens in the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.handlers import check_events, installation, issue_comment, payloads, pull_request
from bot.handlers.context import Context
from bot.handlers.decisions import Decision, Ignore, RecordInstallation, Review

__all__ = ["Context", "Decision", "Ignore", "RecordInstallation", "Review", "route"]

Handler = Callable[[Mapping[str, Any], Context], Decision]


HANDLERS: dict[str, Handler] = {
    "pull_request": pull_request.handle,
    "check_suite": check_events.handle_check_suite,
    "check_run": check_events.handle_check_run,
    "issue_comment": issue_comment.handle,
    "installation": installation.handle_installation,
    "installation_repositories": installation.handle_installation_repositories,
}


def route(event: str, payload: Mapping[str, Any], context: Context) -> Decision:
    """The decision for one event; events without a handler are ignored."""
    handler = HANDLERS.get(event)
    if handler is None:
        return Ignore(f"{event} events are not handled")
    problem = payloads.shape_problem(payload)
    if problem:
        return Ignore(problem)
    return handler(payload, context)
