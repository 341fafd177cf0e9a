"""The GitHub simulator itself, over real HTTP: reviews and their comments, GraphQL, the conversation, forks."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterator

import github
import jwt
import pytest
import requests
from bot_support.keys import key_pair
from github_sim import Fault, GitHubSim, Recorded, diff_hunks

APP_ID = "5150"
INSTALLATION = 8
FULL = "acme/fleet"
BASE_TEXT = "".join(f"line {n}\n" for n in range(1, 41))
HEAD_TEXT = BASE_TEXT.replace("line 5\n", "changed 5\n").replace("line 30\n", "changed 30\n")
MINIMIZE = ("mutation Hide($id: ID!) { hidden: minimizeComment(input: {subjectId: $id, classifier: OUTDATED}) "
            "{ minimizedComment { isMinimized minimizedReason } } }")


@pytest.fixture
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim(APP_ID, key_pair()[1]).start()
    yield simulator
    simulator.stop()


def token_for(sim: GitHubSim, installation: int = INSTALLATION) -> str:
    now = int(time.time())
    app_jwt = jwt.encode({"iat": now - 60, "exp": now + 500, "iss": APP_ID}, key_pair()[0], algorithm="RS256")
    answer = requests.post(f"{sim.url}/app/installations/{installation}/access_tokens",
                           headers={"Authorization": f"Bearer {app_jwt}"}, timeout=10)
    assert answer.status_code == 201
    return answer.json()["token"]


@pytest.fixture
def api(sim: GitHubSim) -> requests.Session:
    """A session holding an installation token, the way the bot calls GitHub."""
    sim.installations.setdefault(INSTALLATION, set())  # installed; the test adds its repositories
    session = requests.Session()
    session.headers["Authorization"] = f"token {token_for(sim)}"
    return session


@pytest.fixture
def pull(sim: GitHubSim) -> str:
    """Pull request 7 of acme/fleet changes lines 5 and 30 of a 40-line file: two hunks (lines 2-8 and 27-33)."""
    repo = sim.add_repo(FULL, INSTALLATION)
    base = repo.commit({"app.yaml": BASE_TEXT, "other.yaml": "a: 1\n"}, branch="main")
    head = repo.commit({}, parent=base, changes={"app.yaml": HEAD_TEXT})
    repo.open_pull(7, "main", head)
    return head


def review(sim: GitHubSim, api: requests.Session, comments: list[dict], event: str | None = "COMMENT",
           number: int = 7, **extra: object) -> requests.Response:
    body: dict[str, object] = {"body": "flux-review found problems", "comments": comments, **extra}
    if event is not None:
        body["event"] = event
    return api.post(f"{sim.url}/repos/{FULL}/pulls/{number}/reviews", json=body, timeout=10)


def comment(line: int, start_line: int | None = None, path: str = "app.yaml", **extra: object) -> dict:
    made: dict[str, object] = {"path": path, "body": f"about line {line}", "line": line, "side": "RIGHT", **extra}
    if start_line is not None:
        made["start_line"] = start_line
    return made


def test_the_hunks_are_those_of_the_files_patch(sim: GitHubSim, api: requests.Session, pull: str) -> None:
    [entry] = api.get(f"{sim.url}/repos/{FULL}/pulls/7/files", timeout=10).json()
    hunks = diff_hunks(entry["patch"])
    assert [h.header for h in hunks] == ["@@ -2,7 +2,7 @@", "@@ -27,7 +27,7 @@"]
    assert [line.new for line in hunks[0].lines if line.new] == [2, 3, 4, 5, 6, 7, 8]
    assert hunks[0].find("LEFT", 5).text == "-line 5"
    assert hunks[0].find("RIGHT", 5).text == "+changed 5"
    assert hunks[1].find("RIGHT", 26) is None


def test_a_comment_outside_the_hunks_fails_the_whole_review_and_stores_nothing(
        sim: GitHubSim, api: requests.Session, pull: str) -> None:
    answer = review(sim, api, [comment(5), comment(15)])
    assert answer.status_code == 422
    assert answer.json()["message"] == "Unprocessable Entity"
    assert answer.json()["errors"] == ["Line could not be resolved"]
    assert "documentation_url" in answer.json()
    assert sim.reviews_for(FULL, 7) == [] and sim.review_comments(FULL, 7) == []
    assert len(sim.errors) == 1
    wrong_path = review(sim, api, [comment(5, path="missing.yaml")])
    assert (wrong_path.status_code, wrong_path.json()["errors"]) == (422, ["Path could not be resolved"])
    unchanged_file = review(sim, api, [comment(1, path="other.yaml")])
    assert unchanged_file.json()["errors"] == ["Path could not be resolved"]
    assert sim.reviews_for(FULL, 7) == [] and len(sim.errors) == 3


def test_lines_inside_one_hunk_are_stored_and_listed_page_by_page(
        sim: GitHubSim, api: requests.Session, pull: str) -> None:
    answer = review(sim, api, [comment(5), comment(7, start_line=3), comment(30), comment(5, side="LEFT")])
    assert answer.status_code == 200, answer.text
    made = answer.json()
    assert made["state"] == "COMMENTED" and made["commit_id"] == pull and made["submitted_at"]
    assert made["user"]["login"] == "flux-review[bot]" and made["user"]["type"] == "Bot"
    assert made["pull_request_url"].endswith(f"/repos/{FULL}/pulls/7")
    first = api.get(f"{sim.url}/repos/{FULL}/pulls/7/comments", params={"per_page": 3}, timeout=10)
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    second = api.get(f"{sim.url}/repos/{FULL}/pulls/7/comments", params={"per_page": 3, "page": 2}, timeout=10)
    assert "Link" not in second.headers
    listed = first.json() + second.json()
    assert [(c["line"], c["start_line"], c["side"]) for c in listed] == [
        (5, None, "RIGHT"), (7, 3, "RIGHT"), (30, None, "RIGHT"), (5, None, "LEFT")]
    single, ranged = listed[0], listed[1]
    assert single["node_id"].startswith("PRRC_") and single["pull_request_review_id"] == made["id"]
    assert single["original_line"] == 5 and single["commit_id"] == single["original_commit_id"] == pull
    assert single["subject_type"] == "line" and single["user"]["login"] == "flux-review[bot]"
    assert single["diff_hunk"].splitlines() == ["@@ -2,7 +2,7 @@", " line 2", " line 3", " line 4", "-line 5",
                                                "+changed 5"]
    assert single["position"] == 5  # lines below the first @@ header
    assert ranged["start_side"] == "RIGHT" and ranged["original_start_line"] == 3
    assert listed[2]["position"] == 14  # the second hunk's header counts as a line
    assert [r["state"] for r in api.get(f"{sim.url}/repos/{FULL}/pulls/7/reviews", timeout=10).json()] == [
        "COMMENTED"]
    assert sim.errors == []


def test_a_range_across_two_hunks_or_not_ascending_is_refused(sim: GitHubSim, api: requests.Session,
                                                             pull: str) -> None:
    for refused in (comment(30, start_line=5), comment(5, start_line=5), comment(5, start_line=6),
                    comment(20, start_line=5), comment(5, side="MIDDLE")):
        answer = review(sim, api, [refused])
        assert (answer.status_code, answer.json()["errors"]) == (422, ["Line could not be resolved"]), refused
    assert sim.review_comments(FULL, 7) == []


def test_a_review_without_event_stays_pending_and_hides_its_comments(sim: GitHubSim, api: requests.Session,
                                                                    pull: str) -> None:
    answer = review(sim, api, [comment(5)], event=None)
    assert answer.status_code == 200
    assert answer.json()["state"] == "PENDING" and "submitted_at" not in answer.json()
    assert api.get(f"{sim.url}/repos/{FULL}/pulls/7/comments", timeout=10).json() == []
    assert [c["line"] for c in sim.review_comments(FULL, 7)] == [5]
    again = review(sim, api, [comment(6)], event=None)
    assert again.json()["errors"] == ["User can only have one pending review per pull request"]


def test_review_events_and_bodies_are_validated(sim: GitHubSim, api: requests.Session, pull: str) -> None:
    assert review(sim, api, [], event="REQUEST_CHANGES", body="").status_code == 422
    assert review(sim, api, [], event="COMMENT", body="").status_code == 422
    assert review(sim, api, [], event="DISMISS").status_code == 422
    assert review(sim, api, [comment(5) | {"body": "x" * 65_537}]).status_code == 422
    assert review(sim, api, [], body="y" * 65_537).status_code == 422
    assert review(sim, api, [{"path": "app.yaml", "line": 5}]).status_code == 422  # no body: required
    assert review(sim, api, [comment(5)], commit_id="f" * 40).status_code == 422
    assert sim.reviews_for(FULL, 7) == []
    approved = review(sim, api, [], event="APPROVE", body="")
    assert approved.json()["state"] == "APPROVED"
    changes = review(sim, api, [comment(5) | {"body": "z" * 65_536}], event="REQUEST_CHANGES", body="")
    assert changes.json()["state"] == "CHANGES_REQUESTED"
    assert [r["state"] for r in sim.reviews_for(FULL, 7)] == ["APPROVED", "CHANGES_REQUESTED"]


def test_a_push_outdates_comments_whose_line_changed(sim: GitHubSim, api: requests.Session, pull: str) -> None:
    assert review(sim, api, [comment(5), comment(30)]).status_code == 200
    new_head = sim.push_to_pull(FULL, 7, {"app.yaml": HEAD_TEXT.replace("changed 5\n", "changed again 5\n")})
    five, thirty = api.get(f"{sim.url}/repos/{FULL}/pulls/7/comments", timeout=10).json()
    assert (five["line"], five["start_line"], five["original_line"], five["position"], five["commit_id"]) == (
        None, None, 5, None, pull)
    assert (thirty["line"], thirty["commit_id"], thirty["original_commit_id"]) == (30, new_head, pull)


def test_review_comments_are_edited_and_deleted_within_their_repository(
        sim: GitHubSim, api: requests.Session, pull: str) -> None:
    other = sim.add_repo("acme/other", INSTALLATION)
    other.commit({"x": "1\n"}, branch="main")
    made = review(sim, api, [comment(5), comment(30)]).json()
    first, second = (c["id"] for c in sim.review_comments(FULL, 7))
    edited = api.patch(f"{sim.url}/repos/{FULL}/pulls/comments/{first}", json={"body": "better"}, timeout=10)
    assert edited.status_code == 200 and edited.json()["body"] == "better"
    assert edited.json()["pull_request_review_id"] == made["id"]
    assert api.patch(f"{sim.url}/repos/acme/other/pulls/comments/{first}", json={"body": "x"},
                     timeout=10).status_code == 404
    assert api.patch(f"{sim.url}/repos/{FULL}/pulls/comments/1", json={"body": "x"}, timeout=10).status_code == 404
    assert api.delete(f"{sim.url}/repos/acme/other/pulls/comments/{second}", timeout=10).status_code == 404
    assert api.delete(f"{sim.url}/repos/{FULL}/pulls/comments/{second}", timeout=10).status_code == 204
    assert [c["body"] for c in api.get(f"{sim.url}/repos/{FULL}/pulls/7/comments", timeout=10).json()] == ["better"]
    renamed = api.put(f"{sim.url}/repos/{FULL}/pulls/7/reviews/{made['id']}", json={"body": "summary"}, timeout=10)
    assert renamed.json()["body"] == "summary" and sim.reviews_for(FULL, 7)[0]["body"] == "summary"


def test_graphql_minimize_comment_hides_comments_and_names_unknown_ids(sim: GitHubSim, pull: str) -> None:
    token = token_for(sim)
    session = requests.Session()
    session.headers["Authorization"] = f"token {token}"
    review(sim, session, [comment(5), comment(30)])
    first, second = (c["node_id"] for c in sim.review_comments(FULL, 7))
    bearer = {"Authorization": f"bearer {token}"}
    answer = requests.post(f"{sim.url}/graphql", json={"query": MINIMIZE, "variables": {"id": first}},
                           headers=bearer, timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"data": {"hidden": {"minimizedComment": {"isMinimized": True,
                                                                      "minimizedReason": "outdated"}}}}
    assert [c["minimized"] for c in sim.review_comments(FULL, 7)] == ["OUTDATED", None]
    two = ('mutation { a: minimizeComment(input: {subjectId: "SECOND", classifier: OUTDATED}) { clientMutationId } '
           'minimizeComment(input: {subjectId: "PRRC_kwDOnope", classifier: OUTDATED}) '
           '{ minimizedComment { isMinimized } } }').replace("SECOND", second)
    mixed = requests.post(f"{sim.url}/api/graphql", json={"query": two}, headers=bearer, timeout=10).json()
    assert mixed["data"] == {"a": {"clientMutationId": None}, "minimizeComment": None}
    assert [(e["type"], e["path"]) for e in mixed["errors"]] == [("NOT_FOUND", ["minimizeComment"])]
    assert "PRRC_kwDOnope" in mixed["errors"][0]["message"]
    assert [c["minimized"] for c in sim.review_comments(FULL, 7)] == ["OUTDATED", "OUTDATED"]
    assert sim.errors == []


def test_graphql_refuses_what_it_does_not_run_with_errors_and_status_200(sim: GitHubSim, pull: str) -> None:
    bearer = {"Authorization": f"bearer {token_for(sim)}"}
    documents = [
        {"query": "query { viewer { login } }"},
        {"query": "mutation { deleteIssue(input: {issueId: \"x\"}) { clientMutationId } }"},
        {"query": MINIMIZE},  # $id not given
        {"query": 'mutation { minimizeComment(input: {subjectId: "x", classifier: "OUTDATED"}) '
                  '{ clientMutationId } }'},  # a quoted string where GraphQL wants an enum
        {"query": "mutation { minimizeComment(input: {subjectId: \"x\", classifier: OUTDATED}) { nope } }"},
        {"query": "mutation { minimizeComment(input: {"},
        {"variables": {}},
    ]
    for document in documents:
        answer = requests.post(f"{sim.url}/graphql", json=document, headers=bearer, timeout=10)
        assert answer.status_code == 200 and "data" not in answer.json(), document
        assert answer.json()["errors"][0]["message"], document
    assert len(sim.errors) == len(documents)
    assert requests.post(f"{sim.url}/graphql", json={"query": MINIMIZE}, timeout=10).status_code == 401


def test_pygithub_writes_reviews_reacts_and_minimizes_against_the_simulator(sim: GitHubSim, pull: str) -> None:
    client = github.Github(auth=github.Auth.Token(token_for(sim)), base_url=sim.url, retry=None,
                           seconds_between_requests=0, seconds_between_writes=0)
    gh_pull = client.get_repo(FULL).get_pull(7)
    made = gh_pull.create_review(body="two findings", event="COMMENT",
                                 comments=[{"path": "app.yaml", "body": "here", "line": 5, "side": "RIGHT"},
                                           {"path": "app.yaml", "body": "range", "start_line": 28, "line": 31}])
    assert made.state == "COMMENTED" and made.user.login == "flux-review[bot]"
    listed = list(gh_pull.get_review_comments())
    assert [c.line for c in listed] == [5, 31]
    listed[0].edit("edited")
    _, hidden = client.requester.graphql_named_mutation(
        "minimizeComment", {"subjectId": listed[1].node_id, "classifier": "OUTDATED"},
        "minimizedComment { isMinimized }")
    assert hidden == {"minimizedComment": {"isMinimized": True}}
    assert [(c["body"], c["minimized"]) for c in sim.review_comments(FULL, 7)] == [("edited", None),
                                                                                   ("range", "OUTDATED")]
    human = sim.add_issue_comment(FULL, 7, "alice", "/flux-review rerun")
    asked = gh_pull.get_issue_comment(human)
    assert asked.user.login == "alice"
    assert asked.create_reaction("eyes").content == "eyes"
    mine = gh_pull.create_issue_comment("working on it")
    assert mine.user.login == "flux-review[bot]"
    assert mine.minimize() is True
    assert sim.issue_comments(FULL, 7)[1]["minimized"] == "OUTDATED"
    assert [c["user"] for c in sim.issue_comments(FULL, 7)] == ["alice", "flux-review[bot]"]
    assert [r["content"] for r in sim.reactions_for(human)] == ["eyes"]


def test_issue_comments_are_created_listed_and_bounded(sim: GitHubSim, api: requests.Session, pull: str) -> None:
    human = sim.add_issue_comment(FULL, 7, "alice", "/flux-review explain")
    made = api.post(f"{sim.url}/repos/{FULL}/issues/7/comments", json={"body": "summary"}, timeout=10)
    assert made.status_code == 201
    assert made.json()["user"]["login"] == "flux-review[bot]" and made.json()["node_id"].startswith("IC_")
    assert made.json()["issue_url"].endswith(f"/repos/{FULL}/issues/7")
    assert api.post(f"{sim.url}/repos/{FULL}/issues/7/comments", json={"body": "x" * 65_537},
                    timeout=10).status_code == 422
    assert api.post(f"{sim.url}/repos/{FULL}/issues/7/comments", json={}, timeout=10).status_code == 422
    assert api.post(f"{sim.url}/repos/{FULL}/issues/99/comments", json={"body": "x"}, timeout=10).status_code == 404
    page = api.get(f"{sim.url}/repos/{FULL}/issues/7/comments", params={"per_page": 1}, timeout=10)
    assert [c["id"] for c in page.json()] == [human] and 'rel="last"' in page.headers["Link"]
    assert page.json()[0]["user"] == page.json()[0]["user"] | {"login": "alice", "type": "User"}
    assert [c["body"] for c in sim.issue_comments(FULL, 7)] == ["/flux-review explain", "summary"]


def test_reactions_are_created_once_per_user_and_content(sim: GitHubSim, api: requests.Session, pull: str) -> None:
    human = sim.add_issue_comment(FULL, 7, "alice", "/flux-review rerun")
    url = f"{sim.url}/repos/{FULL}/issues/comments/{human}/reactions"
    first = api.post(url, json={"content": "eyes"}, timeout=10)
    assert first.status_code == 201
    assert first.json()["content"] == "eyes" and first.json()["user"]["login"] == "flux-review[bot]"
    again = api.post(url, json={"content": "eyes"}, timeout=10)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert api.post(url, json={"content": "+1"}, timeout=10).status_code == 201
    assert api.post(url, json={"content": "thumbs"}, timeout=10).status_code == 422
    assert api.post(f"{sim.url}/repos/{FULL}/issues/comments/1/reactions", json={"content": "eyes"},
                    timeout=10).status_code == 404
    assert [(r["content"], r["user"]) for r in sim.reactions_for(human)] == [("eyes", "flux-review[bot]"),
                                                                            ("+1", "flux-review[bot]")]


def test_collaborator_permission_maps_roles_like_github(sim: GitHubSim, api: requests.Session, pull: str) -> None:
    for user, role in (("ada", "admin"), ("mo", "maintain"), ("wu", "write"), ("tri", "triage"), ("rae", "read")):
        sim.set_permission(FULL, user, role)
    sim.mark_nonexistent("Ghost")
    seen = {}
    for user in ("ada", "mo", "wu", "tri", "rae", "stranger"):
        answer = api.get(f"{sim.url}/repos/{FULL}/collaborators/{user}/permission", timeout=10)
        assert answer.status_code == 200 and answer.json()["user"]["login"] == user
        seen[user] = (answer.json()["permission"], answer.json()["role_name"])
    assert seen == {"ada": ("admin", "admin"), "mo": ("write", "maintain"), "wu": ("write", "write"),
                    "tri": ("read", "triage"), "rae": ("read", "read"), "stranger": ("none", "none")}
    ghost = api.get(f"{sim.url}/repos/{FULL}/collaborators/ghost/permission", timeout=10)
    assert ghost.status_code == 404 and ghost.json()["message"] == "ghost is not a user"
    with pytest.raises(ValueError):
        sim.set_permission(FULL, "x", "owner")


def test_a_fork_is_unreadable_but_its_head_is_served_by_the_base_repository(
        sim: GitHubSim, api: requests.Session) -> None:
    repo = sim.add_repo(FULL, INSTALLATION)
    base = repo.commit({"app.yaml": BASE_TEXT}, branch="main")
    forked = sim.open_fork_pull(FULL, "mallory/fleet", 9, "main", {"evil.yaml": "kind: Secret\n"})
    head = forked.head_sha
    answer = api.get(f"{sim.url}/repos/{FULL}/pulls/9", timeout=10).json()
    assert answer["head"]["sha"] == head and answer["head"]["repo"]["full_name"] == "mallory/fleet"
    assert answer["head"]["repo"]["fork"] is True and answer["base"]["repo"]["full_name"] == FULL
    assert api.get(f"{sim.url}/repos/mallory/fleet", timeout=10).status_code == 404
    assert api.get(f"{sim.url}/repos/mallory/fleet/tarball/{head}", timeout=10).status_code == 404
    contents = api.get(f"{sim.url}/repos/{FULL}/contents/evil.yaml", params={"ref": head}, timeout=10)
    assert contents.status_code == 200
    assert api.get(f"{sim.url}/repos/{FULL}/contents/evil.yaml", timeout=10).status_code == 404  # not on main
    compare = api.get(f"{sim.url}/repos/{FULL}/compare/main...{head}", timeout=10).json()
    assert compare["merge_base_commit"]["sha"] == base
    redirect = api.get(f"{sim.url}/repos/{FULL}/tarball/{head}", allow_redirects=False, timeout=10)
    archive = requests.get(redirect.headers["Location"], timeout=10)
    with tarfile.open(fileobj=io.BytesIO(archive.content), mode="r:gz") as tar:
        assert sorted(m.name.split("/", 1)[1] for m in tar.getmembers()) == ["app.yaml", "evil.yaml"]
    assert [f["filename"] for f in api.get(f"{sim.url}/repos/{FULL}/pulls/9/files", timeout=10).json()] == [
        "evil.yaml"]
    newer = sim.push_to_pull(FULL, 9, {"evil.yaml": "kind: ConfigMap\n"})
    assert api.get(f"{sim.url}/repos/{FULL}/pulls/9", timeout=10).json()["head"]["sha"] == newer
    assert sim.repos["mallory/fleet"].branches["change"] == newer


def test_request_bodies_are_recorded(sim: GitHubSim, api: requests.Session, pull: str) -> None:
    api.post(f"{sim.url}/repos/{FULL}/issues/7/comments", json={"body": "hunter2 leaked"}, timeout=10)
    api.get(f"{sim.url}/repos/{FULL}/pulls/7", timeout=10)
    assert b"hunter2" in sim.all_bodies()
    assert sim.calls(method="GET", path="/pulls/7$")[0].body == b""
    assert b'"hunter2 leaked"' in sim.calls(method="POST", path="/issues/7/comments$")[0].body
    old_style = Recorded("api", "GET", "/x", "", 200, None, False, 0.0)
    assert old_style.body == b""


def test_faults_apply_to_the_new_endpoints(sim: GitHubSim, api: requests.Session, pull: str) -> None:
    sim.add_fault(Fault("POST", r"^api:/graphql$", "status", status=502))
    sim.add_fault(Fault("POST", r"^api:/repos/acme/fleet/pulls/7/reviews$", "status", status=429,
                        headers={"Retry-After": "1"}))
    assert api.post(f"{sim.url}/graphql", json={"query": MINIMIZE}, timeout=10).status_code == 502
    limited = review(sim, api, [comment(5)])
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert review(sim, api, [comment(5)]).status_code == 200
    assert [c.status for c in sim.calls(path="/reviews$")] == [429, 200]
