"""``check_suite`` and ``check_run`` events: the Re-run buttons and the Check Run's action buttons.

``check_suite.rerequested`` and ``check_run.rerequested`` ask for a fresh
review of a commit; ``check_run.requested_action`` carries the identifier
of a button we put on our Check Run (``rerun``). Only our own Check Run's
events count. Payloads for fork pull requests list no pull request: the
job then carries the commit and the worker finds the pull request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.handlers import payloads
from bot.handlers.decisions import Decision, Ignore

if TYPE_CHECKING:
    from bot.handlers.context import Context

CHECK_RUN_NAME = "flux-review"
ACTIONS = frozenset({"rerun"})


def handle_check_suite(payload: Mapping[str, Any], context: Context) -> Decision:
    if payload.get("action") != "rerequested":
        return Ignore(f"check_suite.{payload.get('action')} needs no review")
    suite = payload.get("check_suite")
    if not isinstance(suite, Mapping):
        return Ignore("check_suite event without a check suite")
    if not _ours(suite.get("app"), context):
        return Ignore("the check suite belongs to another App")
    return _rerun(payload, suite, "check_suite.rerequested", context)


def handle_check_run(payload: Mapping[str, Any], context: Context) -> Decision:
    action = payload.get("action")
    run = payload.get("check_run")
    if not isinstance(run, Mapping):
        return Ignore("check_run event without a check run")
    if action not in ("rerequested", "requested_action"):
        return Ignore(f"check_run.{action} needs no review")
    if not _ours(run.get("app"), context) or run.get("name") != CHECK_RUN_NAME:
        return Ignore(f"check run {run.get('name')!r} is not ours")
    if action == "requested_action":
        requested = payload.get("requested_action")
        identifier = requested.get("identifier") if isinstance(requested, Mapping) else None
        if identifier not in ACTIONS:
            return Ignore(f"unknown check run action {identifier!r}")
    suite = run.get("check_suite") if isinstance(run.get("check_suite"), Mapping) else {}
    pulls = run.get("pull_requests") or suite.get("pull_requests") or []
    return _rerun(payload, {"head_sha": run.get("head_sha"), "pull_requests": pulls}, f"check_run.{action}",
                  context)


def _ours(app: Any, context: Context) -> bool:
    """GitHub sends these events to the owning App only; the id check guards against misrouted hooks."""
    if not isinstance(app, Mapping) or app.get("id") is None:
        return True
    return str(app.get("id")) == context.app_id or str(app.get("client_id", "")) == context.app_id


def _rerun(payload: Mapping[str, Any], subject: Mapping[str, Any], reason: str, context: Context) -> Decision:
    head_sha = subject.get("head_sha")
    if not isinstance(head_sha, str) or not head_sha:
        return Ignore(f"{reason} without a head commit")
    number = _pull_number(subject.get("pull_requests"), payload.get("repository"))
    return payloads.review(payload, number, head_sha, reason, context.delivery)


def _pull_number(pulls: Any, repository: Any) -> int | None:
    """The first listed pull request that targets this repository."""
    repo_id = repository.get("id") if isinstance(repository, Mapping) else None
    for pull in pulls if isinstance(pulls, list) else []:
        if not isinstance(pull, Mapping) or not isinstance(pull.get("number"), int):
            continue
        base = pull.get("base") if isinstance(pull.get("base"), Mapping) else {}
        base_repo = base.get("repo") if isinstance(base.get("repo"), Mapping) else {}
        if repo_id is None or base_repo.get("id") in (None, repo_id):
            return int(pull["number"])
    return None
