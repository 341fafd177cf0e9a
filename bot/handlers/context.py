"""What handlers may know besides the payload: the App's identity and its settings for this delivery.

Kept apart from the routing in ``bot.handlers`` so that handlers can name it
without importing the router that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings


@dataclass(frozen=True)
class Context:
    """What handlers may know besides the payload."""

    app_id: str
    review_drafts: bool = True
    delivery: str = ""

    @classmethod
    def from_settings(cls, settings: Settings, delivery: str) -> Context:
        return cls(app_id=settings.app_id, review_drafts=settings.review_drafts, delivery=delivery)
