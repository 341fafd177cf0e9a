"""A small GitHub for the bot's tests: real HTTP on 127.0.0.1, repositories built by the test.

It serves the endpoints the bot uses (installation tokens, pull requests
and their files, compare, contents, tarballs with GitHub's 302 to a
separate archive host, check runs), checks credentials the way GitHub
does (an RS256 App JWT from the right App for ``/app/*``, an unexpired
installation token covering the repository elsewhere), validates check run
writes against GitHub's limits, records every request, and injects faults
on demand: error statuses, 429 with Retry-After, secondary-rate-limit
403s, slow answers, dropped connections, and gates that hold a request
until the test lets it go.
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
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

logging.getLogger("werkzeug").setLevel(logging.ERROR)

GATE_TIMEOUT = 30.0  # a gate never holds a request longer than this
MAX_ANNOTATIONS = 50
LEVELS = {"notice", "warning", "failure"}
CONCLUSIONS = {"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}


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
        self.max_patch_bytes = 100_000
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

        @app.route("/repos/<owner>/<name>", defaults={"rest": ""}, methods=["GET", "POST", "PATCH"])
        @app.route("/repos/<owner>/<name>/<path:rest>", methods=["GET", "POST", "PATCH"])
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
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"^$", lambda m: jsonify(self._repo_json(repo, base))),
            ("GET", r"^pulls/(\d+)$", lambda m: self._pull(repo, base, int(m[1]))),
            ("GET", r"^pulls/(\d+)/files$", lambda m: self._pull_files(repo, int(m[1]))),
            ("GET", r"^compare/([^.]+)\.\.\.(.+)$", lambda m: self._compare(repo, m[1], m[2])),
            ("GET", r"^(tarball)/(.+)$", lambda m: self._tarball(repo, m[2])),
            ("GET", r"^contents/(.+)$", lambda m: self._contents(repo, m[1])),
            ("POST", r"^check-runs$", lambda m: self._create_run(repo, base)),
            ("PATCH", r"^check-runs/(\d+)$", lambda m: self._update_run(repo, int(m[1]))),
            ("GET", r"^check-runs/(\d+)$", lambda m: self._get_run(repo, int(m[1]))),
            ("GET", r"^commits/([0-9a-f]{40})/check-runs$", lambda m: self._runs_for_ref(repo, m[1])),
            ("GET", r"^commits/([0-9a-f]{40})/pulls$", lambda m: self._pulls_for_commit(repo, base, m[1])),
        ]
        for verb, pattern, handler in routes:
            match = re.match(pattern, rest)
            if verb == method and match:
                return handler(match)
        return jsonify(message="Not Found"), 404

    def _repo_json(self, repo: SimRepo, base: str) -> dict[str, Any]:
        owner, name = repo.full_name.split("/")
        return {"id": repo.id, "name": name, "full_name": repo.full_name, "default_branch": repo.default_branch,
                "owner": {"login": owner, "type": "Organization"}, "url": base, "private": True}

    def _pull_json(self, repo: SimRepo, base: str, pull: Pull) -> dict[str, Any]:
        files = self._diff(repo, pull)
        repo_json = self._repo_json(repo, base)
        return {
            "number": pull.number, "state": pull.state, "draft": pull.draft, "url": f"{base}/pulls/{pull.number}",
            "id": repo.id * 1000 + pull.number, "title": f"Change {pull.number}",
            "head": {"sha": pull.head_sha, "ref": pull.head_ref, "repo": repo_json},
            "base": {"sha": repo.branches[pull.base_ref], "ref": pull.base_ref, "repo": repo_json},
            "changed_files": len(files),
        }

    def _pull(self, repo: SimRepo, base: str, number: int) -> Response | tuple[Response, int]:
        pull = repo.pulls.get(number)
        if pull is None:
            return jsonify(message="Not Found"), 404
        return jsonify(self._pull_json(repo, base, pull))

    def _pull_files(self, repo: SimRepo, number: int) -> Response | tuple[Response, int]:
        pull = repo.pulls.get(number)
        if pull is None:
            return jsonify(message="Not Found"), 404
        files = self._diff(repo, pull)[:3000]
        per_page = min(100, int(request.args.get("per_page", 30)))
        page = int(request.args.get("page", 1))
        chunk = files[(page - 1) * per_page: page * per_page]
        response = jsonify(chunk)
        last = max(1, -(-len(files) // per_page))
        if page < last:
            url = f"{request.base_url}?per_page={per_page}"
            response.headers["Link"] = f'<{url}&page={page + 1}>; rel="next", <{url}&page={last}>; rel="last"'
        return response

    def _diff(self, repo: SimRepo, pull: Pull) -> list[dict[str, Any]]:
        base_sha = repo.merge_base(repo.branches[pull.base_ref], pull.head_sha)
        old, new = repo.commits[base_sha].files, repo.commits[pull.head_sha].files
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
        return jsonify([self._pull_json(repo, base, p) for p in repo.pulls.values() if p.head_sha == sha])

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
        header = request.headers.get("Authorization", "")
        token = header.split(" ", 1)[1] if header.startswith(("token ", "Bearer ")) else ""
        with self._lock:
            granted = self.tokens.get(token)
        if granted is None or granted[1] <= time.time():
            return jsonify(message="Bad credentials"), 401
        request.sim_installation = granted[0]  # type: ignore[attr-defined]
        if repo is None or repo.full_name.lower() not in self.installations.get(granted[0], set()):
            return jsonify(message="Not Found"), 404
        return None

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

    def _record(self, host: str, status: int, installation: int | None) -> None:
        with self._lock:
            self.requests.append(Recorded(host, request.method, request.path, request.query_string.decode(),
                                          status, installation, bool(request.headers.get("Authorization")),
                                          time.time()))


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
