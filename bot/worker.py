"""Running jobs in a worker: claim, heartbeat, review, and never a Check Run left in progress.

``JobRunner.review`` is what a huey wake-up calls. It claims the job in the
ledger (which coalesces and locks per pull request), keeps the lease alive
while the review runs, and turns every way a review can end into a
completed Check Run: the verdict, a cancellation when superseded, or a
clear failure message. Transient GitHub trouble retries the job later
(bounded by ``FLUX_REVIEW_JOB_ATTEMPTS``). If even completing the Check
Run fails, the output is parked in the ledger and ``JobRunner.finalize``
retries it until GitHub takes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType

from bot import checkrun, logs, metrics
from bot.checkrun import NotPosted, Outcome
from bot.failures import LostLease, Superseded, classify
from bot.github import GitHubApps
from bot.jobs import Queue
from bot.review import ReviewJob
from bot.review_request import ReviewRequest
from bot.settings import Settings
from bot.state import DONE, FAILED, FINALIZING, SUPERSEDED, JobRecord, Store
from checks.findings import counted

log = logging.getLogger(__name__)


class Heartbeat:
    """Renews a running job's lease in the background; ``lost`` is set when the job stopped being ours."""

    def __init__(self, store: Store, job_id: str, owner: str, lease: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.store, self.job_id, self.owner, self.lease, self.clock = store, job_id, owner, lease, clock
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=logs.carry(self._beat), name=f"heartbeat-{job_id[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                if not self.store.heartbeat(self.job_id, self.owner, self.clock(), self.lease):
                    self.lost.set()
                    return
            except Exception:
                log.warning("job %s: could not renew its lease; will try again", self.job_id)


class JobRunner:
    """Runs review jobs and Check Run finalizations for one worker process."""

    def __init__(self, settings: Settings, store: Store, queue: Queue, apps: GitHubApps, owner: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.queue = queue
        self.apps = apps
        self.owner = owner
        self.clock = clock

    # -- reviews -----------------------------------------------------------------
    @logs.job_scoped
    def review(self, job_id: str) -> None:
        tuning = self.settings.tuning
        claim = self.store.claim(job_id, self.owner, self.clock(), tuning.job_lease, tuning.job_attempts)
        job = claim.job
        if claim.outcome == "gone" or job is None:
            return
        _log_context(job)
        if claim.outcome == "busy":
            # Another review of this pull request runs; it wakes the newest job when it ends.
            log.info("job %s: another review of %s is running; waiting for it", job_id, job.key)
            self.queue.wake(job_id, delay=max(1.0, tuning.review_delay))
            return
        if claim.outcome == "superseded":
            metrics.JOBS.labels("superseded").inc()
            self._close(job, _cancelled("a newer push or request replaced this review"), SUPERSEDED)
            return
        if claim.outcome == "exhausted":
            metrics.JOBS.labels("exhausted").inc()
            self._close(job, Outcome(
                "neutral", "The review was interrupted",
                f"The review was interrupted {counted(job.attempts, 'time')} (the worker stopped or lost GitHub) "
                "and was given up. Use **Re-run** on this check to try again."), FAILED)
            return
        started = time.monotonic()
        with metrics.JOBS_RUNNING.track_inprogress(), \
                Heartbeat(self.store, job_id, self.owner, tuning.job_lease, self.clock) as heartbeat:
            try:
                label = self._attempt(job, heartbeat)
            except LostLease:
                log.warning("job %s: another worker took it over; stopping", job_id)
                return
            except Exception as error:
                self._failed(job_id, error)
                return
        metrics.REVIEW_SECONDS.observe(time.monotonic() - started)
        metrics.JOBS.labels(label).inc()
        self._finished(job_id, DONE, label)

    def _attempt(self, job: JobRecord, heartbeat: Heartbeat) -> str:
        request = ReviewRequest.from_payload(job.payload)

        def still_current() -> None:
            if heartbeat.lost.is_set():
                raise LostLease(job.id)
            if not self.store.is_latest(job.id):
                raise Superseded("a newer push or request replaced this review")

        return ReviewJob(
            client=self.apps.installation(request.installation_id),
            request=request,
            job_id=job.id,
            tuning=self.settings.tuning,
            existing_check_run=job.check_run_id,
            adopt=job.attempts > 1 and job.check_run_id is None,
            remember_check_run=lambda run_id: self.store.set_check_run(job.id, run_id),
            still_current=still_current,
            resubmit=lambda resolved: self._resubmit(job, resolved),
        ).run()

    def _resubmit(self, job: JobRecord, resolved: ReviewRequest) -> None:
        accepted = self.queue.submit(f"resolved:{job.id}", resolved)
        log.info("job %s: queued a review of pull request #%s (%s) as job %s", job.id, resolved.pull_number,
                 resolved.reason,
                 accepted.job_id)

    def _failed(self, job_id: str, error: Exception) -> None:
        job = self.store.get(job_id)
        if job is None:
            return
        if isinstance(error, Superseded):
            log.info("job %s: superseded (%s)", job_id, error)
            metrics.JOBS.labels("superseded").inc()
            self._close(job, _cancelled(str(error)), SUPERSEDED)
            return
        if isinstance(error, NotPosted):
            # The verdict is computed: park it rather than review again (or give it up for a failure message).
            log.warning("job %s: GitHub did not take the verdict (%s); parking it", job_id,
                        type(error.cause).__name__)
            metrics.JOBS.labels(error.outcome.conclusion).inc()
            self._park(job, error.outcome, DONE, tries=0)
            return
        failure = classify(error)
        tuning = self.settings.tuning
        if failure.transient and job.attempts < tuning.job_attempts:
            delay = tuning.job_retry_delay * 2 ** (job.attempts - 1)
            if failure.retry_after is not None:
                delay = max(delay, failure.retry_after)
            log.warning("job %s: attempt %d failed (%s); retrying in %.1f s", job_id, job.attempts,
                        type(error).__name__, delay)
            metrics.JOBS_RETRIED.inc()
            now = self.clock()
            self.store.retry_later(job_id, self.owner, now, now + delay, tuning.requeue_after)
            self.queue.wake(job_id, delay)
            if failure.retry_after is not None and job.check_run_id is not None:
                self._say_waiting(job, delay)
            return
        if failure.transient:
            log.error("job %s: giving up after %d attempts (%s)", job_id, job.attempts, type(error).__name__)
        elif failure.internal:
            log.error("job %s failed", job_id, exc_info=error)
        else:
            log.warning("job %s: %s (%s)", job_id, failure.outcome.title, type(error).__name__)
        metrics.JOBS.labels("failed").inc()
        self._close(job, failure.outcome, FAILED)

    def _close(self, job: JobRecord, outcome: Outcome, state: str) -> None:
        """Complete the job's Check Run (if it has one) with ``outcome``; park it if GitHub refuses."""
        if job.check_run_id is None:
            self._finished(job.id, state, outcome.title)
            return
        try:
            self._post(job, outcome)
        except Exception as error:
            log.warning("job %s: could not complete Check Run %s (%s); will retry", job.id, job.check_run_id,
                        type(error).__name__)
            self._park(job, error.outcome if isinstance(error, NotPosted) else outcome, state, tries=0)
            return
        self._finished(job.id, state, outcome.title)

    def _post(self, job: JobRecord, outcome: Outcome) -> None:
        request = ReviewRequest.from_payload(job.payload)
        repo = self.apps.installation(request.installation_id).repository(request.repository)
        checkrun.finish(repo.get_check_run(int(job.check_run_id or 0)), outcome)

    def _say_waiting(self, job: JobRecord, delay: float) -> None:
        """Best effort: a run left in progress for a long rate-limit wait says so, and until when."""
        request = ReviewRequest.from_payload(job.payload)
        try:
            repo = self.apps.installation(request.installation_id).repository(request.repository)
            checkrun.waiting(repo.get_check_run(int(job.check_run_id or 0)), delay)
        except Exception as error:
            log.info("job %s: could not say on its Check Run that it waits (%s)", job.id, type(error).__name__)

    def _park(self, job: JobRecord, outcome: Outcome, state: str, tries: int) -> None:
        tuning = self.settings.tuning
        delay = min(3600.0, max(tuning.job_retry_delay, 0.5) * 2 ** tries)
        now = self.clock()
        output = {"outcome": outcome.to_dict(), "state": state, "tries": tries}
        self.store.finalize_later(job.id, now, output, wake_at=now + delay + tuning.requeue_after)
        self.queue.wake_finalizer(job.id, delay)

    def _finished(self, job_id: str, state: str, outcome: str) -> None:
        finished = self.store.finish(job_id, self.owner, self.clock(), state, outcome)
        if finished.next_job:
            self.queue.wake(finished.next_job)

    # -- finalizations -------------------------------------------------------------
    @logs.job_scoped
    def finalize(self, job_id: str) -> None:
        """Complete a parked Check Run; retried with growing delays, bounded by FLUX_REVIEW_FINALIZE_RETRIES."""
        job = self.store.get(job_id)
        if job is None or job.state != FINALIZING or not job.final_output:
            return
        _log_context(job)
        outcome = Outcome.from_dict(job.final_output["outcome"])
        state = str(job.final_output.get("state", FAILED))
        tries = int(job.final_output.get("tries", 0)) + 1
        try:
            self._post(job, outcome)
        except Exception as error:
            if tries > self.settings.tuning.finalize_retries:
                log.error("job %s: gave up completing Check Run %s after %d tries (%s)", job_id,
                          job.check_run_id, tries, type(error).__name__)
                self._finished(job_id, FAILED, "check run not completed")
                return
            log.warning("job %s: completing Check Run %s failed again (%s)", job_id, job.check_run_id,
                        type(error).__name__)
            self._park(job, error.outcome if isinstance(error, NotPosted) else outcome, state, tries)
            return
        self._finished(job_id, state, outcome.title)


def _log_context(job: JobRecord) -> None:
    """Name the job's delivery, installation, repository and pull request on every line it logs from now on."""
    request = ReviewRequest.from_payload(job.payload)
    logs.bind(delivery=request.delivery or None, installation=request.installation_id,
              repository=request.repository, pull=request.pull_number)


def _cancelled(reason: str) -> Outcome:
    return Outcome("cancelled", "Superseded", f"This review stopped: {reason}.")
