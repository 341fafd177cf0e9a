"""The steps of one review against the simulator: closed pull requests, moved heads, the call order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support.inprocess import FAST, settings_for
from bot_support.keys import key_pair
from bot_support.repos import pull_with_broken_yaml
from github_sim import GitHubSim

from bot.failures import Superseded
from bot.github import GitHubApps
from bot.pacing import LocalPacer
from bot.review import ReviewJob
from bot.review_request import ReviewRequest


@pytest.fixture
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim("4242", key_pair()[1]).start()
    yield simulator
    simulator.stop()


def job(sim: GitHubSim, tmp_path: Path, request: ReviewRequest, recorded: list[int],
        still_current=lambda: None) -> ReviewJob:
    client = GitHubApps(settings_for(sim.url, tmp_path), LocalPacer()).installation(1)
    return ReviewJob(client, request, "job-1", FAST, None, False, recorded.append, still_current,
                     lambda resolved: None)


def test_the_review_records_its_run_before_the_slow_steps(sim: GitHubSim, tmp_path: Path) -> None:
    _, _, head = pull_with_broken_yaml(sim, "acme/fleet", 1)
    recorded: list[int] = []
    outcome = job(sim, tmp_path, ReviewRequest(1, "acme/fleet", 1, head, "main", "t"), recorded).run()
    assert outcome == "failure"
    assert recorded == [next(iter(sim.check_runs))]
    order = [f"{c.method} {c.path.split('/')[-1] if 'check-runs' in c.path else c.path.split('/')[4]}"
             for c in sim.calls("api") if c.path.startswith("/repos/acme/fleet")]
    assert order[:2] == ["GET pulls", "POST check-runs"]
    assert order[-1].startswith("PATCH")


def test_a_closed_pull_request_is_not_reviewed(sim: GitHubSim, tmp_path: Path) -> None:
    repo, _, head = pull_with_broken_yaml(sim, "acme/fleet", 1)
    repo.pulls[1].state = "closed"
    assert job(sim, tmp_path, ReviewRequest(1, "acme/fleet", 1, head, "main", "t"), []).run() == "closed"
    assert sim.check_runs == {}


def test_an_outdated_event_reviews_the_head_the_pull_request_has_now(sim: GitHubSim, tmp_path: Path) -> None:
    # A delayed or replayed delivery names an older head; the newest job of a pull request reviews its head.
    _, base, head = pull_with_broken_yaml(sim, "acme/fleet", 1)
    assert job(sim, tmp_path, ReviewRequest(1, "acme/fleet", 1, base, "main", "t"), []).run() == "failure"
    assert [run["head_sha"] for run in sim.check_runs.values()] == [head]


def test_a_moved_head_stops_a_retried_review_whose_run_is_on_the_old_commit(sim: GitHubSim,
                                                                            tmp_path: Path) -> None:
    _, base, _ = pull_with_broken_yaml(sim, "acme/fleet", 1)
    client = GitHubApps(settings_for(sim.url, tmp_path), LocalPacer()).installation(1)
    retried = ReviewJob(client, ReviewRequest(1, "acme/fleet", 1, base, "main", "t"), "job-1", FAST, 1234, False,
                        lambda run_id: None, lambda: None, lambda resolved: None)
    with pytest.raises(Superseded, match="head moved"):
        retried.run()
    assert sim.check_runs == {}


def test_a_newer_job_stops_the_review_between_steps(sim: GitHubSim, tmp_path: Path) -> None:
    _, _, head = pull_with_broken_yaml(sim, "acme/fleet", 1)

    def superseded() -> None:
        raise Superseded("a newer push")

    with pytest.raises(Superseded):
        job(sim, tmp_path, ReviewRequest(1, "acme/fleet", 1, head, "main", "t"), [], superseded).run()
    assert sim.calls(path="/tarball/") == []  # stopped before downloading anything
