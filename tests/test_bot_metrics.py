"""``/metrics`` after real reviews: every family an operator watches is there, with the values the review made."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from bot_support import payloads
from bot_support.delivery import deliver
from bot_support.inprocess import settings_for
from bot_support.keys import key_pair
from bot_support.process import BotProcess, bot_environment, free_port, serve
from bot_support.redis_server import redis_server
from bot_support.repos import pull_with_broken_yaml
from bot_support.waiting import wait_until
from flask import Flask
from github_sim import Fault, GitHubSim
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.serving import make_server

from bot import metrics
from bot.app import create_app

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
REVIEW_TIMEOUT = 30.0


def scrape(url: str) -> Samples:
    """Every sample of a ``/metrics`` page, by name and labels."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def scrape_once_counted(url: str, name: str, **labels: str) -> Samples:
    """The first scrape in which ``name{labels}`` has a value (a job is counted just after its Check Run)."""

    def counted() -> Samples | None:
        samples = scrape(url)
        return samples if value(samples, name, **labels) else None

    return wait_until(counted, 10, what=f"{name} to be counted")


def completed_run(sim: GitHubSim, sha: str) -> dict:
    return wait_until(lambda: next((r for r in sim.runs_for(sha) if r["status"] == "completed"), None),
                      REVIEW_TIMEOUT, what=f"a completed check run on {sha[:7]}")


def test_one_review_shows_in_every_family(tmp_path: Path) -> None:
    app_id, secret, installation = "9191", b"metrics secret", 24
    sim = GitHubSim(app_id, key_pair()[1]).start()
    bot = None
    try:
        _repo, _, head = pull_with_broken_yaml(sim, "acme/metered", installation_id=installation)
        # GitHub fails the pull request twice: one request retry is allowed, so the first attempt of the job
        # fails transiently and the job is retried.
        sim.add_fault(Fault("GET", r"^api:/repos/acme/metered/pulls/1$", "status", times=2, status=502))
        env = bot_environment(app_id, key_pair()[0], secret, sim.url, tmp_path / "data", github_retries="1")
        bot = serve(env, tmp_path / "bot.log")
        answer = deliver(bot.url, "pull_request", payloads.pull_request("opened", "acme/metered", 1, head,
                                                                        installation_id=installation), secret)
        assert answer.status_code == 202
        assert completed_run(sim, head)["conclusion"] == "failure"
        samples = scrape_once_counted(bot.url, "flux_review_jobs_total", outcome="failure")
        used = sim.rate_used[installation]
    finally:
        if bot is not None:
            bot.stop()
        sim.stop()

    assert value(samples, "flux_review_webhooks_total", event="pull_request", outcome="queued") == 1
    assert value(samples, "flux_review_jobs_queued_total", reason="pull_request.opened") == 1
    assert value(samples, "flux_review_jobs_running") == 0
    assert value(samples, "flux_review_jobs_retried_total") == 1
    assert value(samples, "flux_review_jobs_total", outcome="failure") == 1
    assert value(samples, "flux_review_review_seconds_count") == 1
    assert value(samples, "flux_review_queue_depth") == 0

    def github(method: str, endpoint: str, status: str) -> float | None:
        return value(samples, "flux_review_github_requests_total", method=method, endpoint=endpoint, status=status)

    assert github("POST", "/app/installations/{n}/access_tokens", "201") == 1
    assert github("GET", "/repos/{owner}/{repo}/pulls/{n}", "502") == 2
    assert (github("GET", "/repos/{owner}/{repo}/pulls/{n}", "200") or 0) >= 1
    assert github("GET", "/repos/{owner}/{repo}/tarball/{ref}", "302") == 2  # base and head
    assert github("GET", "archive-download", "200") == 2  # the redirect host's answers are counted too
    assert (github("PATCH", "/repos/{owner}/{repo}/check-runs/{n}", "200") or 0) >= 1
    endpoints = {dict(labels)["endpoint"] for name, labels in samples if name == "flux_review_github_requests_total"}
    assert not [e for e in endpoints if "acme" in e or "metered" in e or "token=" in e]  # templates, never URLs
    # The latest answer said how many requests the installation has left in GitHub's window.
    assert value(samples, "flux_review_github_rate_limit_remaining", installation=str(installation)) == 5000 - used


@contextmanager
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_queue_depth_is_read_from_the_ledger_when_scraped(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path, review_delay=600.0)  # nothing runs: no workers here
    secret = settings.webhook_secret
    with served(create_app(settings)) as url:
        assert value(scrape(url), "flux_review_queue_depth") == 0
        for number in (1, 2, 2):  # the third is a second push to pull request 2: a job of its own, superseding
            answer = deliver(url, "pull_request", payloads.pull_request("synchronize", "acme/waiting", number,
                                                                        "a" * 39 + str(number)), secret)
            assert answer.json()["status"] == "queued"
        assert value(scrape(url), "flux_review_queue_depth") == 3


def test_a_ledger_that_does_not_answer_leaves_the_sample_out_not_the_scrape() -> None:
    depth = metrics.QueueDepth()

    def unreachable() -> int:
        raise ConnectionError("ledger gone")

    depth.watch(unreachable)
    [family] = list(depth.collect())
    assert (family.name, family.samples) == ("flux_review_queue_depth", [])
    depth.watch(lambda: 4)
    [family] = list(depth.collect())
    assert [s.value for s in family.samples] == [4]


def test_rate_limit_headers_that_are_not_counts_are_ignored() -> None:
    metrics.note_rate_limit("77", {"X-RateLimit-Remaining": "4321"})
    for junk in ({"X-RateLimit-Remaining": "soon"}, {"X-RateLimit-Remaining": "-1"}, {}):
        metrics.note_rate_limit("77", junk)
    assert metrics.RATE_LIMIT_REMAINING.labels("77")._value.get() == 4321


@pytest.mark.redis
def test_scale_out_workers_show_their_jobs_on_their_metrics_port(tmp_path: Path) -> None:
    app_id, secret, installation = "9292", b"scale-out metrics secret", 25
    sim = GitHubSim(app_id, key_pair()[1]).start()
    processes: list[BotProcess] = []
    (tmp_path / "redis").mkdir()
    try:
        with redis_server(tmp_path / "redis", db=5) as redis_url:
            _repo, _, head = pull_with_broken_yaml(sim, "fleet/metered", installation_id=installation)
            env = bot_environment(app_id, key_pair()[0], secret, sim.url, tmp_path / "data", redis_url=redis_url)
            web = serve(env, tmp_path / "web.log")
            processes.append(web)
            port = free_port()
            worker = BotProcess(["worker", "--metrics-port", str(port)], env, tmp_path / "worker.log").start()
            processes.append(worker)
            worker_url = f"http://127.0.0.1:{port}"
            wait_until(lambda: _answers(worker_url), 30, 0.1, "the worker's metrics port")
            deliver(web.url, "pull_request", payloads.pull_request("opened", "fleet/metered", 1, head,
                                                                   installation_id=installation), secret)
            completed_run(sim, head)
            on_worker = scrape_once_counted(worker_url, "flux_review_jobs_total", outcome="failure")
            on_web = scrape(web.url)
    finally:
        for process in processes:
            process.stop()
        sim.stop()
    assert value(on_web, "flux_review_webhooks_total", event="pull_request", outcome="queued") == 1
    assert value(on_web, "flux_review_jobs_queued_total", reason="pull_request.opened") == 1
    assert value(on_web, "flux_review_queue_depth") == 0  # the shared ledger, counted by the web process
    assert value(on_web, "flux_review_jobs_total", outcome="failure") is None  # jobs run elsewhere
    assert value(on_worker, "flux_review_review_seconds_count") == 1
    assert value(on_worker, "flux_review_jobs_running") == 0
    assert value(on_worker, "flux_review_github_requests_total", method="GET",
                 endpoint="archive-download", status="200") == 2
    assert (value(on_worker, "flux_review_github_rate_limit_remaining", installation=str(installation)) or 0) > 0


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/metrics", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_the_page_adds_the_review_worker_process_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

    other = CollectorRegistry()
    Counter("flux_review_jobs_total", "Review jobs finished, by outcome", ["outcome"],
            registry=other).labels("success").inc(3)
    Gauge("flux_review_jobs_running", "Review jobs running in this process now", registry=other).set(2)
    Counter("flux_review_webhooks_total", "not the review process's to report", ["event", "outcome"],
            registry=other).labels("ping", "pong").inc(7)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=other)
    monkeypatch.setattr(metrics, "_other_processes", [])
    try:
        own = _parsed(metrics.page())
        before = value(own, "flux_review_jobs_total", outcome="success") or 0
        metrics.include_process(lambda: f"http://127.0.0.1:{server.server_port}/metrics")
        samples = _parsed(metrics.page())
        assert value(samples, "flux_review_jobs_total", outcome="success") == before + 3
        assert value(samples, "flux_review_jobs_running") == 2
        # Webhooks are the web process's alone: the other process's count is not added.
        assert value(samples, "flux_review_webhooks_total", event="ping", outcome="pong") == value(
            own, "flux_review_webhooks_total", event="ping", outcome="pong")
        metrics._other_processes[:] = [lambda: None]  # restarting: this process's figures alone
        assert value(_parsed(metrics.page()), "flux_review_jobs_total", outcome="success") == (before or None)
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _parsed(page: bytes) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(page.decode()) for sample in family.samples}
