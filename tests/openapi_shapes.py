"""Check the GitHub simulator against GitHub's own OpenAPI description of api.github.com (run by hand).

    python tests/openapi_shapes.py [--spec PATH/api.github.com.json]

Without ``--spec`` the npm package ``@octokit/openapi`` is fetched with
``npm pack`` into a temporary folder. For every route of the simulator's
``ROUTES`` table the script makes a real request against a running
simulator and checks, against the description:

- the path template and the method exist;
- the request body fields the simulator refuses to go without are exactly
  the ones the description requires (top-level fields and the fields of
  items of top-level arrays, ``comments[].path``), and leaving each out
  is answered 4xx;
- the answer's status is one the operation documents, and every field of
  the JSON answer exists in the documented schema with a matching type
  (null only where nullable). Routes marked ``complete`` must also carry
  every required field; for the others missing required fields are
  counted, not failed.

Prints a table and exits 1 when any route has a problem.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot_support.keys import key_pair
from github_sim import ROUTES, GitHubSim, Route

APP_ID = "9001"
INSTALLATION = 3
FULL = "acme/fleet"
SPEC_MEMBER = "package/generated/api.github.com.json"
# Where GitHub's answers are known to differ from its description: (method, path) -> fields. GitHub answers
# line and position null for an outdated review comment; its description says integer.
OUTDATED = {"line", "position"}
KNOWN_GAPS = {
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/comments"): {f"[].{name}" for name in OUTDATED},
    ("GET", "/repos/{owner}/{repo}/pulls/comments/{comment_id}"): {f".{name}" for name in OUTDATED},
    ("PATCH", "/repos/{owner}/{repo}/pulls/comments/{comment_id}"): {f".{name}" for name in OUTDATED},
}


@dataclass
class Example:
    """One request exercising a route; ``body`` None sends no body."""

    path: str
    body: dict[str, Any] | None = None
    status: int = 200


@dataclass
class Verdict:
    route: Route
    status: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fetch_spec(folder: Path) -> Path:
    """``npm pack @octokit/openapi`` into ``folder`` and unpack the api.github.com description."""
    subprocess.run(["npm", "pack", "--silent", "@octokit/openapi"], cwd=folder, check=True, timeout=600,
                   stdout=subprocess.DEVNULL)
    [package] = folder.glob("octokit-openapi-*.tgz")
    with tarfile.open(package) as archive:
        archive.extract(SPEC_MEMBER, folder, filter="data")
    return folder / SPEC_MEMBER


class Spec:
    """GitHub's OpenAPI description with ``$ref`` resolution."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.version = document.get("info", {}).get("version", "?")

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 50:
            node: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema, seen = node, seen + 1
        return schema

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        return self.document["paths"].get(path, {}).get(method.lower())

    def merged(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``allOf`` folded into one schema (properties and required lists joined)."""
        schema = self.resolve(schema)
        if "allOf" not in schema:
            return schema
        result: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        result.setdefault("properties", {})
        result["required"] = list(result.get("required", []))
        for part in schema["allOf"]:
            part = self.merged(part)
            result["properties"] = {**result["properties"], **part.get("properties", {})}
            result["required"] += part.get("required", [])
            for key in ("type", "nullable", "additionalProperties"):
                if key in part:
                    result.setdefault(key, part[key])
        return result

    def required_body(self, operation: dict[str, Any]) -> set[str]:
        """Required top-level fields and required fields of items of top-level arrays (``list[].field``)."""
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None:
            return set()
        schema = self.merged(content["schema"])
        branches = [self.merged(b) for b in schema.get("oneOf", schema.get("anyOf", []))]
        required = set(schema.get("required", []))
        if branches:
            required |= set.intersection(*(set(b.get("required", [])) for b in branches))
        for name, prop in schema.get("properties", {}).items():
            prop = self.merged(prop)
            if prop.get("type") == "array":
                items = self.merged(prop.get("items", {}))
                required |= {f"{name}[].{inner}" for inner in items.get("required", [])}
        return required

    def response_schema(self, operation: dict[str, Any], status: int) -> tuple[bool, dict[str, Any] | None]:
        """(whether the status is documented, its JSON schema when it has one)."""
        answer = operation.get("responses", {}).get(str(status))
        if answer is None:
            return False, None
        answer = self.resolve(answer)
        content = answer.get("content", {}).get("application/json")
        return True, content.get("schema") if content else None


class Checker:
    """Compares one JSON value with a schema: unknown fields, wrong types, missing required fields."""

    def __init__(self, spec: Spec, complete: bool, known: set[str]) -> None:
        self.spec, self.complete, self.known = spec, complete, known
        self.problems: list[str] = []
        self.missing: list[str] = []

    def check(self, value: Any, schema: dict[str, Any], where: str) -> None:
        schema = self.spec.merged(schema)
        branches = schema.get("oneOf") or schema.get("anyOf")
        if branches:
            self.check_branches(value, branches, where)
            return
        if value is None:
            if not schema.get("nullable") and schema.get("type") != "null" and where not in self.known:
                self.problems.append(f"{where or 'answer'}: null, the description says {schema.get('type', '?')}")
            return
        kind = schema.get("type")
        if kind == "object" or (kind is None and "properties" in schema):
            self.check_object(value, schema, where)
        elif kind == "array":
            if not isinstance(value, list):
                self.problems.append(f"{where or 'answer'}: {type(value).__name__}, the description says array")
                return
            for item in value:
                self.check(item, schema.get("items", {}), f"{where}[]")
        elif kind is not None and not _is_type(value, kind) and where not in self.known:
            self.problems.append(f"{where}: {type(value).__name__} {value!r:.40}, the description says {kind}")
        elif "enum" in schema and value not in schema["enum"] and where not in self.known:
            self.problems.append(f"{where}: {value!r} is not one of {schema['enum']}")

    def check_object(self, value: Any, schema: dict[str, Any], where: str) -> None:
        if not isinstance(value, dict):
            self.problems.append(f"{where or 'answer'}: {type(value).__name__}, the description says object")
            return
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                self.check(item, properties[key], f"{where}.{key}")
            elif isinstance(extra, dict):
                self.check(item, extra, f"{where}.{key}")
            elif extra is not True and properties:
                self.problems.append(f"{where}.{key}: not in the description")
        for key in schema.get("required", []):
            if key not in value:
                (self.problems if self.complete else self.missing).append(f"{where}.{key}: required, missing")

    def check_branches(self, value: Any, branches: list[dict[str, Any]], where: str) -> None:
        attempts = []
        for branch in branches:
            trial = Checker(self.spec, self.complete, self.known)
            trial.check(value, branch, where)
            if not trial.problems:
                self.missing += trial.missing
                return
            attempts.append(trial)
        best = min(attempts, key=lambda t: len(t.problems))
        self.problems += best.problems
        self.missing += best.missing


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected = {"string": str, "boolean": bool, "object": dict, "array": list}.get(kind)
    return expected is None or isinstance(value, expected)


def scenario(sim: GitHubSim) -> tuple[requests.Session, dict[tuple[str, str], Callable[[], Example]]]:
    """A repository with a pull request, reviews, comments, a check run; one example request per route."""
    sim.installations.setdefault(INSTALLATION, set())
    repo = sim.add_repo(FULL, INSTALLATION)
    text = "".join(f"line {n}\n" for n in range(1, 41))
    base = repo.commit({"app.yaml": text}, branch="main")
    head = repo.commit({}, parent=base, changes={"app.yaml": text.replace("line 5\n", "changed 5\n")})
    repo.open_pull(7, "main", head)
    sim.set_permission(FULL, "alice", "maintain")
    api = requests.Session()
    api.headers["Authorization"] = f"token {_token(sim)}"
    root = f"/repos/{FULL}"
    comments = [{"path": "app.yaml", "body": "here", "line": 5, "side": "RIGHT"},
                {"path": "app.yaml", "body": "range", "start_line": 3, "line": 7}]
    made = api.post(f"{sim.url}{root}/pulls/7/reviews", json={"event": "COMMENT", "body": "b", "comments": comments},
                    timeout=10).json()
    first, second = (c["id"] for c in sim.review_comments(FULL, 7))
    pushed = sim.push_to_pull(FULL, 7, {"app.yaml": text.replace("line 5\n", "changed again 5\n")})  # outdates one
    human = sim.add_issue_comment(FULL, 7, "alice", "/flux-review rerun")
    doomed = sim.add_issue_comment(FULL, 7, "alice", "to delete")
    run = api.post(f"{sim.url}{root}/check-runs", json={"name": "flux-review", "head_sha": head}, timeout=10).json()
    button = {"label": "Re-run", "description": "Review this commit again", "identifier": "rerun"}
    review_body = {"event": "COMMENT", "body": "again", "comments": [comments[0] | {"line": 6}]}
    R = "/repos/{owner}/{repo}"
    examples: dict[tuple[str, str], Callable[[], Example]] = {
        ("POST", "/app/installations/{installation_id}/access_tokens"): lambda: Example(
            f"/app/installations/{INSTALLATION}/access_tokens", {}, 201),
        ("GET", R): lambda: Example(root),
        ("GET", R + "/pulls/{pull_number}"): lambda: Example(f"{root}/pulls/7"),
        ("GET", R + "/pulls/{pull_number}/files"): lambda: Example(f"{root}/pulls/7/files"),
        ("GET", R + "/compare/{basehead}"): lambda: Example(f"{root}/compare/main...{head}"),
        ("GET", R + "/tarball/{ref}"): lambda: Example(f"{root}/tarball/{head}", status=302),
        ("GET", R + "/contents/{path}"): lambda: Example(f"{root}/contents/app.yaml?ref={head}"),
        ("POST", R + "/check-runs"): lambda: Example(f"{root}/check-runs", {"name": "n", "head_sha": head,
                                                                            "actions": [button]}, 201),
        ("PATCH", R + "/check-runs/{check_run_id}"): lambda: Example(
            f"{root}/check-runs/{run['id']}", {"status": "completed", "conclusion": "success",
                                               "output": {"title": "t", "summary": "s"}, "actions": [button]}),
        ("GET", R + "/check-runs/{check_run_id}"): lambda: Example(f"{root}/check-runs/{run['id']}"),
        ("GET", R + "/commits/{ref}/check-runs"): lambda: Example(f"{root}/commits/{head}/check-runs"),
        ("GET", R + "/commits/{commit_sha}/pulls"): lambda: Example(f"{root}/commits/{pushed}/pulls"),
        ("POST", R + "/pulls/{pull_number}/reviews"): lambda: Example(f"{root}/pulls/7/reviews", review_body),
        ("GET", R + "/pulls/{pull_number}/reviews"): lambda: Example(f"{root}/pulls/7/reviews"),
        ("PUT", R + "/pulls/{pull_number}/reviews/{review_id}"): lambda: Example(
            f"{root}/pulls/7/reviews/{made['id']}", {"body": "edited"}),
        ("GET", R + "/pulls/{pull_number}/comments"): lambda: Example(f"{root}/pulls/7/comments"),
        ("GET", R + "/pulls/comments/{comment_id}"): lambda: Example(f"{root}/pulls/comments/{first}"),
        ("PATCH", R + "/pulls/comments/{comment_id}"): lambda: Example(f"{root}/pulls/comments/{first}",
                                                                       {"body": "edited"}),
        ("DELETE", R + "/pulls/comments/{comment_id}"): lambda: Example(f"{root}/pulls/comments/{second}",
                                                                        status=204),
        ("POST", R + "/issues/{issue_number}/comments"): lambda: Example(f"{root}/issues/7/comments", {"body": "hi"},
                                                                         201),
        ("GET", R + "/issues/{issue_number}/comments"): lambda: Example(f"{root}/issues/7/comments"),
        ("GET", R + "/issues/comments/{comment_id}"): lambda: Example(f"{root}/issues/comments/{human}"),
        ("PATCH", R + "/issues/comments/{comment_id}"): lambda: Example(f"{root}/issues/comments/{human}",
                                                                        {"body": "edited"}),
        ("DELETE", R + "/issues/comments/{comment_id}"): lambda: Example(f"{root}/issues/comments/{doomed}",
                                                                         status=204),
        ("POST", R + "/issues/comments/{comment_id}/reactions"): lambda: Example(
            f"{root}/issues/comments/{human}/reactions", {"content": "eyes"}, 201),
        ("GET", R + "/collaborators/{username}/permission"): lambda: Example(
            f"{root}/collaborators/alice/permission"),
    }
    return api, examples


def _token(sim: GitHubSim) -> str:
    answer = requests.post(f"{sim.url}/app/installations/{INSTALLATION}/access_tokens",
                           headers={"Authorization": f"Bearer {_app_jwt()}"}, timeout=10)
    answer.raise_for_status()
    return answer.json()["token"]


def _app_jwt() -> str:
    now = int(time.time())
    return jwt.encode({"iat": now - 60, "exp": now + 500, "iss": APP_ID}, key_pair()[0], algorithm="RS256")


def without(body: dict[str, Any], name: str) -> dict[str, Any]:
    """``body`` lacking the required field ``name`` (in the first item for ``list[].field``)."""
    copy = json.loads(json.dumps(body))
    outer, _, inner = name.partition("[].")
    if inner:
        copy[outer][0].pop(inner, None)
    else:
        copy.pop(name, None)
    return copy


def judge(route: Route, spec: Spec, sim: GitHubSim, api: requests.Session,
          examples: dict[tuple[str, str], Callable[[], Example]]) -> Verdict:
    verdict = Verdict(route)
    operation = spec.operation(route.method, route.spec_path)
    if route.spec_path == "/graphql":
        verdict.notes.append("GraphQL: not part of the REST description")
        return verdict
    if operation is None:
        verdict.problems.append("no such operation in the description")
        return verdict
    make = examples.get((route.method, route.spec_path))
    if make is None:
        verdict.problems.append("no example request in this script")
        return verdict
    example = make()
    wanted = spec.required_body(operation)
    if set(route.body_required) != wanted:
        verdict.problems.append(f"required body fields: simulator {sorted(route.body_required)}, "
                                f"description {sorted(wanted)}")
    session = api
    if route.spec_path.startswith("/app/"):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {_app_jwt()}"
    for name in route.body_required:
        if example.body is None or not _has(example.body, name):
            verdict.problems.append(f"the example lacks required field {name}")
            continue
        refused = session.request(route.method, f"{sim.url}{example.path}", json=without(example.body, name),
                                  timeout=10)
        if not 400 <= refused.status_code < 500:
            verdict.problems.append(f"without {name}: answered {refused.status_code}, not 4xx")
    answer = session.request(route.method, f"{sim.url}{example.path}", json=example.body, allow_redirects=False,
                             timeout=10)
    verdict.status = answer.status_code
    if answer.status_code != example.status:
        verdict.problems.append(f"answered {answer.status_code}, the example expects {example.status}: "
                                f"{answer.text[:200]}")
    documented, schema = spec.response_schema(operation, answer.status_code)
    if not documented:
        verdict.problems.append(f"status {answer.status_code} is not documented "
                                f"({', '.join(operation.get('responses', {}))})")
    elif schema is not None:
        known = KNOWN_GAPS.get((route.method, route.spec_path), set())
        checker = Checker(spec, route.complete, known)
        checker.check(answer.json(), schema, "")
        verdict.problems += checker.problems
        if checker.missing:
            verdict.notes.append(f"{len(set(checker.missing))} required fields not served (route not complete)")
        verdict.notes += [f"known gap {where}" for where in sorted(known)]
    elif answer.content:
        verdict.problems.append("the description has no JSON answer but the simulator sent a body")
    return verdict


def _has(body: dict[str, Any], name: str) -> bool:
    outer, _, inner = name.partition("[].")
    if not inner:
        return name in body
    return bool(body.get(outer)) and inner in body[outer][0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spec", type=Path, help="api.github.com.json from @octokit/openapi (else npm pack it)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = args.spec or fetch_spec(Path(folder))
        spec = Spec(json.loads(path.read_text()))
    sim = GitHubSim(APP_ID, key_pair()[1]).start()
    try:
        api, examples = scenario(sim)
        verdicts = [judge(route, spec, sim, api, examples) for route in ROUTES]
    finally:
        sim.stop()
    print(f"GitHub's OpenAPI description of api.github.com, version {spec.version}: {len(verdicts)} routes")
    for verdict in verdicts:
        route = verdict.route
        mark = "OK" if not verdict.problems else "PROBLEM"
        status = verdict.status if verdict.status is not None else "-"
        extra = f"  ({'; '.join(verdict.notes)})" if verdict.notes else ""
        print(f"{mark:8} {route.method:6} {route.spec_path:62} {status}{extra}")
        for problem in verdict.problems:
            print(f"           - {problem}")
    failed = sum(1 for v in verdicts if v.problems)
    print(f"{len(verdicts) - failed} routes OK, {failed} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
