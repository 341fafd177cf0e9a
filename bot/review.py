"""The steps of one review job: from a pull request to a completed Check Run.

1. read the pull request (still open? is the requested head still its head?);
2. start the Check Run in progress on the head commit;
3. load the configuration from the default branch;
4. fetch the archives of merge base and head, and the changed files;
5. run the engine's differential review, in a child process with limits
   on time and memory (``bot.sandbox``);
6. comment the new findings on the changed lines (one COMMENT review, only
   when something is new) and retire our comments whose finding is gone;
7. complete the Check Run with the verdict.

Comments come before the verdict: should posting them fail, the job is
retried or closed like any other failure, and a completed verdict is never
overwritten. A slash command is a job of its own (``_answer``): the
commenter's permission first, then a reaction and, for ``recheck``, a
review queued like any other.

Between the slow steps the job asks whether it is still the newest job of
its pull request; if not it stops (``Superseded``) and the worker closes the
Check Run as cancelled. Errors propagate to the worker, which retries or
closes the run (``bot.failures``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from github.Repository import Repository

from bot import checkrun, commands, pull_review, repo_config, sandbox, snapshot
from bot.analysis import Archive, analyze_change
from bot.failures import Superseded
from bot.github import InstallationClient
from bot.review_comments import plan_comments
from bot.review_request import ReviewRequest
from bot.settings import Tuning
from checks.config import CONFIG_PATHS

log = logging.getLogger(__name__)


@dataclass
class ReviewJob:
    """One attempt at reviewing ``request``, with callbacks into the ledger.

    ``remember_check_run`` records the created run's id; ``still_current``
    raises ``Superseded`` or ``LostLease`` when the job must stop;
    ``resubmit`` queues the request again once its pull request is known.
    """

    client: InstallationClient
    request: ReviewRequest
    job_id: str
    tuning: Tuning
    existing_check_run: int | None
    adopt: bool
    remember_check_run: Callable[[int], None]
    still_current: Callable[[], None]
    resubmit: Callable[[ReviewRequest], None]

    def run(self) -> str:
        """Review; returns a short outcome label for logs and metrics."""
        request = self.request
        repo = self.client.repository(request.repository)
        if request.pull_number is None:
            return self._resolve_pull(repo)
        if request.command:
            return self._answer(repo, request.pull_number)
        pull = repo.get_pull(request.pull_number)
        if pull.state != "open":
            if self.existing_check_run is not None:
                raise Superseded(f"pull request #{pull.number} was closed")
            return "closed"
        head_sha = pull.head.sha
        if request.head_sha and head_sha != request.head_sha:
            if self.existing_check_run is not None:  # its run sits on the commit it was asked for
                raise Superseded(f"the pull request's head moved to {head_sha[:12]}")
            # The event is older than the pull request (a delayed or replayed delivery). This job is the newest
            # of its pull request (a newer one would have superseded it), so it reviews the head there is now.
            log.info("%s#%s: asked for %s, the head is now %s; reviewing that", request.repository,
                     request.pull_number, request.head_sha[:12], head_sha[:12])
        base_tip, listed = pull.base.sha, pull.changed_files
        run = checkrun.start(repo, head_sha, self.job_id, self.existing_check_run, self.adopt)
        if self.existing_check_run is None:
            self.remember_check_run(run.id)
        config = repo_config.with_own_url(
            repo_config.load(self.client.repository, request.repository, request.default_branch), pull)
        base_sha = snapshot.merge_base(repo, base_tip, head_sha)
        self.still_current()
        label = request.repository
        base_archive = Archive(snapshot.fetch_archive(self.client, label, base_sha, self.tuning),
                               f"{label}@{base_sha[:12]}")
        head_archive = Archive(snapshot.fetch_archive(self.client, label, head_sha, self.tuning),
                               f"{label}@{head_sha[:12]}")
        changes = snapshot.changed_files(pull, listed=listed)
        self.still_current()
        # The repository decides what the analysis costs: it runs in a child process with limits.
        review = sandbox.run_limited(analyze_change, (
            base_archive, head_archive, changes.files, config, snapshot.archive_limits(self.tuning),
            checkrun.SUMMARY_LIMIT), self.tuning.analysis_limits)
        self.still_current()
        notes: list[str] = []
        if changes.truncated:
            notes.append(f"GitHub lists only the first {snapshot.MAX_LISTED_FILES:,} changed files; "
                         "findings in the others count as new only when they are new at head.")
        edited = [path for path in CONFIG_PATHS if path in changes.files]
        if edited:
            notes.append(f"This pull request changes `{edited[0]}`: its settings apply after it is merged. "
                         "This review used the default branch's.")
        if config.comments.enabled:
            plan = plan_comments(review.findings, changes.files, pull_review.posted_comments(pull),
                                 config.comments, run.html_url or "")
            self.still_current()
            pull_review.publish(pull, head_sha, plan)
        outcome = checkrun.complete(run, review, self.tuning.max_annotations, notes)
        log.info("%s#%s@%s: %s (%s)", request.repository, request.pull_number, head_sha[:12],
                 outcome.conclusion, outcome.title)
        return outcome.conclusion

    def _answer(self, repo: Repository, number: int) -> str:
        """A slash command: only writers may run one; others get one polite reply."""
        request = self.request
        if commands.permission(repo, request.commenter) not in commands.ALLOWED:
            commands.reply(repo, number, commands.refusal(request.commenter, request.command))
            log.info("%s#%s: /flux-review %s by %s refused (no write permission)", request.repository, number,
                     request.command, request.commenter)
            return "command refused"
        if request.comment_id is not None:
            commands.react(repo, request.comment_id)
        if request.command == "recheck":
            self.resubmit(replace(request, head_sha=None, command="", argument="", comment_id=None, commenter="",
                                  reason=f"/flux-review recheck by @{request.commenter}"))
            return "recheck queued"
        command = commands.Command(request.command, request.argument) if request.command != "help" \
            else commands.Command("help", unknown=request.argument)
        commands.reply(repo, number, commands.answer_text(command))
        return f"answered {request.command}"

    def _resolve_pull(self, repo: Repository) -> str:
        """A re-run whose payload listed no pull request (forks): find it by its head commit."""
        sha = self.request.head_sha or ""
        for pull in repo.get_commit(sha).get_pulls():
            if pull.state == "open" and pull.head.sha == sha:
                self.resubmit(replace(self.request, pull_number=pull.number))
                return "resolved"
        return "no open pull request"
