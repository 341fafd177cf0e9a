"""What a review job is asked to do, as small plain data that survives the queue.

A request names the installation, the repository and the pull request (or,
for a re-run whose payload lists no pull request, the commit). Its ``key``
groups all requests about one pull request: the queue coalesces them and
never runs two of them at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ReviewRequest:
    """Review pull request ``pull_number`` of ``repository`` at ``head_sha`` (None: its current head)."""

    installation_id: int
    repository: str
    pull_number: int | None
    head_sha: str | None
    default_branch: str
    reason: str
    delivery: str = ""

    @property
    def key(self) -> str:
        """The coalescing key: one per pull request (per commit when the pull request is not known yet)."""
        target = f"#{self.pull_number}" if self.pull_number is not None else f"@{self.head_sha}"
        return f"{self.installation_id}/{self.repository.lower()}{target}"

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ReviewRequest:
        return cls(
            installation_id=int(payload["installation_id"]),
            repository=str(payload["repository"]),
            pull_number=int(payload["pull_number"]) if payload.get("pull_number") is not None else None,
            head_sha=payload.get("head_sha") or None,
            default_branch=str(payload.get("default_branch") or ""),
            reason=str(payload.get("reason") or ""),
            delivery=str(payload.get("delivery") or ""),
        )
