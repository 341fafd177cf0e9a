"""What a review job is asked to do, as small plain data that survives the queue.

A request names the installation, the repository and the pull request (or,
for a re-run whose payload lists no pull request, the commit). Its ``key``
groups all requests about one pull request: the queue coalesces them and
never runs two of them at once. A slash command is a request of its own
(keyed by its comment, so it never replaces a queued review): the worker
checks who wrote it, answers it, and for ``recheck`` queues a review.
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
    command: str = ""  # a slash command to answer: recheck, help or explain
    argument: str = ""  # the command's argument (a rule id for explain)
    comment_id: int | None = None  # the comment that carried the command
    commenter: str = ""  # its author's login

    @property
    def key(self) -> str:
        """The coalescing key: one per pull request (per commit when the pull request is not known yet).

        Commands are keyed by their comment: whoever wrote it, it must not replace a queued review.
        """
        target = f"#{self.pull_number}" if self.pull_number is not None else f"@{self.head_sha}"
        if self.command:
            target += f"/comment-{self.comment_id}"
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
            command=str(payload.get("command") or ""),
            argument=str(payload.get("argument") or ""),
            comment_id=int(payload["comment_id"]) if payload.get("comment_id") is not None else None,
            commenter=str(payload.get("commenter") or ""),
        )
