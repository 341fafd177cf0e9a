"""Webhook payloads in GitHub's shapes (modelled on GitHub's examples), small and built per test."""

from __future__ import annotations

from typing import Any


def repository(full_name: str, repo_id: int = 1, default_branch: str = "main") -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {"id": repo_id, "name": name, "full_name": full_name, "private": True, "default_branch": default_branch,
            "owner": {"login": owner, "id": 7, "type": "Organization"}}


def sender(login: str = "octocat", kind: str = "User") -> dict[str, Any]:
    return {"login": login, "id": 42, "type": kind}


def pull_request(action: str, full_name: str, number: int, head_sha: str, base_sha: str = "0" * 40,
                 installation_id: int = 1, draft: bool = False, state: str = "open",
                 repo_id: int = 1) -> dict[str, Any]:
    repo = repository(full_name, repo_id)
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number, "state": state, "draft": draft, "title": "Change",
            "head": {"ref": "change", "sha": head_sha, "label": "acme:change", "repo": repo},
            "base": {"ref": "main", "sha": base_sha, "label": "acme:main", "repo": repo},
        },
        "repository": repo,
        "installation": {"id": installation_id, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="},
        "sender": sender(),
    }


def check_suite(action: str, full_name: str, head_sha: str, numbers: list[int], app_id: int,
                installation_id: int = 1, repo_id: int = 1) -> dict[str, Any]:
    pulls = [{"number": n, "head": {"sha": head_sha}, "base": {"ref": "main", "repo": {"id": repo_id}}}
             for n in numbers]
    return {
        "action": action,
        "check_suite": {"id": 5, "head_sha": head_sha, "head_branch": "change", "status": "completed",
                        "pull_requests": pulls, "app": {"id": app_id, "slug": "flux-review"}},
        "repository": repository(full_name, repo_id),
        "installation": {"id": installation_id},
        "sender": sender(),
    }


def check_run(action: str, full_name: str, head_sha: str, numbers: list[int], app_id: int,
              name: str = "flux-review", identifier: str | None = None, installation_id: int = 1,
              repo_id: int = 1) -> dict[str, Any]:
    pulls = [{"number": n, "head": {"sha": head_sha}, "base": {"ref": "main", "repo": {"id": repo_id}}}
             for n in numbers]
    payload: dict[str, Any] = {
        "action": action,
        "check_run": {"id": 4, "name": name, "head_sha": head_sha, "status": "completed", "conclusion": "neutral",
                      "pull_requests": pulls, "app": {"id": app_id},
                      "check_suite": {"id": 5, "head_sha": head_sha, "pull_requests": pulls}},
        "repository": repository(full_name, repo_id),
        "installation": {"id": installation_id},
        "sender": sender(),
    }
    if identifier is not None:
        payload["requested_action"] = {"identifier": identifier}
    return payload


def issue_comment(action: str, full_name: str, number: int, body: str, on_pull: bool = True,
                  user_kind: str = "User", login: str = "octocat", comment_id: int = 9,
                  installation_id: int = 1) -> dict[str, Any]:
    issue: dict[str, Any] = {"number": number, "title": "Change", "state": "open"}
    if on_pull:
        issue["pull_request"] = {"url": f"https://api.github.com/repos/{full_name}/pulls/{number}"}
    return {
        "action": action,
        "issue": issue,
        "comment": {"id": comment_id, "body": body, "user": sender(login, user_kind),
                    "author_association": "OWNER"},
        "repository": repository(full_name),
        "installation": {"id": installation_id},
        "sender": sender(login, user_kind),
    }


def installation(action: str, installation_id: int, account: str, repos: list[str]) -> dict[str, Any]:
    return {
        "action": action,
        "installation": {"id": installation_id, "account": {"login": account, "type": "Organization"}},
        "repositories": [{"id": i, "name": r.split("/")[1], "full_name": r} for i, r in enumerate(repos, 1)],
        "sender": sender(),
    }


def installation_repositories(action: str, installation_id: int, account: str, added: list[str],
                              removed: list[str]) -> dict[str, Any]:
    return {
        "action": action,
        "installation": {"id": installation_id, "account": {"login": account, "type": "Organization"}},
        "repository_selection": "selected",
        "repositories_added": [{"full_name": r, "name": r.split("/")[1]} for r in added],
        "repositories_removed": [{"full_name": r, "name": r.split("/")[1]} for r in removed],
        "sender": sender(),
    }


def ping(zen: str = "Keep it logically awesome.") -> dict[str, Any]:
    return {"zen": zen, "hook_id": 1, "hook": {"type": "App", "id": 1, "events": ["pull_request"]}}
