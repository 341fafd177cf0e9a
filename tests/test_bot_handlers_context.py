"""What handlers know besides the payload, taken from the App's settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot_support.inprocess import settings_for

from bot.handlers.context import Context


def test_context_takes_the_app_id_and_the_draft_setting_from_settings(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path, app_id="77")
    context = Context.from_settings(settings, "delivery-1")
    assert context == Context(app_id="77", review_drafts=settings.review_drafts, delivery="delivery-1")
    quiet = Context.from_settings(dataclasses.replace(settings, review_drafts=False), "d")
    assert quiet.review_drafts is False
