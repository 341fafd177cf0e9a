"""Prometheus metrics that operators scrape from ``/metrics`` (and from workers' metrics port).

Metric objects are defined once per process, as prometheus-client expects;
labels are low-cardinality (endpoint templates, not URLs; event names, not
deliveries). In embedded mode the jobs run in the web process, so one
``/metrics`` shows everything; in scale-out mode the web process counts
webhooks, queued jobs and the queue depth, and each ``flux-review worker``
counts its jobs and GitHub requests on its ``--metrics-port``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

WEBHOOKS = Counter(
    "flux_review_webhooks_total", "Webhook deliveries received, by event and outcome", ["event", "outcome"]
)
GITHUB_CALLS = Counter(
    "flux_review_github_requests_total",
    "Requests sent to GitHub (every attempt), by method, endpoint template and status",
    ["method", "endpoint", "status"],
)
GITHUB_WAITS = Histogram(
    "flux_review_github_wait_seconds",
    "Seconds slept before retrying a GitHub request, by reason",
    ["reason"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)
RATE_LIMIT_REMAINING = Gauge(
    "flux_review_github_rate_limit_remaining",
    "Requests left in GitHub's rate-limit window, per installation (X-RateLimit-Remaining of its latest answer)",
    ["installation"],
)
JOBS_QUEUED = Counter(
    "flux_review_jobs_queued_total", "Review jobs queued, by the event that asked for them", ["reason"]
)
JOBS_RUNNING = Gauge("flux_review_jobs_running", "Review jobs running in this process now")
JOBS_RETRIED = Counter(
    "flux_review_jobs_retried_total", "Review attempts that failed transiently and were put back in the queue"
)
JOBS = Counter("flux_review_jobs_total", "Review jobs finished, by outcome", ["outcome"])
REVIEW_SECONDS = Histogram(
    "flux_review_review_seconds", "Seconds from claiming a review job to its Check Run completed",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
)

QUEUE_DEPTH_NAME = "flux_review_queue_depth"
QUEUE_DEPTH_HELP = "Review jobs waiting to run, read from the job ledger when scraped"


def note_rate_limit(installation: str, headers: Mapping[str, str]) -> None:
    """Remember an installation's remaining requests from an answer's ``X-RateLimit-Remaining`` header."""
    value = headers.get("X-RateLimit-Remaining")
    if value is None:
        return
    try:
        remaining = int(value.strip())
    except ValueError:
        return
    if remaining >= 0:
        RATE_LIMIT_REMAINING.labels(installation).set(remaining)


class QueueDepth(Collector):
    """The queue depth, counted when Prometheus scrapes rather than kept up to date on every change.

    Every process shares one ledger, so counting it at scrape time is exact
    where a gauge kept by each process would not be. ``count`` must be cheap
    and bounded in time (``bot.readiness.Readiness.waiting_jobs``); when it
    fails the sample is left out rather than the scrape.
    """

    def __init__(self) -> None:
        self._count: Callable[[], int] | None = None

    def watch(self, count: Callable[[], int] | None) -> None:
        """Count waiting jobs with ``count`` from now on (the web process's ledger)."""
        self._count = count

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(QUEUE_DEPTH_NAME, QUEUE_DEPTH_HELP)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(QUEUE_DEPTH_NAME, QUEUE_DEPTH_HELP)
        count = self._count
        if count is not None:
            try:
                family.add_metric([], count())
            except Exception as error:
                log.warning("queue depth not reported: the job ledger did not answer (%s)", error)
        yield family


QUEUE_DEPTH = QueueDepth()
REGISTRY.register(QUEUE_DEPTH)
