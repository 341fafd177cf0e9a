"""Posting the planned comments on a pull request: one COMMENT review per head, resolved comments hidden.

What was already said is read back from GitHub, never from our own
database: the markers in our review comments (``bot.review_comments``)
survive a restart, a second worker and a lost ``DATA_DIR``. The calls:

- one ``GET pulls/{n}/comments`` per 100 review comments;
- one ``POST pulls/{n}/reviews`` (event ``COMMENT``: without it the review
  stays pending, invisible to everyone else) when something is new;
- for each of our comments whose finding is gone, one ``PATCH`` that
  says it was resolved (so the next read knows), and one GraphQL request
  for all of them that minimizes them as outdated.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from github import GithubException
from github.PullRequest import PullRequest

from bot.review_comments import CommentPlan, PostedComment, read_marker, resolved_body

log = logging.getLogger(__name__)


def posted_comments(pull: PullRequest) -> list[PostedComment]:
    """Our review comments on the pull request: those by a bot account that carry our marker."""
    found = []
    for comment in pull.get_review_comments():
        # Attributes, not raw_data: reading raw_data would fetch every comment again.
        if comment.user is None or comment.user.type != "Bot":
            continue  # a person quoting our marker does not make a comment ours
        read = read_marker(comment.body or "")
        if read is None:
            continue
        prints, resolved = read
        found.append(PostedComment(comment.id, comment.node_id or "", comment.body or "", prints, resolved))
    return found


def publish(pull: PullRequest, head_sha: str, plan: CommentPlan) -> int | None:
    """Post the plan's review (when it has comments) and retire resolved comments; returns the review id."""
    review_id = None
    if plan.posts_review:
        _, data = pull._requester.requestJsonAndCheck("POST", f"{pull.url}/reviews", input={
            "commit_id": head_sha,
            "event": "COMMENT",
            "body": plan.body,
            "comments": [comment.to_api() for comment in plan.comments],
        })
        review_id = int(data["id"])
        log.info("posted review %s with %d comment(s)", review_id, len(plan.comments))
    if plan.resolved:
        retire(pull, head_sha, plan.resolved)
    return review_id


def retire(pull: PullRequest, head_sha: str, comments: Sequence[PostedComment]) -> None:
    """Mark comments whose finding is gone: edit them to say so, then minimize them as outdated."""
    base = pull.url.rsplit("/pulls/", 1)[0]
    for comment in comments:
        try:
            pull._requester.requestJsonAndCheck("PATCH", f"{base}/pulls/comments/{comment.id}",
                                                input={"body": resolved_body(comment, head_sha)})
        except GithubException as error:
            if error.status != 404:  # deleted meanwhile: nothing to retire
                raise
    subjects = [c.node_id for c in comments if c.node_id]
    if not subjects:
        return
    fields = " ".join(
        f'c{index}: minimizeComment(input: {{subjectId: $s{index}, classifier: OUTDATED}}) '
        "{ minimizedComment { isMinimized } }" for index in range(len(subjects)))
    params = ", ".join(f"$s{index}: ID!" for index in range(len(subjects)))
    query = f"mutation({params}) {{ {fields} }}"
    try:
        pull._requester.graphql_query(query, {f"s{i}": node for i, node in enumerate(subjects)})
    except GithubException as error:
        # Hiding is cosmetic: the edited bodies already say the findings are resolved.
        log.warning("could not minimize %d resolved comment(s) (HTTP %s)", len(subjects), error.status)
