"""Signed webhook deliveries over real HTTP, as GitHub sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import requests

TIMEOUT = 10.0


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def deliver(url: str, event: str, payload: dict[str, Any] | bytes, secret: bytes, delivery: str | None = None,
            signature: str | None = None) -> requests.Response:
    """POST one delivery; ``signature`` overrides the correct one (forgery tests)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature if signature is not None else sign(secret, body),
        "User-Agent": "GitHub-Hookshot/test",
    }
    return requests.post(f"{url}/webhook", data=body, headers=headers, timeout=TIMEOUT)
