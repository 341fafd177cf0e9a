"""Measuring the GitHub API calls of one review in a 500-file repository (test and benchmark share it)."""

from __future__ import annotations

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


def five_hundred_files() -> dict[str, str]:
    """100 apps of 5 files each: a Flux Kustomization, a ConfigMap, and three plain manifests."""
    files: dict[str, str] = {}
    for n in range(FILES // 5):
        name = f"app{n:03d}"
        files[f"clusters/prod/{name}.yaml"] = KUSTOMIZATION.format(name=name)
        for kind in ("configmap", "settings", "extra", "more"):
            files[f"apps/{name}/{kind}.yaml"] = CONFIGMAP.format(name=f"{name}-{kind}", n=n)
    return files


def measure(folder: Path) -> Measurement:
    """Start a simulator and the bot, review one pull request, count what GitHub received."""
    sim = GitHubSim(APP_ID, key_pair()[1]).start()
    bot = None
    try:
        repo = sim.add_repo("acme/big", INSTALLATION)
        base = repo.commit(five_hundred_files(), branch="main")
        changes: dict[str, str | None] = {f"apps/app{n:03d}/configmap.yaml": CONFIGMAP.format(name=f"app{n:03d}", n=-n)
                                          for n in range(5)}
        changes["apps/app007/broken.yaml"] = BROKEN_YAML
        changes["apps/app008/more.yaml"] = None
        head = repo.commit({}, parent=base, changes=changes)
        repo.open_pull(1, "main", head)
        env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, folder / "data")
        bot = serve(env, folder / "bot.log")
        deliver(bot.url, "pull_request",
                payloads.pull_request("opened", "acme/big", 1, head, installation_id=INSTALLATION), SECRET)
        wait_until(lambda: any(r["status"] == "completed" for r in sim.runs_for(head)), 60,
                   what="the review of the 500-file repository")
        bot.stop()  # nothing more can be sent once the process is gone
        calls = sim.calls("api")
        return Measurement(
            api_calls=len(calls),
            archive_downloads=len(sim.calls("archive")),
            by_endpoint=Counter(f"{c.method} {c.path.split('?')[0]}" for c in calls),
            repository_files=len(repo.commits[base].files),
            changed_files=len(changes),
        )
    finally:
        if bot is not None:
            bot.stop()
        sim.stop()


def report(measurement: Measurement) -> str:
    lines = [f"GitHub API calls to review a pull request ({measurement.changed_files} changed files) in a "
             f"{measurement.repository_files}-file repository: {measurement.api_calls} "
             f"(+{measurement.archive_downloads} archive downloads from the redirect host)"]
    lines += [f"  {count} x {endpoint}" for endpoint, count in sorted(measurement.by_endpoint.items())]
    return "\n".join(lines)
