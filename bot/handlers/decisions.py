"""What a handler decides about an event (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.review_request import ReviewRequest


@dataclass(frozen=True)
class Review:
    """Queue a review of a pull request."""

    request: ReviewRequest


@dataclass(frozen=True)
class RecordInstallation:
    """Remember that an installation was created, changed or removed, and which repositories it covers."""

    installation_id: int
    account: str
    action: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ignore:
    """Nothing to do; ``reason`` says why."""

    reason: str


Decision = Review | RecordInstallation | Ignore
