"""installation and installation_repositories: recorded, never queued."""

from __future__ import annotations

from bot_support import payloads

from bot.handlers import Context, Ignore, RecordInstallation
from bot.handlers.installation import handle_installation, handle_installation_repositories

CONTEXT = Context(app_id="42")


def test_created_and_deleted_installations() -> None:
    created = handle_installation(payloads.installation("created", 9, "acme", ["acme/b", "acme/a"]), CONTEXT)
    assert created == RecordInstallation(9, "acme", "created", added=["acme/a", "acme/b"])
    deleted = handle_installation(payloads.installation("deleted", 9, "acme", ["acme/a"]), CONTEXT)
    assert deleted == RecordInstallation(9, "acme", "deleted", removed=["acme/a"])


def test_repositories_added_and_removed() -> None:
    decision = handle_installation_repositories(
        payloads.installation_repositories("added", 9, "acme", ["acme/c"], ["acme/a"]), CONTEXT)
    assert decision == RecordInstallation(9, "acme", "repositories_added", added=["acme/c"], removed=["acme/a"])


def test_payloads_without_an_installation_are_ignored() -> None:
    assert isinstance(handle_installation({"action": "created"}, CONTEXT), Ignore)
    assert isinstance(handle_installation_repositories({"action": "added"}, CONTEXT), Ignore)
