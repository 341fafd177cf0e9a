"""The job runner: every way a review ends leaves the Check Run completed, never in progress."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support.repos import CONFIGMAP, pull_with_broken_yaml
from bot_support.worker_rig import Rig, make_rig
from github_sim import Fault

from bot.review_request import ReviewRequest
from bot.state import DONE, FAILED, FINALIZING, QUEUED, SUPERSEDED


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = make_rig(tmp_path, review_timeout=0)  # in-process analysis, so tests can stand in for the engine
    yield made
    made.sim.stop()


def request_for(head: str, number: int = 1, repo: str = "acme/fleet", reason: str = "pull_request.opened"):
    return ReviewRequest(1, repo, number, head, "main", reason)


def test_a_review_creates_then_completes_its_check_run(rig: Rig) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    job = rig.submit(request_for(head))
    rig.runner.review(job)
    [run] = rig.sim.runs_for(head)
    assert run["status"] == "completed" and run["conclusion"] == "failure"
    assert run["external_id"] == job
    record = rig.store.get(job)
    assert (record.state, record.outcome, record.check_run_id) == (DONE, "failure", run["id"])


def test_an_invalid_configuration_ends_the_run_neutral_with_the_line(rig: Rig) -> None:
    repo, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    main = repo.commit({}, parent=repo.branches["main"], changes={".github/flux-review.yml": "fail_on: [nope\n"},
                       branch="main")
    assert main
    job = rig.submit(request_for(head))
    rig.runner.review(job)
    [run] = rig.sim.runs_for(head)
    assert run["conclusion"] == "neutral"
    assert run["output"]["title"] == "Invalid flux-review configuration"
    assert run["output"]["summary"].startswith("acme/fleet:.github/flux-review.yml:2: not valid YAML")
    assert rig.store.get(job).state == FAILED


def test_an_internal_error_completes_the_run_as_neutral_with_a_message(rig: Rig,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)

    def explode(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("engine bug")

    monkeypatch.setattr("bot.review.analyze_change", explode)
    job = rig.submit(request_for(head))
    rig.runner.review(job)
    [run] = rig.sim.runs_for(head)
    assert (run["status"], run["conclusion"]) == ("completed", "neutral")
    assert "ZeroDivisionError" in run["output"]["summary"] and "engine bug" not in run["output"]["summary"]


def test_transient_trouble_retries_the_job_and_keeps_the_same_run(rig: Rig) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    rig.sim.add_fault(Fault("GET", r"^api:/repos/acme/fleet/compare/", "status", times=4, status=502))
    job = rig.submit(request_for(head))
    rig.runner.review(job)
    [run] = rig.sim.runs_for(head)
    assert run["status"] == "in_progress"
    record = rig.store.get(job)
    assert record.state == QUEUED and record.check_run_id == run["id"]
    assert rig.queue.woken[-1] == (job, pytest.approx(0.01))
    rig.runner.review(job)  # the retry, woken after its delay
    [run] = rig.sim.runs_for(head)
    assert run["status"] == "completed" and run["conclusion"] == "failure"
    assert len(rig.sim.calls(method="POST", path="/check-runs$")) == 1


def test_transient_trouble_on_every_attempt_ends_neutral(rig: Rig) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    rig.sim.add_fault(Fault("GET", r"^api:/repos/acme/fleet/compare/", "status", times=100, status=503))
    job = rig.submit(request_for(head))
    for _ in range(3):
        rig.runner.review(job)
    [run] = rig.sim.runs_for(head)
    assert (run["status"], run["conclusion"]) == ("completed", "neutral")
    assert run["output"]["title"] == "GitHub was unavailable"
    assert rig.store.get(job).state == FAILED


def test_when_even_completing_fails_the_output_is_parked_and_retried(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    monkeypatch.setattr("bot.review.analyze_change", lambda *a, **k: 1 / 0)
    rig.sim.add_fault(Fault("PATCH", r"^api:/repos/acme/fleet/check-runs/", "status", times=100, status=500))
    job = rig.submit(request_for(head))
    rig.runner.review(job)
    assert rig.store.get(job).state == FINALIZING
    assert rig.queue.finalizers == [(job, pytest.approx(0.5))]
    rig.runner.finalize(job)  # GitHub still down: parked again, a longer delay
    assert rig.queue.finalizers[-1] == (job, pytest.approx(1.0))
    rig.sim.clear_faults()
    rig.runner.finalize(job)
    [run] = rig.sim.runs_for(head)
    assert (run["status"], run["conclusion"]) == ("completed", "neutral")
    assert rig.store.get(job).state == FAILED


def test_finalizing_gives_up_after_the_configured_tries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(tmp_path, finalize_retries=1, review_timeout=0)
    monkeypatch.setattr("bot.review.analyze_change", lambda *a, **k: 1 / 0)
    try:
        _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
        rig.sim.add_fault(Fault("PATCH", r"^api:/repos/acme/fleet/check-runs/", "status", times=100, status=500))
        job = rig.submit(request_for(head))
        rig.runner.review(job)  # the review fails, and completing its run fails too: parked
        rig.runner.finalize(job)
        rig.runner.finalize(job)
        assert rig.store.get(job).state == FAILED
        assert rig.store.get(job).outcome == "check run not completed"
    finally:
        rig.sim.stop()


def test_a_superseded_job_closes_the_run_it_had_started(rig: Rig) -> None:
    _repo, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    gate = rig.sim.add_fault(Fault("GET", rf"^archive:/acme/fleet/legacy.tar.gz/{head}$", "gate"))
    old = rig.submit(request_for(head), "one")
    worker = threading.Thread(target=rig.runner.review, args=(old,))
    worker.start()
    assert gate.entered.wait(10)
    newer = rig.submit(request_for(head, reason="check_run.rerequested"), "two")
    gate.release.set()
    worker.join(timeout=20)
    [run] = rig.sim.runs_for(head)
    assert (run["status"], run["conclusion"]) == ("completed", "cancelled")
    assert rig.store.get(old).state == SUPERSEDED
    assert (newer, 0.0) in rig.queue.woken  # the newest job is woken as soon as the lock is free


def test_a_job_for_a_pushed_over_head_reviews_the_head_there_is_now(rig: Rig) -> None:
    # Its pull request's newer job may have been coalesced into it (a delayed or replayed event): it is the newest.
    repo, _base, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    newer = repo.commit({}, parent=head, changes={"apps/app2/configmap.yaml": CONFIGMAP.format(name="x", n=1)})
    repo.pulls[1].head_sha = newer
    job = rig.submit(request_for(head))
    rig.runner.review(job)
    assert rig.sim.runs_for(head) == []
    [run] = rig.sim.runs_for(newer)
    assert (run["status"], run["conclusion"]) == ("completed", "failure")
    assert rig.store.get(job).state == DONE


def test_an_exhausted_job_closes_its_run(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, job_attempts=1, job_lease=1.0)
    try:
        _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
        job = rig.submit(request_for(head))
        rig.store.claim(job, "dead-process", 0.0, 1.0, 1)  # claimed long ago by a process that died
        created = rig.runner.apps.installation(1).repository("acme/fleet").create_check_run(
            name="flux-review", head_sha=head, status="in_progress", external_id=job)
        rig.store.set_check_run(job, created.id)  # the run it had started
        rig.runner.review(job)
        [closed] = rig.sim.runs_for(head)
        assert (closed["status"], closed["conclusion"]) == ("completed", "neutral")
        assert "interrupted" in closed["output"]["title"]
        assert "interrupted 1 time (the worker" in closed["output"]["summary"]
    finally:
        rig.sim.stop()


def test_a_retried_job_adopts_the_run_it_created_but_never_recorded(rig: Rig) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    job = rig.submit(request_for(head))
    rig.store.claim(job, "dead-process", 0.0, 1.0, 3)  # died right after GitHub created the run
    rig.runner.apps.installation(1).repository("acme/fleet").create_check_run(
        name="flux-review", head_sha=head, status="in_progress", external_id=job)
    rig.runner.review(job)
    [run] = rig.sim.runs_for(head)
    assert (run["status"], run["conclusion"]) == ("completed", "failure")


def test_a_rerun_for_a_commit_finds_its_pull_request(rig: Rig) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1, number=6)
    job = rig.submit(ReviewRequest(1, "acme/fleet", None, head, "main", "check_suite.rerequested"))
    rig.runner.review(job)
    assert rig.store.get(job).outcome == "resolved"
    resolved = [j for j, _ in rig.queue.woken if j != job]
    assert len(resolved) == 1
    assert rig.store.get(resolved[0]).payload["pull_number"] == 6


def test_a_review_past_its_memory_limit_ends_neutral_and_the_next_review_is_untouched(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, review_timeout=60, review_cpu=60, review_memory=32 * 1024 * 1024)
    try:
        _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
        rig.runner.review(rig.submit(request_for(head)))
        [run] = rig.sim.runs_for(head)
        assert (run["status"], run["conclusion"]) == ("completed", "neutral")
        assert run["output"]["title"] == "The review passed its memory limit"
        assert "FLUX_REVIEW_REVIEW_MEMORY" in run["output"]["summary"]
        assert "Other reviews were not affected" in run["output"]["summary"]
    finally:
        rig.sim.stop()
    roomy = make_rig(tmp_path / "roomy", review_timeout=60, review_cpu=60, review_memory=2 * 1024**3)
    try:
        _, _, head = pull_with_broken_yaml(roomy.sim, "acme/other", 1)
        roomy.runner.review(roomy.submit(request_for(head, repo="acme/other")))
        [run] = roomy.sim.runs_for(head)
        assert run["conclusion"] == "failure"  # the broken YAML, found by a child with room
    finally:
        roomy.sim.stop()


def test_a_computed_verdict_github_will_not_take_is_parked_and_posted_later(rig: Rig) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    rig.sim.add_fault(Fault("PATCH", r"^api:/repos/acme/fleet/check-runs/", "status", times=100, status=502))
    job = rig.submit(request_for(head))
    rig.runner.review(job)
    record = rig.store.get(job)
    assert record.state == FINALIZING
    parked = record.final_output["outcome"]
    assert parked["conclusion"] == "failure" and parked["annotations"]  # the verdict, not a failure message
    rig.sim.clear_faults()
    rig.runner.finalize(job)
    [run] = rig.sim.runs_for(head)
    assert (run["status"], run["conclusion"]) == ("completed", "failure")
    assert len(rig.sim.check_runs[run["id"]]["annotations"]) == len(parked["annotations"])
    assert rig.store.get(job).state == DONE


def test_a_long_rate_limit_wait_says_so_on_the_run_it_leaves_in_progress(rig: Rig) -> None:
    _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
    reset = str(int(time.time()) + 3600)
    rig.sim.add_fault(Fault("GET", r"^api:/repos/acme/fleet/compare/", "status", times=10, status=403,
                            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
                            body={"message": "API rate limit exceeded for installation ID 1."}))
    job = rig.submit(request_for(head))
    rig.runner.review(job)
    [run] = rig.sim.runs_for(head)
    assert run["status"] == "in_progress"
    assert run["output"]["title"] == "Waiting for GitHub's rate limit"
    assert "resumes at about" in run["output"]["summary"]
    assert rig.store.get(job).state == QUEUED
    assert rig.queue.woken[-1][1] >= 3000  # woken again when the limit resets
