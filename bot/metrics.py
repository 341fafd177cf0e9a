"""Prometheus metrics that operators scrape from ``/metrics`` (and from workers' metrics port).

Metric objects are defined once per process, as prometheus-client expects;
labels are low-cardinality (endpoint templates, not URLs).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
JOBS = Counter("flux_review_jobs_total", "Review jobs finished, by outcome", ["outcome"])
REVIEW_SECONDS = Histogram(
    "flux_review_review_seconds", "Seconds from claiming a review job to its Check Run completed",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
)
