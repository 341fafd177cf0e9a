"""Measuring the GitHub API calls of reviews in a 500-file repository (test and benchmark share it).

Two reviews of one pull request: the first (opened), and the re-review
after a second push to it (synchronize), as GitHub sends them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from github_sim import GitHubSim

from bot_support import payloads
from bot_support.delivery import deliver
from bot_support.keys import key_pair
from bot_support.process import bot_environment, serve
from bot_support.repos import BROKEN_YAML, CONFIGMAP, KUSTOMIZATION
from bot_support.waiting import wait_until

APP_ID = "6161"
SECRET = b"budget secret"
INSTALLATION = 31
FILES = 500


@dataclass(frozen=True)
class Measurement:
    api_calls: int
    archive_downloads: int
    by_endpoint: Counter[str]
    repository_files: int
    changed_files: int
    reviews_posted: int = 0


@dataclass(frozen=True)
class Measurements:
    first: Measurement
    again: Measurement


def five_hundred_files() -> dict[str, str]:
    """100 apps of 5 files each: a Flux Kustomization, a ConfigMap, and three plain manifests."""
    files: dict[str, str] = {}
    for n in range(FILES // 5):
        name = f"app{n:03d}"
        files[f"clusters/prod/{name}.yaml"] = KUSTOMIZATION.format(name=name)
        for kind in ("configmap", "settings", "extra", "more"):
            files[f"apps/{name}/{kind}.yaml"] = CONFIGMAP.format(name=f"{name}-{kind}", n=n)
    return files


def measure(folder: Path) -> Measurements:
    """Start a simulator and the bot, review one pull request twice, count what GitHub received each time."""
    sim = GitHubSim(APP_ID, key_pair()[1]).start()
    bot = None
    try:
        repo = sim.add_repo("acme/big", INSTALLATION)
        base = repo.commit(five_hundred_files(), branch="main")
        changes: dict[str, str | None] = {f"apps/app{n:03d}/configmap.yaml": CONFIGMAP.format(name=f"app{n:03d}", n=-n)
                                          for n in range(5)}
        changes["apps/app007/broken.yaml"] = BROKEN_YAML
        changes["apps/app008/more.yaml"] = None
        changes["clusters/prod/app009.yaml"] = KUSTOMIZATION.format(name="app009").replace("10m", "30s")
        head = repo.commit({}, parent=base, changes=changes)
        repo.open_pull(1, "main", head)
        env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, folder / "data")
        bot = serve(env, folder / "bot.log")
        first = _review(sim, bot.url, repo.full_name, base, head, "opened", len(changes))
        again_head = sim.push_to_pull("acme/big", 1, {"apps/app010/configmap.yaml": CONFIGMAP.format(
            name="app010", n=1000)})
        again = _review(sim, bot.url, repo.full_name, base, again_head, "synchronize", len(changes) + 1)
        return Measurements(first, again)
    finally:
        if bot is not None:
            bot.stop()
        sim.stop()


def _review(sim: GitHubSim, url: str, full_name: str, base: str, head: str, action: str,
            changed: int) -> Measurement:
    api_before, archive_before = len(sim.calls("api")), len(sim.calls("archive"))
    reviews_before = len(sim.reviews_for(full_name, 1))
    deliver(url, "pull_request", payloads.pull_request(action, full_name, 1, head, base,
                                                       installation_id=INSTALLATION), SECRET)
    wait_until(lambda: any(r["status"] == "completed" for r in sim.runs_for(head)), 60,
               what="the review of the 500-file repository")
    # The run completes last; give a stray call time to show before counting.
    time.sleep(0.5)
    calls = sim.calls("api")[api_before:]
    return Measurement(
        api_calls=len(calls),
        archive_downloads=len(sim.calls("archive")) - archive_before,
        by_endpoint=Counter(f"{c.method} {c.path.split('?')[0]}" for c in calls),
        repository_files=len(sim.repos[full_name].commits[head].files),
        changed_files=changed,
        reviews_posted=len(sim.reviews_for(full_name, 1)) - reviews_before,
    )


def report(measurements: Measurements) -> str:
    lines = []
    for label, measurement in (("first review", measurements.first), ("re-review after a push", measurements.again)):
        lines.append(f"GitHub API calls, {label} of a pull request ({measurement.changed_files} changed files, "
                     f"{measurement.reviews_posted} review posted) in a {measurement.repository_files}-file "
                     f"repository: {measurement.api_calls} (+{measurement.archive_downloads} archive downloads "
                     "from the redirect host)")
        lines += [f"  {count} x {endpoint}" for endpoint, count in sorted(measurement.by_endpoint.items())]
    return "\n".join(lines)
