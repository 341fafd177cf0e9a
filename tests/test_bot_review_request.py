"""Review requests: the coalescing key and the round trip through the ledger."""

from __future__ import annotations

from bot.review_request import ReviewRequest


def test_one_key_per_pull_request_or_per_commit_when_the_pull_request_is_unknown() -> None:
    assert ReviewRequest(3, "Acme/Fleet", 7, "a" * 40, "main", "x").key == "3/acme/fleet#7"
    assert ReviewRequest(3, "Acme/Fleet", 7, "b" * 40, "main", "y").key == "3/acme/fleet#7"
    assert ReviewRequest(3, "acme/fleet", None, "c" * 40, "main", "z").key == f"3/acme/fleet@{'c' * 40}"


def test_payload_round_trip() -> None:
    request = ReviewRequest(3, "acme/fleet", 7, None, "main", "pull_request.opened", "d-1")
    assert ReviewRequest.from_payload(request.to_payload()) == request
