"""App JWTs and the installation token cache."""

from __future__ import annotations

import threading
import time

import jwt
from bot_support.keys import key_pair

from bot.auth import JWT_EXPIRY, InstallationAuth, InstallationTokens, IssuedToken, app_auth


def test_app_jwt_is_rs256_issued_60_seconds_back_with_a_short_expiry() -> None:
    private, public = key_pair()
    before = int(time.time())
    token = app_auth("4242", private).token
    after = int(time.time())
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, public, algorithms=["RS256"], options={"verify_iat": False})
    assert claims["iss"] == "4242"
    assert before - 60 <= claims["iat"] <= after - 60
    assert claims["exp"] - claims["iat"] == JWT_EXPIRY + 60
    assert claims["exp"] - after <= 600


class Issuer:
    """Issues numbered tokens valid ``ttl`` seconds from the fake clock."""

    def __init__(self, clock: list[float], ttl: float = 3600.0) -> None:
        self.clock, self.ttl, self.issued = clock, ttl, []

    def __call__(self, installation_id: int) -> IssuedToken:
        self.issued.append(installation_id)
        return IssuedToken(f"ghs_{installation_id}_{len(self.issued)}", self.clock[0] + self.ttl)


def test_tokens_are_cached_per_installation_and_refreshed_before_expiry() -> None:
    clock = [1000.0]
    issuer = Issuer(clock)
    tokens = InstallationTokens(issuer, margin=300, clock=lambda: clock[0])
    first = tokens.token(1)
    assert tokens.token(1) == first
    assert tokens.token(2) != first
    clock[0] += 3600 - 301  # still 301 s left: cached
    assert tokens.token(1) == first
    clock[0] += 2  # 299 s left: inside the margin, renewed before it can expire mid-job
    assert tokens.token(1) != first
    assert issuer.issued == [1, 2, 1]


def test_renew_after_a_401_replaces_only_the_rejected_token() -> None:
    clock = [0.0]
    issuer = Issuer(clock)
    tokens = InstallationTokens(issuer, margin=60, clock=lambda: clock[0])
    old = tokens.token(5)
    new = tokens.renew(5, old)
    assert new != old
    assert tokens.renew(5, old) == new  # another thread already renewed it: no second request
    assert issuer.issued == [5, 5]


def test_concurrent_jobs_share_one_refresh() -> None:
    clock = [0.0]
    calls = []

    def slow_issue(installation_id: int) -> IssuedToken:
        calls.append(installation_id)
        time.sleep(0.05)
        return IssuedToken("ghs_shared", 3600.0)

    tokens = InstallationTokens(slow_issue, margin=60, clock=lambda: clock[0])
    threads = [threading.Thread(target=tokens.token, args=(9,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert calls == [9]


def test_installation_auth_reads_the_cache_on_every_request_and_hides_the_token() -> None:
    clock = [0.0]
    tokens = InstallationTokens(Issuer(clock, ttl=100), margin=10, clock=lambda: clock[0])
    auth = InstallationAuth(tokens, 3)
    first = auth.header()
    clock[0] = 95
    assert auth.header() != first
    assert auth.renew_header("Bearer jwt") is None
    assert auth.renew_header(auth.header()).startswith("token ghs_3_")
    assert "ghs_" not in repr(IssuedToken("ghs_secret", 1.0))
