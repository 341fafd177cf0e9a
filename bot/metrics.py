"""Prometheus metrics that operators scrape from ``/metrics`` (and from workers' metrics port).

Metric objects are defined once per process, as prometheus-client expects;
labels are low-cardinality (endpoint templates, not URLs; event names, not
deliveries). In embedded mode the jobs run in a child of the web process
(``bot.consumer``), which serves its metrics on a port of 127.0.0.1; the
web process's ``/metrics`` adds them to its own (``page``), so one page
shows everything; in scale-out mode the web process counts
webhooks, queued jobs and the queue depth, and each ``flux-review worker``
counts its jobs and GitHub requests on its ``--metrics-port``.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
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


# What the review worker process records: on the web process's page its figures are added to the web process's.
# Everything else there (the process's own CPU and memory, the webhooks) is the web process's alone.
REVIEW_FAMILIES = frozenset(family._name for family in (  # type: ignore[attr-defined]
    GITHUB_CALLS, GITHUB_WAITS, RATE_LIMIT_REMAINING, JOBS_RUNNING, JOBS_RETRIED, JOBS, REVIEW_SECONDS))
_other_processes: list[Callable[[], str | None]] = []
SCRAPE_TIMEOUT = 2.0


def include_process(url: Callable[[], str | None]) -> None:
    """Add, on ``page()``, the review figures of the process whose metrics ``url()`` names (None: none now)."""
    _other_processes.append(url)


def page() -> bytes:
    """This process's metrics in Prometheus' text format, with those of the processes it includes added.

    Counters and histograms of the same name and labels are summed (each
    process counts its own), and so are gauges (jobs running, rate limits
    noted: one process sets each); ``_created`` keeps the earliest. A process
    that does not answer within ``SCRAPE_TIMEOUT`` is left out, logged.
    """
    own = generate_latest(REGISTRY)
    if not _other_processes:
        return own
    families = {family.name: family for family in text_string_to_metric_families(own.decode())}
    for url in _other_processes:
        text = _scrape(url())
        for family in text_string_to_metric_families(text):
            base = family.name.removesuffix("_created")
            if base in REVIEW_FAMILIES or base.removesuffix("_total") in REVIEW_FAMILIES:
                families[family.name] = _added(families.get(family.name), family)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(list(families.values())))
    return generate_latest(registry)


def _scrape(url: str | None) -> str:
    if url is None:
        return ""
    try:
        with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT) as answer:
            return answer.read().decode()
    except OSError as error:
        log.warning("metrics of the review worker process left out: %s", error)
        return ""


def _added(mine: Metric | None, theirs: Metric) -> Metric:
    if mine is None:
        return theirs
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for sample in [*mine.samples, *theirs.samples]:
        key = (sample.name, tuple(sorted(sample.labels.items())))
        if key not in values:
            values[key] = sample.value
        elif sample.name.endswith("_created"):
            values[key] = min(values[key], sample.value)
        else:
            values[key] += sample.value
    merged = Metric(mine.name, mine.documentation, mine.type)
    for (name, labels), value in values.items():
        merged.add_sample(name, dict(labels), value)
    return merged


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)
