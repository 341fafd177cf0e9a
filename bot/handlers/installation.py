"""``installation`` and ``installation_repositories`` events: who installed the App, on what.

These are recorded in the state store and logged; nothing is queued. A
worker still holding a token of a deleted or suspended installation gets
a 401, asks for a new token, is refused, and closes its Check Run with a
"cannot read this repository" message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.handlers.decisions import Decision, Ignore, RecordInstallation

if TYPE_CHECKING:
    from bot.handlers.context import Context


def handle_installation(payload: Mapping[str, Any], context: Context) -> Decision:
    action = str(payload.get("action"))
    parsed = _installation(payload)
    if parsed is None:
        return Ignore("installation event without an installation")
    installation_id, account = parsed
    repos = _names(payload.get("repositories"))
    if action in ("deleted", "suspend"):
        return RecordInstallation(installation_id, account, action, removed=repos)
    return RecordInstallation(installation_id, account, action, added=repos)


def handle_installation_repositories(payload: Mapping[str, Any], context: Context) -> Decision:
    parsed = _installation(payload)
    if parsed is None:
        return Ignore("installation_repositories event without an installation")
    installation_id, account = parsed
    return RecordInstallation(
        installation_id, account, f"repositories_{payload.get('action')}",
        added=_names(payload.get("repositories_added")),
        removed=_names(payload.get("repositories_removed")),
    )


def _installation(payload: Mapping[str, Any]) -> tuple[int, str] | None:
    installation = payload.get("installation")
    if not isinstance(installation, Mapping) or not isinstance(installation.get("id"), int):
        return None
    account = installation.get("account") if isinstance(installation.get("account"), Mapping) else {}
    return int(installation["id"]), str(account.get("login", ""))


def _names(repositories: Any) -> list[str]:
    if not isinstance(repositories, list):
        return []
    return sorted(str(r["full_name"]) for r in repositories if isinstance(r, Mapping) and r.get("full_name"))
