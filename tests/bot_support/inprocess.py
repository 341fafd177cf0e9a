"""Bot components in the test process, wired to an in-process simulator (no server process)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.settings import Settings, Tuning
from bot_support.keys import key_pair

FAST = Tuning(
    workers=2, review_delay=0.0, github_timeout=5.0, github_retries=3, github_backoff=0.01,
    github_backoff_max=0.05, github_max_wait=5.0, secondary_rate_wait=0.05, write_interval=0.0,
    token_refresh_margin=0.0, job_lease=5.0, job_attempts=3, job_retry_delay=0.01, requeue_after=5.0,
    queue_poll=0.05,
)


def settings_for(api_url: str, data_dir: Path, app_id: str = "4242", **tuning: object) -> Settings:
    """Settings for an App talking to ``api_url`` with test-sized timings."""
    return Settings(app_id=app_id, private_key=key_pair()[0], webhook_secret=b"unit secret", api_url=api_url,
                    data_dir=data_dir, tuning=replace(FAST, **tuning))
