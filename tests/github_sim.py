"""A small GitHub for the bot's tests: real HTTP on 127.0.0.1, repositories built by the test.

It serves the endpoints the bot uses (installation tokens, pull requests
and their files, compare, contents, tarballs with GitHub's 302 to a
separate archive host, check runs, pull request reviews and review
comments, issue comments and their reactions, collaborator permissions,
GraphQL's ``minimizeComment``), checks credentials the way GitHub does (an
RS256 App JWT from the right App for ``/app/*``, an unexpired installation
token covering the repository elsewhere), validates the bot's writes
against GitHub's rules (check run limits; review comments only on lines
inside the diff's hunks, or the whole review fails with 422), records
every request with its body, and injects faults on demand: error
statuses, 429 with Retry-After, secondary-rate-limit 403s, slow answers,
dropped connections, and gates that hold a request until the test lets it
go.

``ROUTES`` lists every endpoint with the operation of GitHub's OpenAPI
description it plays; ``tests/openapi_shapes.py`` checks the answers
against that description.

Fork pull requests: ``open_fork_pull`` makes a fork outside every
installation (the bot gets 404 from it, as from any repository it is not
installed on) whose head commit is also stored in the base repository, as
GitHub keeps ``refs/pull/N/head``; ``push_to_pull`` moves any pull
request's head.
"""

from __future__ import annotations

import base64
import datetime as dt
import difflib
import hashlib
import hmac
import io
import itertools
import logging
import re
import secrets
import socket
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Flask, Response, jsonify, request
from github_sim_graphql import Enum, GraphQLError, parse, substitute
from werkzeug.serving import make_server

logging.getLogger("werkzeug").setLevel(logging.ERROR)

GATE_TIMEOUT = 30.0  # a gate never holds a request longer than this
MAX_ANNOTATIONS = 50
LEVELS = {"notice", "warning", "failure"}
CONCLUSIONS = {"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}
REVIEW_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
REACTIONS = {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}
PERMISSIONS = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}
CLASSIFIERS = {"SPAM", "ABUSE", "OFF_TOPIC", "OUTDATED", "DUPLICATE", "RESOLVED"}
MAX_COMMENT = 65_536  # characters in a comment or review body
DOCS = "https://docs.github.com/rest"
HTML = "https://github.invalid"


@dataclass
class Commit:
    sha: str
    files: dict[str, bytes]
    parent: str | None


@dataclass
class Pull:
    number: int
    base_ref: str
    base_sha: str
    head_sha: str
    state: str = "open"
    draft: bool = False
    head_ref: str = "change"
    head_repo: SimRepo | None = None  # a fork's repository; None when the head branch is in the base repository


@dataclass
class SimRepo:
    """A repository: commits (single parent), branches, pull requests."""

    full_name: str
    id: int
    default_branch: str = "main"
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    archive_override: dict[str, bytes] = field(default_factory=dict)

    def commit(self, files: dict[str, str | bytes], parent: str | None = None, branch: str | None = None,
               changes: dict[str, str | bytes | None] | None = None) -> str:
        """Add a commit: ``files`` is the full tree, or ``changes`` applied on ``parent`` (None deletes)."""
        tree = dict(self.commits[parent].files) if parent and changes is not None else {}
        if changes is not None:
            for path, content in changes.items():
                if content is None:
                    tree.pop(path, None)
                else:
                    tree[path] = content.encode() if isinstance(content, str) else content
        else:
            tree = {p: c.encode() if isinstance(c, str) else c for p, c in files.items()}
        identity = (self.full_name, sorted(tree.items()), parent, len(self.commits))
        digest = hashlib.sha1(repr(identity).encode()).hexdigest()
        self.commits[digest] = Commit(digest, tree, parent)
        if branch:
            self.branches[branch] = digest
        return digest

    def open_pull(self, number: int, base_ref: str, head_sha: str, draft: bool = False) -> Pull:
        pull = Pull(number, base_ref, self.branches[base_ref], head_sha, draft=draft)
        self.pulls[number] = pull
        return pull

    def ancestors(self, sha: str) -> list[str]:
        chain = []
        current: str | None = sha
        while current is not None:
            chain.append(current)
            current = self.commits[current].parent
        return chain

    def merge_base(self, base: str, head: str) -> str:
        base_line = set(self.ancestors(base))
        return next(s for s in self.ancestors(head) if s in base_line)

    def resolve(self, ref: str) -> str | None:
        if ref in self.commits:
            return ref
        return self.branches.get(ref)


@dataclass
class Fault:
    """Misbehave on matching requests, ``times`` times.

    kind: ``status`` (answer ``status`` with ``headers`` and ``body``), ``slow``
    (sleep ``seconds`` then answer normally), ``drop`` (close the connection
    without an answer), ``gate`` (hold the request until ``release`` is set).
    """

    method: str
    path: str  # a regular expression matched against "api:/the/path" or "archive:/the/path"
    kind: str
    times: int = 1
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=lambda: {"message": "Server Error"})
    seconds: float = 0.0
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method == method and re.search(self.path, path) is not None


@dataclass(frozen=True)
class Recorded:
    """One request the simulator received."""

    host: str  # "api" or "archive"
    method: str
    path: str
    query: str
    status: int
    installation: int | None
    authorization: bool
    at: float
    body: bytes = b""  # the raw request body


@dataclass(frozen=True)
class Route:
    """One endpoint the simulator serves, named by the operation of GitHub's OpenAPI description it plays."""

    method: str
    spec_path: str  # the path template in GitHub's OpenAPI description
    pattern: str | None  # matched against the path after /repos/{owner}/{repo}/; None outside repositories
    handler: Callable[..., Any] | None = None  # (sim, repo, base url, match) -> answer
    body_required: tuple[str, ...] = ()  # request body fields refused with 422 when absent ("list[].field")
    complete: bool = False  # answers carry every field the description requires


REPO = "/repos/{owner}/{repo}"
ACTION_FIELDS = ("actions[].label", "actions[].description", "actions[].identifier")  # a check run's buttons
ROUTES: tuple[Route, ...] = (
    Route("POST", "/app/installations/{installation_id}/access_tokens", None, complete=True),
    Route("POST", "/graphql", None),
    Route("GET", REPO, r"^$", lambda sim, repo, base, m: jsonify(sim._repo_json(repo, base))),
    Route("GET", REPO + "/pulls/{pull_number}", r"^pulls/(\d+)$",
          lambda sim, repo, base, m: sim._pull(repo, base, int(m[1]))),
    Route("GET", REPO + "/pulls/{pull_number}/files", r"^pulls/(\d+)/files$",
          lambda sim, repo, base, m: sim._pull_files(repo, int(m[1]))),
    Route("GET", REPO + "/compare/{basehead}", r"^compare/([^.]+)\.\.\.(.+)$",
          lambda sim, repo, base, m: sim._compare(repo, m[1], m[2])),
    Route("GET", REPO + "/tarball/{ref}", r"^(tarball)/(.+)$", lambda sim, repo, base, m: sim._tarball(repo, m[2])),
    Route("GET", REPO + "/contents/{path}", r"^contents/(.+)$", lambda sim, repo, base, m: sim._contents(repo, m[1])),
    Route("POST", REPO + "/check-runs", r"^check-runs$", lambda sim, repo, base, m: sim._create_run(repo, base),
          body_required=("name", "head_sha", *ACTION_FIELDS)),
    Route("PATCH", REPO + "/check-runs/{check_run_id}", r"^check-runs/(\d+)$",
          lambda sim, repo, base, m: sim._update_run(repo, int(m[1])), body_required=ACTION_FIELDS),
    Route("GET", REPO + "/check-runs/{check_run_id}", r"^check-runs/(\d+)$",
          lambda sim, repo, base, m: sim._get_run(repo, int(m[1]))),
    Route("GET", REPO + "/commits/{ref}/check-runs", r"^commits/([0-9a-f]{40})/check-runs$",
          lambda sim, repo, base, m: sim._runs_for_ref(repo, m[1])),
    Route("GET", REPO + "/commits/{commit_sha}/pulls", r"^commits/([0-9a-f]{40})/pulls$",
          lambda sim, repo, base, m: sim._pulls_for_commit(repo, base, m[1])),
    Route("POST", REPO + "/pulls/{pull_number}/reviews", r"^pulls/(\d+)/reviews$",
          lambda sim, repo, base, m: sim._create_review(repo, base, int(m[1])),
          body_required=("comments[].path", "comments[].body"), complete=True),
    Route("GET", REPO + "/pulls/{pull_number}/reviews", r"^pulls/(\d+)/reviews$",
          lambda sim, repo, base, m: sim._list_reviews(repo, base, int(m[1])), complete=True),
    Route("PUT", REPO + "/pulls/{pull_number}/reviews/{review_id}", r"^pulls/(\d+)/reviews/(\d+)$",
          lambda sim, repo, base, m: sim._edit_review(repo, base, int(m[1]), int(m[2])),
          body_required=("body",), complete=True),
    Route("GET", REPO + "/pulls/{pull_number}/comments", r"^pulls/(\d+)/comments$",
          lambda sim, repo, base, m: sim._list_review_comments(repo, base, int(m[1])), complete=True),
    Route("GET", REPO + "/pulls/comments/{comment_id}", r"^pulls/comments/(\d+)$",
          lambda sim, repo, base, m: sim._get_review_comment(repo, base, int(m[1])), complete=True),
    Route("PATCH", REPO + "/pulls/comments/{comment_id}", r"^pulls/comments/(\d+)$",
          lambda sim, repo, base, m: sim._edit_review_comment(repo, base, int(m[1])),
          body_required=("body",), complete=True),
    Route("DELETE", REPO + "/pulls/comments/{comment_id}", r"^pulls/comments/(\d+)$",
          lambda sim, repo, base, m: sim._delete_review_comment(repo, int(m[1]))),
    Route("POST", REPO + "/issues/{issue_number}/comments", r"^issues/(\d+)/comments$",
          lambda sim, repo, base, m: sim._create_issue_comment(repo, base, int(m[1])),
          body_required=("body",), complete=True),
    Route("GET", REPO + "/issues/{issue_number}/comments", r"^issues/(\d+)/comments$",
          lambda sim, repo, base, m: sim._list_issue_comments(repo, base, int(m[1])), complete=True),
    Route("GET", REPO + "/issues/comments/{comment_id}", r"^issues/comments/(\d+)$",
          lambda sim, repo, base, m: sim._get_issue_comment(repo, base, int(m[1])), complete=True),
    Route("PATCH", REPO + "/issues/comments/{comment_id}", r"^issues/comments/(\d+)$",
          lambda sim, repo, base, m: sim._edit_issue_comment(repo, base, int(m[1])),
          body_required=("body",), complete=True),
    Route("DELETE", REPO + "/issues/comments/{comment_id}", r"^issues/comments/(\d+)$",
          lambda sim, repo, base, m: sim._delete_issue_comment(repo, int(m[1]))),
    Route("POST", REPO + "/issues/comments/{comment_id}/reactions", r"^issues/comments/(\d+)/reactions$",
          lambda sim, repo, base, m: sim._create_reaction(repo, int(m[1])), body_required=("content",),
          complete=True),
    Route("GET", REPO + "/collaborators/{username}/permission", r"^collaborators/([^/]+)/permission$",
          lambda sim, repo, base, m: sim._permission(repo, m[1]), complete=True),
)


@dataclass(frozen=True)
class HunkLine:
    position: int  # lines below the file's first @@ header: GitHub's (closing down) "position"
    text: str  # the diff line, its " ", "+" or "-" included
    old: int | None  # its line number on the base side (LEFT), None for an added line
    new: int | None  # its line number on the head side (RIGHT), None for a removed line


@dataclass
class Hunk:
    """One ``@@`` section of a file's patch: the lines a review comment may be written on."""

    header: str
    position: int
    lines: list[HunkLine]

    def find(self, side: str, number: int) -> HunkLine | None:
        for line in self.lines:
            if (line.new if side == "RIGHT" else line.old) == number:
                return line
        return None

    def diff_hunk(self, upto: HunkLine) -> str:
        """GitHub's ``diff_hunk`` of a comment: the header and the hunk's lines down to the commented one."""
        return "\n".join([self.header] + [line.text for line in self.lines if line.position <= upto.position])


def diff_hunks(patch: str | None) -> list[Hunk]:
    """The hunks of a ``pulls/{n}/files`` patch (none when GitHub omitted the patch)."""
    hunks: list[Hunk] = []
    old = new = 0
    for position, text in enumerate((patch or "").split("\n") if patch else []):
        header = re.match(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@", text)
        if header:
            old, new = int(header[1]), int(header[2])
            hunks.append(Hunk(text, position, []))
        elif hunks and text.startswith("+"):
            hunks[-1].lines.append(HunkLine(position, text, None, new))
            new += 1
        elif hunks and text.startswith("-"):
            hunks[-1].lines.append(HunkLine(position, text, old, None))
            old += 1
        elif hunks:
            hunks[-1].lines.append(HunkLine(position, text, old, new))
            old, new = old + 1, new + 1
    return hunks


class GitHubSim:
    """The simulator; ``start()`` serves it, ``url`` is the API base URL to give the bot."""

    def __init__(self, app_id: str, public_key_pem: bytes, token_ttl: float = 3600.0) -> None:
        self.app_id = app_id
        self.public_key = public_key_pem
        self.token_ttl = token_ttl
        self.repos: dict[str, SimRepo] = {}
        self.installations: dict[int, set[str]] = {}
        self.tokens: dict[str, tuple[int, float]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.errors: list[str] = []  # validation failures of the bot's writes
        self.rate_used: dict[int, int] = {}  # requests per installation, sent back as X-RateLimit-* headers
        self.max_patch_bytes = 100_000
        self.bot_login = "flux-review[bot]"  # the App's bot user: author of its reviews, comments and reactions
        self.reviews: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}  # review comments by id
        self.conversation: dict[int, dict[str, Any]] = {}  # issue comments by id
        self.reactions: dict[int, list[dict[str, Any]]] = {}  # by issue comment id
        self.permissions: dict[str, dict[str, str]] = {}  # repository -> login -> role
        self.nonexistent_users: set[str] = set()
        self.nodes: dict[str, tuple[str, int]] = {}  # GraphQL node id -> ("review_comment" | "issue_comment", id)
        self._ids = itertools.count(1000)
        self._lock = threading.RLock()
        self._archive_key = secrets.token_bytes(16)
        self._servers: list[Any] = []
        self.url = ""
        self.archive_url = ""

    # -- set-up ----------------------------------------------------------------------
    def add_repo(self, full_name: str, installation_id: int, default_branch: str = "main") -> SimRepo:
        repo = SimRepo(full_name, next(self._ids), default_branch)
        with self._lock:
            self.repos[full_name.lower()] = repo
            self.installations.setdefault(installation_id, set()).add(full_name.lower())
        return repo

    def open_fork_pull(self, base_full_name: str, fork_full_name: str, number: int, base_ref: str,
                       changes: dict[str, str | bytes | None], head_ref: str = "change") -> Pull:
        """A pull request from a fork: ``changes`` applied on ``base_ref`` in ``fork_full_name``.

        The fork belongs to no installation (the bot gets 404 from it); its
        head commit is also stored in the base repository, where GitHub keeps
        ``refs/pull/N/head``, so archives, compare and contents by sha work there.
        """
        base = self.repos[base_full_name.lower()]
        fork = SimRepo(fork_full_name, next(self._ids), base.default_branch, commits=dict(base.commits),
                       branches={base_ref: base.branches[base_ref]})
        head = fork.commit({}, parent=base.branches[base_ref], branch=head_ref, changes=changes)
        with self._lock:
            self.repos[fork_full_name.lower()] = fork
            base.commits[head] = fork.commits[head]
            pull = Pull(number, base_ref, base.branches[base_ref], head, head_ref=head_ref, head_repo=fork)
            base.pulls[number] = pull
        return pull

    def push_to_pull(self, full_name: str, number: int, changes: dict[str, str | bytes | None]) -> str:
        """A new head commit for pull request ``number`` (in its fork when it has one); returns its sha."""
        base = self.repos[full_name.lower()]
        pull = base.pulls[number]
        home = pull.head_repo or base
        head = home.commit({}, parent=pull.head_sha, branch=pull.head_ref if pull.head_repo else None,
                           changes=changes)
        with self._lock:
            base.commits[head] = home.commits[head]
            pull.head_sha = head
        return head

    def set_permission(self, full_name: str, user: str, role: str) -> None:
        """``user``'s role on the repository: admin, maintain, write, triage or read."""
        if role not in PERMISSIONS:
            raise ValueError(f"unknown role {role!r}")
        with self._lock:
            self.permissions.setdefault(full_name.lower(), {})[user.lower()] = role

    def mark_nonexistent(self, user: str) -> None:
        """``user`` is no GitHub account: its permission is answered 404 "... is not a user" (others get none)."""
        with self._lock:
            self.nonexistent_users.add(user.lower())

    def add_issue_comment(self, full_name: str, number: int, user: str, body: str) -> int:
        """A person's comment on pull request ``number``'s conversation; returns its id (to react to, say)."""
        repo = self.repos[full_name.lower()]
        return self._store_issue_comment(repo, number, user, body)["id"]

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            for fault in self.faults:
                fault.release.set()
            self.faults.clear()

    def start(self) -> GitHubSim:
        api = _Serving(self._api_app())
        archive = _Serving(self._archive_app())
        self._servers = [api, archive]
        self.url = api.url
        self.archive_url = archive.url
        return self

    def stop(self) -> None:
        self.clear_faults()
        for server in self._servers:
            server.stop()

    # -- queries for assertions ------------------------------------------------------
    def calls(self, host: str = "api", method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.host == host and (method is None or r.method == method)
                    and (path is None or re.search(path, r.path))]

    def runs_for(self, sha: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(run) for run in self.check_runs.values() if run["head_sha"] == sha]

    def all_bodies(self) -> bytes:
        """Every request body received, one after another: to assert a secret was never sent."""
        with self._lock:
            return b"\n".join(r.body for r in self.requests)

    def reviews_for(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """The reviews of a pull request, oldest first, PENDING ones included."""
        with self._lock:
            return [dict(r) for r in self.reviews.values() if r["repository"] == full_name.lower()
                    and r["number"] == number]

    def review_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Stored review comments (those of PENDING reviews too), ``minimized`` holding the classifier or None."""
        with self._lock:
            return [dict(c) for c in self.comments.values() if c["repository"] == full_name.lower()
                    and c["number"] == number]

    def issue_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Comments on the pull request's conversation, oldest first."""
        with self._lock:
            return [dict(c) for c in self.conversation.values() if c["repository"] == full_name.lower()
                    and c["number"] == number]

    def reactions_for(self, comment_id: int) -> list[dict[str, Any]]:
        """Reactions on an issue comment: ``content`` and ``user`` (a login)."""
        with self._lock:
            return [dict(r) for r in self.reactions.get(comment_id, [])]

    # -- the API host ------------------------------------------------------------------
    def _api_app(self) -> Flask:
        app = Flask("github-sim")
        sim = self

        @app.before_request
        def faults() -> Response | tuple[Response, int] | None:
            return sim._apply_fault("api")

        @app.after_request
        def record(response: Response) -> Response:
            if not getattr(request, "sim_dropped", False):
                sim._record("api", response.status_code, getattr(request, "sim_installation", None))
                sim._count_rate_limit(response, getattr(request, "sim_installation", None))
            return response

        @app.post("/app/installations/<int:installation_id>/access_tokens")
        def access_token(installation_id: int) -> tuple[Response, int]:
            problem = sim._check_jwt()
            if problem:
                return jsonify(message=problem), 401
            if installation_id not in sim.installations:
                return jsonify(message="Not Found"), 404
            token = "ghs_" + secrets.token_hex(18)
            expires = time.time() + sim.token_ttl
            with sim._lock:
                sim.tokens[token] = (installation_id, expires)
            when = dt.datetime.fromtimestamp(expires, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return jsonify(token=token, expires_at=when, permissions={}, repository_selection="all"), 201

        @app.post("/graphql")
        @app.post("/api/graphql")
        def graphql() -> Response | tuple[Response, int]:
            installation = sim._token_installation()
            if installation is None:
                return jsonify(message="This endpoint requires you to be authenticated.",
                               documentation_url="https://docs.github.com/graphql"), 401
            request.sim_installation = installation  # type: ignore[attr-defined]
            return sim._graphql(installation)

        @app.route("/repos/<owner>/<name>", defaults={"rest": ""}, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
        @app.route("/repos/<owner>/<name>/<path:rest>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
        def repos(owner: str, name: str, rest: str) -> Response | tuple[Response, int]:
            repo = sim.repos.get(f"{owner}/{name}".lower())
            denied = sim._check_token(repo)
            if denied:
                return denied
            assert repo is not None
            return sim._repo_route(repo, request.method, rest)

        return app

    def _repo_route(self, repo: SimRepo, method: str, rest: str) -> Response | tuple[Response, int]:
        base = f"{request.host_url.rstrip('/')}/repos/{repo.full_name}"
        for route in ROUTES:
            match = re.match(route.pattern, rest) if route.pattern is not None else None
            if route.method == method and match and route.handler is not None:
                problem = self._missing_fields(route.body_required)
                return problem or route.handler(self, repo, base, match)
        return jsonify(message="Not Found"), 404

    def _missing_fields(self, required: tuple[str, ...]) -> tuple[Response, int] | None:
        """GitHub's answer to a body that is not a JSON object (400) or lacks a required field (422)."""
        if not required:
            return None
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self._refuse(400, "Problems parsing JSON")
        for name in required:
            outer, _, inner = name.partition("[].")
            items = body.get(outer) if inner else [body]
            if items is None:
                continue
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                return self._refuse(422, f'Invalid request.\n\nFor \'properties/{outer}\', {items!r} is not an array '
                                         "of objects.")
            for item in items:
                if (inner or name) not in item:
                    return self._refuse(422, f'Invalid request.\n\n"{inner or name}" wasn\'t supplied.')
        return None

    def _too_long(self, message: str) -> tuple[Response, int]:
        return self._refuse(422, message, [f"Body is too long (maximum is {MAX_COMMENT} characters)"])

    def _refuse(self, status: int, message: str, errors: list[str] | None = None) -> tuple[Response, int]:
        """An error answer in GitHub's shape, remembered in ``errors`` for the test's assertions."""
        self.errors.append(f"{request.method} {request.path}: {status} {message} {errors or ''}".rstrip())
        answer: dict[str, Any] = {"message": message, "documentation_url": DOCS}
        if errors is not None:
            answer["errors"] = errors
        return jsonify(answer), status

    def _repo_json(self, repo: SimRepo, base: str) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        return {"id": repo.id, "name": name, "full_name": repo.full_name, "default_branch": repo.default_branch,
                "owner": {"login": owner, "type": "Organization"}, "url": base, "private": True,
                "html_url": f"{HTML}/{repo.full_name}"}

    def _pull_json(self, repo: SimRepo, base: str, pull: Pull) -> dict[str, Any]:
        files = self._diff(repo, pull)
        repo_json = self._repo_json(repo, base)
        return {
            "number": pull.number, "state": pull.state, "draft": pull.draft, "url": f"{base}/pulls/{pull.number}",
            "id": repo.id * 1000 + pull.number, "title": f"Change {pull.number}",
            "head": {"sha": pull.head_sha, "ref": pull.head_ref, "repo": self._fork_json(pull.head_repo) if
                     pull.head_repo is not None else repo_json},
            "base": {"sha": repo.branches[pull.base_ref], "ref": pull.base_ref, "repo": repo_json},
            "changed_files": len(files), "issue_url": f"{base}/issues/{pull.number}",
            "comments_url": f"{base}/issues/{pull.number}/comments",
            "review_comments_url": f"{base}/pulls/{pull.number}/comments",
            "html_url": f"{HTML}/{repo.full_name}/pull/{pull.number}",
        }

    def _fork_json(self, fork: SimRepo) -> dict[str, Any]:
        return self._repo_json(fork, f"{request.host_url.rstrip('/')}/repos/{fork.full_name}") | {"fork": True}

    def _pull(self, repo: SimRepo, base: str, number: int) -> Response | tuple[Response, int]:
        pull = repo.pulls.get(number)
        if pull is None:
            return jsonify(message="Not Found"), 404
        return jsonify(self._pull_json(repo, base, pull))

    def _pull_files(self, repo: SimRepo, number: int) -> Response | tuple[Response, int]:
        pull = repo.pulls.get(number)
        if pull is None:
            return jsonify(message="Not Found"), 404
        return self._paginated(self._diff(repo, pull)[:3000])

    @staticmethod
    def _paginated(items: list[Any]) -> Response:
        """One page of ``items`` as GitHub pages lists: ``per_page`` (at most 100), ``page``, a Link header."""
        per_page = min(100, int(request.args.get("per_page", 30)))
        page = int(request.args.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        response = jsonify(chunk)
        last = max(1, -(-len(items) // per_page))
        if page < last:
            url = f"{request.base_url}?per_page={per_page}"
            response.headers["Link"] = f'<{url}&page={page + 1}>; rel="next", <{url}&page={last}>; rel="last"'
        return response

    def _diff(self, repo: SimRepo, pull: Pull) -> list[dict[str, Any]]:
        return self._diff_at(repo, pull.base_ref, pull.head_sha)

    def _diff_at(self, repo: SimRepo, base_ref: str, head_sha: str) -> list[dict[str, Any]]:
        """The files of a pull request whose head is ``head_sha``: from the merge base to that commit."""
        base_sha = repo.merge_base(repo.branches[base_ref], head_sha)
        old, new = repo.commits[base_sha].files, repo.commits[head_sha].files
        entries = []
        for path in sorted(set(old) | set(new)):
            before, after = old.get(path), new.get(path)
            if before == after:
                continue
            status = "added" if before is None else "removed" if after is None else "modified"
            entry: dict[str, Any] = {"filename": path, "status": status, "sha": hashlib.sha1(after or b"").hexdigest()}
            patch = self._patch(before or b"", after or b"")
            if patch is not None:
                entry["patch"] = patch
            entries.append(entry)
        return entries

    def _patch(self, before: bytes, after: bytes) -> str | None:
        if b"\0" in before or b"\0" in after or len(before) + len(after) > self.max_patch_bytes:
            return None  # GitHub omits the patch of binary and very large files
        lines = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=3)
        body = [line for line in lines if not line.startswith(("---", "+++"))]
        return "\n".join(body)

    def _compare(self, repo: SimRepo, base: str, head: str) -> Response | tuple[Response, int]:
        base_sha, head_sha = repo.resolve(base), repo.resolve(head)
        if base_sha is None or head_sha is None:
            return jsonify(message="Not Found"), 404
        merge_base = repo.merge_base(base_sha, head_sha)
        return jsonify({"status": "ahead", "ahead_by": 1, "behind_by": 0, "total_commits": 1,
                        "merge_base_commit": {"sha": merge_base}, "base_commit": {"sha": base_sha},
                        "commits": [], "files": []})

    def _tarball(self, repo: SimRepo, ref: str) -> Response | tuple[Response, int]:
        sha = repo.resolve(ref)
        if sha is None:
            return jsonify(message="Not Found"), 404
        path = f"/{repo.full_name}/legacy.tar.gz/{sha}"
        signature = hmac.new(self._archive_key, path.encode(), hashlib.sha256).hexdigest()
        response = Response(status=302)
        response.headers["Location"] = f"{self.archive_url}{path}?token={signature}"
        return response

    def _contents(self, repo: SimRepo, path: str) -> Response | tuple[Response, int]:
        sha = repo.resolve(request.args.get("ref") or repo.default_branch)
        data = repo.commits[sha].files.get(path) if sha else None
        if data is None:
            return jsonify(message="Not Found"), 404
        return jsonify({"type": "file", "encoding": "base64", "size": len(data), "name": path.rsplit("/", 1)[-1],
                        "path": path, "sha": hashlib.sha1(data).hexdigest(),
                        "content": base64.b64encode(data).decode()})

    # -- check runs ----------------------------------------------------------------------
    def _create_run(self, repo: SimRepo, base: str) -> Response | tuple[Response, int]:
        body = request.get_json(silent=True) or {}
        problem = self._validate_run(body, creating=True)
        if problem is None and body.get("head_sha") not in repo.commits:
            problem = "No commit found for SHA"
        if problem:
            self.errors.append(problem)
            return jsonify(message=problem), 422
        run_id = next(self._ids)
        run = {
            "id": run_id, "name": body["name"], "head_sha": body["head_sha"],
            "external_id": body.get("external_id", ""),
            "status": body.get("status", "queued"), "conclusion": body.get("conclusion"),
            "url": f"{base}/check-runs/{run_id}", "html_url": f"https://github.invalid/runs/{run_id}",
            "started_at": body.get("started_at"), "completed_at": body.get("completed_at"),
            "output": {}, "annotations": [], "app": {"id": int(self.app_id) if self.app_id.isdigit() else 1},
            "repository": repo.full_name, "history": [],
        }
        self._apply_run_update(run, body)
        with self._lock:
            self.check_runs[run_id] = run
        return jsonify(self._run_json(run)), 201

    def _update_run(self, repo: SimRepo, run_id: int) -> Response | tuple[Response, int]:
        run = self.check_runs.get(run_id)
        if run is None or run["repository"] != repo.full_name:
            return jsonify(message="Not Found"), 404
        body = request.get_json(silent=True) or {}
        problem = self._validate_run(body, creating=False)
        if problem:
            self.errors.append(problem)
            return jsonify(message=problem), 422
        with self._lock:
            self._apply_run_update(run, body)
        return jsonify(self._run_json(run)), 200

    def _get_run(self, repo: SimRepo, run_id: int) -> Response | tuple[Response, int]:
        run = self.check_runs.get(run_id)
        if run is None or run["repository"] != repo.full_name:
            return jsonify(message="Not Found"), 404
        return jsonify(self._run_json(run))

    def _runs_for_ref(self, repo: SimRepo, sha: str) -> Response:
        name = request.args.get("check_name")
        runs = [self._run_json(r) for r in self.check_runs.values()
                if r["repository"] == repo.full_name and r["head_sha"] == sha and (not name or r["name"] == name)]
        return jsonify(total_count=len(runs), check_runs=runs)

    def _pulls_for_commit(self, repo: SimRepo, base: str, sha: str) -> Response:
        """GitHub lists pull requests here in their simple form: without counts such as ``changed_files``."""
        simple = [self._pull_json(repo, base, p) for p in repo.pulls.values() if p.head_sha == sha]
        return jsonify([{k: v for k, v in pull.items() if k != "changed_files"} for pull in simple])

    @staticmethod
    def _validate_run(body: dict[str, Any], creating: bool) -> str | None:
        if creating and (not body.get("name") or not body.get("head_sha")):
            return "name and head_sha are required"
        status, conclusion = body.get("status"), body.get("conclusion")
        if status is not None and status not in ("queued", "in_progress", "completed"):
            return f"invalid status {status!r}"
        if status == "completed" and not conclusion:
            return "conclusion is required when status is completed"
        if conclusion is not None and conclusion not in CONCLUSIONS:
            return f"invalid conclusion {conclusion!r}"
        output = body.get("output")
        if output is None:
            return None
        if not output.get("title") or not output.get("summary"):
            return "output needs a title and a summary"
        if len(output["title"]) > 255 or len(output["summary"]) > 65535:
            return "output title or summary too long"
        annotations = output.get("annotations") or []
        if len(annotations) > MAX_ANNOTATIONS:
            return f"{len(annotations)} annotations in one request (at most {MAX_ANNOTATIONS})"
        for note in annotations:
            if not {"path", "start_line", "end_line", "annotation_level", "message"} <= set(note):
                return f"annotation missing fields: {sorted(note)}"
            if note["annotation_level"] not in LEVELS or note["start_line"] > note["end_line"]:
                return f"invalid annotation {note}"
        return None

    @staticmethod
    def _apply_run_update(run: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("status", "conclusion", "started_at", "completed_at", "external_id", "name"):
            if key in body:
                run[key] = body[key]
        if body.get("conclusion") and "status" not in body:
            run["status"] = "completed"
        output = body.get("output")
        if output:
            run["output"] = {k: output.get(k) for k in ("title", "summary", "text")}
            run["annotations"].extend(output.get("annotations") or [])
        run["history"].append({k: body.get(k) for k in ("status", "conclusion")})

    @staticmethod
    def _run_json(run: dict[str, Any]) -> dict[str, Any]:
        output = dict(run["output"])
        output["annotations_count"] = len(run["annotations"])
        return {k: v for k, v in run.items() if k not in ("annotations", "history", "repository")} | {
            "output": output}

    # -- people -------------------------------------------------------------------------
    def _user_json(self, login: str) -> dict[str, Any]:
        """A user as GitHub's simple-user; the App's bot user has type Bot."""
        number = int(hashlib.sha1(login.lower().encode()).hexdigest()[:7], 16)
        api = f"{request.host_url.rstrip('/')}/users/{login}"
        return {
            "login": login, "id": number, "node_id": _node_id("U", number),
            "avatar_url": f"{HTML}/avatars/{number}", "gravatar_id": "", "url": api, "html_url": f"{HTML}/{login}",
            "followers_url": f"{api}/followers", "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}", "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions", "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "Bot" if login == self.bot_login else "User", "site_admin": False,
        }

    def _association(self, repo: SimRepo, login: str) -> str:
        return "COLLABORATOR" if login.lower() in self.permissions.get(repo.full_name.lower(), {}) else "NONE"

    def _permission(self, repo: SimRepo, login: str) -> Response | tuple[Response, int]:
        if login.lower() in self.nonexistent_users:
            return jsonify(message=f"{login} is not a user", documentation_url=DOCS), 404
        role = self.permissions.get(repo.full_name.lower(), {}).get(login.lower())
        level = PERMISSIONS[role] if role else "none"
        ranks = ["read", "triage", "write", "maintain", "admin"]
        rank = ranks.index(role) if role else -1
        flags = {"pull": rank >= 0, "triage": rank >= 1, "push": rank >= 2, "maintain": rank >= 3, "admin": rank >= 4}
        user = self._user_json(login) | {"permissions": flags, "role_name": role or "none"}
        return jsonify(permission=level, role_name=role or "none", user=user)

    # -- pull request reviews and review comments ----------------------------------------
    def _create_review(self, repo: SimRepo, base: str, number: int) -> Response | tuple[Response, int]:
        """Validate the whole review first, as GitHub does: one comment GitHub would refuse stores nothing."""
        pull = repo.pulls.get(number)
        if pull is None:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        body = request.get_json(silent=True)
        event, text = body.get("event"), body.get("body") or ""
        comments = body.get("comments") or []
        if event is not None and event not in REVIEW_STATES:
            return self._refuse(422, "Unprocessable Entity",
                                [f"Variable $event of type PullRequestReviewEvent was provided invalid value {event}"])
        if event in ("REQUEST_CHANGES", "COMMENT") and not text and not comments:
            return self._refuse(422, "Unprocessable Entity", [f"A review with event {event} needs a body or comments"])
        if not isinstance(text, str) or len(text) > MAX_COMMENT:
            return self._too_long("Unprocessable Entity")
        commit_id = body.get("commit_id") or pull.head_sha
        if commit_id not in repo.ancestors(pull.head_sha):
            return self._refuse(422, "Unprocessable Entity", [f"No commit found for SHA: {commit_id}"])
        reviews = self.reviews_for(repo.full_name, number)
        if any(r["state"] == "PENDING" and r["user"] == self.bot_login for r in reviews):
            return self._refuse(422, "Unprocessable Entity", ["User can only have one pending review per pull request"])
        files = {entry["filename"]: entry for entry in self._diff_at(repo, pull.base_ref, commit_id)}
        anchors = []
        for comment in comments:
            if not isinstance(comment["body"], str) or len(comment["body"]) > MAX_COMMENT:
                return self._too_long("Unprocessable Entity")
            anchor = self._anchor(files, comment)
            if isinstance(anchor, str):
                return self._refuse(422, "Unprocessable Entity", [anchor])
            anchors.append(anchor | {"body": comment["body"]})
        state = REVIEW_STATES.get(event or "", "PENDING")
        now = _now()
        with self._lock:
            review_id = next(self._ids)
            review = {"id": review_id, "node_id": _node_id("PRR", review_id), "repository": repo.full_name.lower(),
                      "number": number, "user": self.bot_login, "body": text, "state": state,
                      "commit_id": commit_id, "submitted_at": None if state == "PENDING" else now}
            self.reviews[review_id] = review
            for anchor in anchors:
                comment_id = next(self._ids)
                node = _node_id("PRRC", comment_id)
                self.nodes[node] = ("review_comment", comment_id)
                self.comments[comment_id] = anchor | {
                    "id": comment_id, "node_id": node, "review_id": review_id, "repository": repo.full_name.lower(),
                    "number": number, "user": self.bot_login, "commit_id": commit_id, "created_at": now,
                    "updated_at": now, "minimized": None}
        return jsonify(self._review_json(repo, base, review)), 200

    def _anchor(self, files: dict[str, dict[str, Any]], comment: dict[str, Any]) -> dict[str, Any] | str:
        """Where a review comment sits in the diff, or GitHub's reason for refusing it.

        ``line`` (and ``start_line``) must be lines of one hunk on their side;
        the closing-down ``position`` alone is refused too: the bot writes lines.
        """
        entry = files.get(comment["path"])
        if entry is None:
            return "Path could not be resolved"
        side, line = comment.get("side") or "RIGHT", comment.get("line")
        start_line = comment.get("start_line")
        start_side = comment.get("start_side") or side if start_line is not None else None
        if side not in ("LEFT", "RIGHT") or start_side not in (None, "LEFT", "RIGHT"):
            return "Line could not be resolved"
        if not _is_int(line) or (start_line is not None and (not _is_int(start_line) or start_line >= line)):
            return "Line could not be resolved"
        for hunk in diff_hunks(entry.get("patch")):
            end = hunk.find(side, line)
            if end is None:
                continue
            if start_line is not None and hunk.find(start_side, start_line) is None:
                return "Line could not be resolved"
            return {"path": comment["path"], "side": side, "line": line, "start_line": start_line,
                    "start_side": start_side, "position": end.position, "diff_hunk": hunk.diff_hunk(end)}
        return "Line could not be resolved"

    def _current(self, repo: SimRepo, pull: Pull, comment: dict[str, Any]) -> dict[str, Any]:
        """A comment's place on the pull request's current head: the same line and text in a hunk, else outdated."""
        if comment["commit_id"] == pull.head_sha:
            return {"commit_id": pull.head_sha, "line": comment["line"], "start_line": comment["start_line"],
                    "position": comment["position"]}
        outdated = {"commit_id": comment["commit_id"], "line": None, "start_line": None, "position": None}
        files = {entry["filename"]: entry for entry in self._diff_at(repo, pull.base_ref, pull.head_sha)}
        if comment["path"] not in files:
            return outdated
        anchor = self._anchor(files, {key: comment[key] for key in ("path", "side", "line", "start_line",
                                                                    "start_side")})
        if isinstance(anchor, str):
            return outdated
        for side, number in ((comment["side"], comment["line"]), (comment["start_side"], comment["start_line"])):
            if number is not None and (self._line_text(repo, pull, comment["commit_id"], comment["path"], side, number)
                                       != self._line_text(repo, pull, pull.head_sha, comment["path"], side, number)):
                return outdated
        return {"commit_id": pull.head_sha, "line": comment["line"], "start_line": comment["start_line"],
                "position": anchor["position"]}

    @staticmethod
    def _line_text(repo: SimRepo, pull: Pull, head: str, path: str, side: str, number: int) -> str | None:
        sha = head if side == "RIGHT" else repo.merge_base(repo.branches[pull.base_ref], head)
        lines = repo.commits[sha].files.get(path, b"").decode(errors="replace").splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else None

    def _review_json(self, repo: SimRepo, base: str, review: dict[str, Any]) -> dict[str, Any]:
        html = f"{HTML}/{repo.full_name}/pull/{review['number']}#pullrequestreview-{review['id']}"
        pull_url = f"{base}/pulls/{review['number']}"
        answer = {key: review[key] for key in ("id", "node_id", "body", "state", "commit_id")} | {
            "user": self._user_json(review["user"]), "html_url": html, "pull_request_url": pull_url,
            "author_association": self._association(repo, review["user"]),
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}}}
        if review["submitted_at"]:
            answer["submitted_at"] = review["submitted_at"]
        return answer

    def _comment_json(self, repo: SimRepo, base: str, comment: dict[str, Any]) -> dict[str, Any]:
        pull = repo.pulls[comment["number"]]
        now = self._current(repo, pull, comment)
        url = f"{base}/pulls/comments/{comment['id']}"
        html = f"{HTML}/{repo.full_name}/pull/{comment['number']}#discussion_r{comment['id']}"
        pull_url = f"{base}/pulls/{comment['number']}"
        return {
            "url": url, "id": comment["id"], "node_id": comment["node_id"],
            "pull_request_review_id": comment["review_id"], "diff_hunk": comment["diff_hunk"],
            "path": comment["path"], "position": now["position"], "original_position": comment["position"],
            "commit_id": now["commit_id"], "original_commit_id": comment["commit_id"],
            "user": self._user_json(comment["user"]), "body": comment["body"],
            "created_at": comment["created_at"], "updated_at": comment["updated_at"], "html_url": html,
            "pull_request_url": pull_url, "author_association": self._association(repo, comment["user"]),
            "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pull_url}},
            "start_line": now["start_line"], "original_start_line": comment["start_line"],
            "start_side": comment["start_side"], "line": now["line"], "original_line": comment["line"],
            "side": comment["side"], "subject_type": "line",
        }

    def _list_reviews(self, repo: SimRepo, base: str, number: int) -> Response | tuple[Response, int]:
        if number not in repo.pulls:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        return self._paginated([self._review_json(repo, base, r) for r in self.reviews_for(repo.full_name, number)])

    def _edit_review(self, repo: SimRepo, base: str, number: int, review_id: int) -> Response | tuple[Response, int]:
        review = self.reviews.get(review_id)
        if review is None or review["repository"] != repo.full_name.lower() or review["number"] != number:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        text = request.get_json()["body"]
        if not isinstance(text, str) or len(text) > MAX_COMMENT:
            return self._too_long("Unprocessable Entity")
        with self._lock:
            review["body"] = text
        return jsonify(self._review_json(repo, base, review))

    def _list_review_comments(self, repo: SimRepo, base: str, number: int) -> Response | tuple[Response, int]:
        """Comments of submitted reviews only: a PENDING review's comments are visible to nobody else."""
        if number not in repo.pulls:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        visible = [c for c in self.review_comments(repo.full_name, number)
                   if self.reviews[c["review_id"]]["state"] != "PENDING"]
        return self._paginated([self._comment_json(repo, base, c) for c in visible])

    def _review_comment(self, repo: SimRepo, comment_id: int) -> dict[str, Any] | None:
        comment = self.comments.get(comment_id)
        return comment if comment is not None and comment["repository"] == repo.full_name.lower() else None

    def _get_review_comment(self, repo: SimRepo, base: str, comment_id: int) -> Response | tuple[Response, int]:
        comment = self._review_comment(repo, comment_id)
        if comment is None:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        return jsonify(self._comment_json(repo, base, comment))

    def _edit_review_comment(self, repo: SimRepo, base: str, comment_id: int) -> Response | tuple[Response, int]:
        comment = self._review_comment(repo, comment_id)
        if comment is None:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        text = request.get_json()["body"]
        if not isinstance(text, str) or len(text) > MAX_COMMENT:
            return self._too_long("Unprocessable Entity")
        with self._lock:
            comment["body"], comment["updated_at"] = text, _now()
        return jsonify(self._comment_json(repo, base, comment))

    def _delete_review_comment(self, repo: SimRepo, comment_id: int) -> Response | tuple[Response, int]:
        with self._lock:
            comment = self._review_comment(repo, comment_id)
            if comment is None:
                return jsonify(message="Not Found", documentation_url=DOCS), 404
            del self.comments[comment_id]
            self.nodes.pop(comment["node_id"], None)
        return Response(status=204)

    # -- the conversation: issue comments and reactions ------------------------------------
    def _store_issue_comment(self, repo: SimRepo, number: int, user: str, body: str) -> dict[str, Any]:
        now = _now()
        with self._lock:
            comment_id = next(self._ids)
            node = _node_id("IC", comment_id)
            self.nodes[node] = ("issue_comment", comment_id)
            comment = {"id": comment_id, "node_id": node, "repository": repo.full_name.lower(), "number": number,
                       "user": user, "body": body, "created_at": now, "updated_at": now, "minimized": None}
            self.conversation[comment_id] = comment
        return comment

    def _issue_comment_json(self, repo: SimRepo, base: str, comment: dict[str, Any]) -> dict[str, Any]:
        return {key: comment[key] for key in ("id", "node_id", "body", "created_at", "updated_at")} | {
            "url": f"{base}/issues/comments/{comment['id']}",
            "html_url": f"{HTML}/{repo.full_name}/pull/{comment['number']}#issuecomment-{comment['id']}",
            "issue_url": f"{base}/issues/{comment['number']}", "user": self._user_json(comment["user"]),
            "author_association": self._association(repo, comment["user"])}

    def _create_issue_comment(self, repo: SimRepo, base: str, number: int) -> Response | tuple[Response, int]:
        if number not in repo.pulls:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        text = request.get_json()["body"]
        if not isinstance(text, str) or len(text) > MAX_COMMENT:
            return self._too_long("Validation Failed")
        comment = self._store_issue_comment(repo, number, self.bot_login, text)
        return jsonify(self._issue_comment_json(repo, base, comment)), 201

    def _list_issue_comments(self, repo: SimRepo, base: str, number: int) -> Response | tuple[Response, int]:
        if number not in repo.pulls:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        return self._paginated([self._issue_comment_json(repo, base, c)
                                for c in self.issue_comments(repo.full_name, number)])

    def _issue_comment(self, repo: SimRepo, comment_id: int) -> dict[str, Any] | None:
        comment = self.conversation.get(comment_id)
        return comment if comment is not None and comment["repository"] == repo.full_name.lower() else None

    def _get_issue_comment(self, repo: SimRepo, base: str, comment_id: int) -> Response | tuple[Response, int]:
        comment = self._issue_comment(repo, comment_id)
        if comment is None:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        return jsonify(self._issue_comment_json(repo, base, comment))

    def _edit_issue_comment(self, repo: SimRepo, base: str, comment_id: int) -> Response | tuple[Response, int]:
        comment = self._issue_comment(repo, comment_id)
        if comment is None:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        text = request.get_json()["body"]
        if not isinstance(text, str) or len(text) > MAX_COMMENT:
            return self._too_long("Validation Failed")
        with self._lock:
            comment["body"], comment["updated_at"] = text, _now()
        return jsonify(self._issue_comment_json(repo, base, comment))

    def _delete_issue_comment(self, repo: SimRepo, comment_id: int) -> Response | tuple[Response, int]:
        with self._lock:
            comment = self._issue_comment(repo, comment_id)
            if comment is None:
                return jsonify(message="Not Found", documentation_url=DOCS), 404
            del self.conversation[comment_id]
            self.nodes.pop(comment["node_id"], None)
        return Response(status=204)

    def _create_reaction(self, repo: SimRepo, comment_id: int) -> Response | tuple[Response, int]:
        """201 for a new reaction, 200 with the existing one when this user already reacted so."""
        if self._issue_comment(repo, comment_id) is None:
            return jsonify(message="Not Found", documentation_url=DOCS), 404
        content = request.get_json()["content"]
        if content not in REACTIONS:
            return self._refuse(422, "Validation Failed", [f"content {content!r} is not a reaction"])
        with self._lock:
            existing = self.reactions.setdefault(comment_id, [])
            reaction = next((r for r in existing if r["user"] == self.bot_login and r["content"] == content), None)
            status = 200 if reaction else 201
            if reaction is None:
                reaction_id = next(self._ids)
                reaction = {"id": reaction_id, "node_id": _node_id("REA", reaction_id), "content": content,
                            "user": self.bot_login, "created_at": _now()}
                existing.append(reaction)
        return jsonify(reaction | {"user": self._user_json(reaction["user"])}), status

    # -- GraphQL: minimizeComment ------------------------------------------------------------
    def _graphql(self, installation: int) -> Response:
        """Run a mutation of ``minimizeComment`` fields; anything else is answered with GraphQL's errors (200)."""
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return self._graphql_refusal("A query attribute must be specified and must be a string.")
        variables = payload.get("variables") or {}
        try:
            operation = parse(payload["query"])
            if operation.kind != "mutation":
                raise GraphQLError("The simulator answers mutations only")
            missing = [name for name in operation.variables if name not in variables]
            if missing:
                raise GraphQLError(f"Variable ${missing[0]} of type {operation.variables[missing[0]]} "
                                   "was provided invalid value")
            for mutation in operation.selections:
                if mutation.name != "minimizeComment":
                    raise GraphQLError(f"Field '{mutation.name}' doesn't exist on type 'Mutation'")
                for asked in mutation.selections:
                    if asked.name not in ("clientMutationId", "minimizedComment", "__typename"):
                        raise GraphQLError(f"Field '{asked.name}' doesn't exist on type 'MinimizeCommentPayload'")
                    for inner in asked.selections:
                        if inner.name not in ("isMinimized", "minimizedReason", "viewerCanMinimize", "__typename"):
                            raise GraphQLError(f"Field '{inner.name}' doesn't exist on type 'Minimizable'")
            inputs = [substitute(m.arguments.get("input"), variables) for m in operation.selections]
            for given in inputs:
                if not isinstance(given, dict) or not isinstance(given.get("subjectId"), str):
                    raise GraphQLError("Argument 'input' on Field 'minimizeComment' has an invalid value: "
                                       "subjectId is required")
                classifier = given.get("classifier")
                if isinstance(classifier, Enum) and classifier.value in CLASSIFIERS:
                    given["classifier"] = classifier.value
                elif not isinstance(classifier, str) or classifier not in CLASSIFIERS or _literal_string(
                        payload["query"], classifier):
                    raise GraphQLError(f"Argument 'classifier' on InputObject 'MinimizeCommentInput' has an invalid "
                                       f"value ({classifier!r}). Expected type 'ReportedContentClassifiers!'.")
        except GraphQLError as problem:
            return self._graphql_refusal(str(problem))
        data: dict[str, Any] = {}
        errors = []
        for mutation, given in zip(operation.selections, inputs, strict=True):
            target = self._minimize(installation, given["subjectId"], given["classifier"])
            if target is None:
                data[mutation.key] = None
                errors.append({"type": "NOT_FOUND", "path": [mutation.key],
                               "message": f"Could not resolve to a node with the global id of '{given['subjectId']}'"})
                continue
            values = {"isMinimized": True, "minimizedReason": given["classifier"].lower().replace("_", "-"),
                      "viewerCanMinimize": True, "__typename": target}
            data[mutation.key] = {
                asked.key: given.get("clientMutationId") if asked.name == "clientMutationId"
                else "MinimizeCommentPayload" if asked.name == "__typename"
                else {inner.key: values[inner.name] for inner in asked.selections}
                for asked in mutation.selections}
        return jsonify({"data": data, "errors": errors} if errors else {"data": data})

    def _minimize(self, installation: int, node: str, classifier: str) -> str | None:
        """Minimize a comment the installation can see; its GraphQL type name, or None when it is unknown."""
        with self._lock:
            kind, number = self.nodes.get(node, ("", 0))
            comment = (self.comments if kind == "review_comment" else self.conversation).get(number)
            if comment is None or comment["repository"] not in self.installations.get(installation, set()):
                return None
            comment["minimized"] = classifier
        return "PullRequestReviewComment" if kind == "review_comment" else "IssueComment"

    def _graphql_refusal(self, message: str) -> Response:
        self.errors.append(f"POST {request.path}: {message}")
        return jsonify(errors=[{"message": message}])

    # -- the archive host ----------------------------------------------------------------
    def _archive_app(self) -> Flask:
        app = Flask("github-sim-archive")
        sim = self

        @app.before_request
        def faults() -> Response | tuple[Response, int] | None:
            return sim._apply_fault("archive")

        @app.after_request
        def record(response: Response) -> Response:
            if not getattr(request, "sim_dropped", False):
                sim._record("archive", response.status_code, None)
            return response

        @app.get("/<owner>/<name>/legacy.tar.gz/<sha>")
        def archive(owner: str, name: str, sha: str) -> Response | tuple[Response, int]:
            signature = hmac.new(sim._archive_key, request.path.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(signature, request.args.get("token", "")):
                return Response("bad link", status=403)
            repo = sim.repos.get(f"{owner}/{name}".lower())
            if repo is None or sha not in repo.commits:
                return Response("not found", status=404)
            data = repo.archive_override.get(sha) or make_tarball(repo, sha)
            return Response(data, mimetype="application/x-gzip")

        return app

    # -- credentials, faults, records ------------------------------------------------------
    def _check_jwt(self) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return "A JSON web token could not be decoded"
        try:
            claims = jwt.decode(header[7:], self.public_key, algorithms=["RS256"],
                                options={"require": ["iat", "exp", "iss"]})
        except jwt.PyJWTError as exc:
            return f"A JSON web token could not be decoded ({type(exc).__name__})"
        now = time.time()
        if str(claims["iss"]) != self.app_id:
            return "Integration not found"
        if claims["exp"] - now > 600 or claims["iat"] > now:
            return "'Expiration time' claim ('exp') is too far in the future"
        return None

    def _check_token(self, repo: SimRepo | None) -> tuple[Response, int] | None:
        installation = self._token_installation()
        if installation is None:
            return jsonify(message="Bad credentials"), 401
        request.sim_installation = installation  # type: ignore[attr-defined]
        if repo is None or repo.full_name.lower() not in self.installations.get(installation, set()):
            return jsonify(message="Not Found"), 404
        return None

    def _token_installation(self) -> int | None:
        """The installation of the request's unexpired token (``token``, ``Bearer`` or ``bearer`` scheme)."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return None
        with self._lock:
            granted = self.tokens.get(token)
        if granted is None or granted[1] <= time.time():
            return None
        return granted[0]

    def _apply_fault(self, host: str) -> Response | tuple[Response, int] | None:
        with self._lock:
            fault = next((f for f in self.faults if f.matches(request.method, f"{host}:{request.path}")), None)
            if fault is not None:
                fault.times -= 1
        if fault is None:
            return None
        fault.entered.set()
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return None
        if fault.kind == "gate":
            fault.release.wait(GATE_TIMEOUT)
            return None
        if fault.kind == "drop":
            self._record(host, 0, None)
            request.sim_dropped = True  # type: ignore[attr-defined]
            connection = request.environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            return Response(status=500)
        response = jsonify(fault.body)
        for key, value in fault.headers.items():
            response.headers[key] = value
        return response, fault.status

    def _count_rate_limit(self, response: Response, installation: int | None) -> None:
        """GitHub's X-RateLimit-* headers on an installation's answers (5,000 an hour), unless a fault set them."""
        if installation is None or "X-RateLimit-Remaining" in response.headers:
            return
        with self._lock:
            used = self.rate_used[installation] = self.rate_used.get(installation, 0) + 1
        response.headers.update({"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": str(max(0, 5000 - used)),
                                 "X-RateLimit-Used": str(used), "X-RateLimit-Resource": "core"})

    def _record(self, host: str, status: int, installation: int | None) -> None:
        with self._lock:
            self.requests.append(Recorded(host, request.method, request.path, request.query_string.decode(),
                                          status, installation, bool(request.headers.get("Authorization")),
                                          time.time(), request.get_data(cache=True)))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _node_id(prefix: str, number: int) -> str:
    """A global node id in GitHub's current form: a type prefix, then an opaque part."""
    return f"{prefix}_kwDO" + base64.urlsafe_b64encode(number.to_bytes(6, "big")).decode().rstrip("=")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _literal_string(query: str, value: str) -> bool:
    """Whether ``value`` is written as a quoted string in the document (GraphQL wants enum values bare)."""
    return f'"{value}"' in query


def make_tarball(repo: SimRepo, sha: str) -> bytes:
    """GitHub's archive layout: one top folder ``owner-repo-sha7`` holding the tree."""
    top = f"{repo.full_name.replace('/', '-')}-{sha[:7]}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in sorted(repo.commits[sha].files.items()):
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _Serving:
    """A werkzeug server on a free 127.0.0.1 port, in a daemon thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
