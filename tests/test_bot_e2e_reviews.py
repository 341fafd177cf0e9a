"""End to end: review comments, suggestions, slash commands and organisation configuration.

The bot runs as a real ``flux-review serve`` process; GitHub is the
simulator, which refuses a review with a comment outside the diff exactly
as GitHub does (422), so every assertion here also proves no review was
refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bot_support import payloads
from bot_support.delivery import deliver
from bot_support.keys import key_pair
from bot_support.process import BotProcess, bot_environment, serve
from bot_support.repos import KUSTOMIZATION, fleet
from bot_support.suggestions import apply_suggestion, suggested_text
from bot_support.waiting import wait_until
from github_sim import GitHubSim, SimRepo

APP_ID = "4343"
SECRET = b"e2e reviews webhook secret"
INSTALLATION = 21
TIMEOUT = 30.0
PLANTED = "planted-e2e-Secr3t-value-9f31"


@pytest.fixture(scope="module")
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim(APP_ID, key_pair()[1]).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def bot(sim: GitHubSim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    folder = tmp_path_factory.mktemp("bot")
    env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, folder / "data", github_timeout="5")
    process = serve(env, folder / "bot.log")
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def no_refused_writes(sim: GitHubSim) -> Iterator[None]:
    """Whatever a test does, GitHub (the simulator) never refused one of the bot's writes."""
    before = len(sim.errors)
    yield
    assert sim.errors[before:] == []


def with_problems(text: str, interval: str = "10m", depends_on: str | None = None) -> str:
    text = text.replace("interval: 10m", f"interval: {interval}")
    if depends_on:
        text = text.replace("  prune: true\n", f"  prune: true\n  dependsOn:\n    - name: {depends_on}\n")
    return text


def opened(sim: GitHubSim, bot: BotProcess, repo: SimRepo, number: int, action: str = "opened") -> dict[str, Any]:
    pull = repo.pulls[number]
    payload = payloads.pull_request(action, repo.full_name, number, pull.head_sha, repo.branches[pull.base_ref],
                                    installation_id=INSTALLATION, repo_id=repo.id)
    assert deliver(bot.url, "pull_request", payload, SECRET).status_code == 202
    return completed(sim, pull.head_sha)


def completed(sim: GitHubSim, sha: str, count: int = 1, timeout: float = TIMEOUT) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        runs = [r for r in sim.runs_for(sha) if r["status"] == "completed"]
        return runs[-1] if len(runs) >= count else None

    return wait_until(done, timeout, what=f"{count} completed check run(s) on {sha[:7]}")


def annotated_rules(sim: GitHubSim, run: dict[str, Any]) -> set[str]:
    return {note["title"] for note in sim.check_runs[run["id"]]["annotations"]}


def test_a_review_comments_its_findings_and_a_suggestion_applied_resolves_one(sim: GitHubSim,
                                                                              bot: BotProcess) -> None:
    repo = sim.add_repo("acme/cycle", INSTALLATION)
    files = fleet(3)
    base = repo.commit(files, branch="main")
    app0, app1 = "clusters/prod/app0.yaml", "clusters/prod/app1.yaml"
    head = repo.commit({}, parent=base, changes={
        app0: with_problems(files[app0], interval="30s", depends_on="app1"),
        app1: with_problems(files[app1], depends_on="app0"),
    })
    repo.open_pull(1, "main", head)
    run = opened(sim, bot, repo, 1)
    assert run["conclusion"] == "failure"
    assert {"dependency/cycle", "interval/too-short"} <= annotated_rules(sim, run)

    [review] = sim.reviews_for("acme/cycle", 1)
    assert (review["state"], review["commit_id"]) == ("COMMENTED", head)
    comments = sim.review_comments("acme/cycle", 1)
    [interval] = [c for c in comments if "interval/too-short" in c["body"]]
    assert suggested_text(interval["body"]) is not None
    assert sum("dependency/cycle" in c["body"] for c in comments) == 2
    assert all(c["side"] == "RIGHT" for c in comments)

    # The author commits the suggestion: the next review resolves that comment and repeats no other.
    fixed = apply_suggestion(repo.commits[head].files[app0].decode(), interval["start_line"], interval["line"],
                             interval["body"])
    second = sim.push_to_pull("acme/cycle", 1, {app0: fixed})
    run = opened(sim, bot, repo, 1, action="synchronize")
    assert run["head_sha"] == second and "interval/too-short" not in annotated_rules(sim, run)
    assert "dependency/cycle" in annotated_rules(sim, run)
    assert len(sim.reviews_for("acme/cycle", 1)) == 1  # nothing new: no review
    after = {c["id"]: c for c in sim.review_comments("acme/cycle", 1)}
    assert len(after) == len(comments)
    assert after[interval["id"]]["minimized"] == "OUTDATED"
    assert after[interval["id"]]["body"].startswith("✅ Resolved in")
    assert all(after[c["id"]]["minimized"] is None for c in comments if c["id"] != interval["id"])

    # A push that changes nothing reviewable posts no review either.
    sim.push_to_pull("acme/cycle", 1, {"README.md": "# fleet\n"})
    opened(sim, bot, repo, 1, action="synchronize")
    assert len(sim.reviews_for("acme/cycle", 1)) == 1
    assert len(sim.review_comments("acme/cycle", 1)) == len(comments)


def test_a_three_thousand_file_pull_request_stays_within_every_limit(sim: GitHubSim, bot: BotProcess) -> None:
    repo = sim.add_repo("acme/huge", INSTALLATION)
    base = repo.commit(fleet(1), branch="main")
    changes: dict[str, str | bytes | None] = {
        f"clusters/prod/team{n:04d}.yaml": with_problems(KUSTOMIZATION.format(name=f"team{n:04d}"), "30s")
        .replace(f"./apps/team{n:04d}", "./apps/app0") for n in range(3000)}
    head = repo.commit({}, parent=base, changes=changes)
    repo.open_pull(1, "main", head)
    payload = payloads.pull_request("opened", repo.full_name, 1, head, base, installation_id=INSTALLATION,
                                    repo_id=repo.id)
    assert deliver(bot.url, "pull_request", payload, SECRET).status_code == 202
    run = completed(sim, head, timeout=180.0)
    stored = sim.check_runs[run["id"]]
    assert len(stored["output"]["summary"]) <= 65_535
    assert len(stored["annotations"]) > 50  # so they went in several requests of at most 50
    assert len(sim.calls(method="PATCH", path=f"/check-runs/{run['id']}$")) >= 2
    [review] = sim.reviews_for("acme/huge", 1)
    comments = sim.review_comments("acme/huge", 1)
    assert 0 < len(comments) <= 30
    assert "more comments would exceed the cap of 30" in review["body"]


def test_recheck_runs_only_for_writers_and_never_repeats_a_comment(sim: GitHubSim, bot: BotProcess) -> None:
    repo = sim.add_repo("acme/recheck", INSTALLATION)
    files = fleet(2)
    base = repo.commit(files, branch="main")
    head = repo.commit({}, parent=base, changes={
        "clusters/prod/app0.yaml": with_problems(files["clusters/prod/app0.yaml"], interval="30s")})
    repo.open_pull(1, "main", head)
    opened(sim, bot, repo, 1)
    comments = sim.review_comments("acme/recheck", 1)
    assert len(comments) == 1

    sim.set_permission("acme/recheck", "visitor", "read")
    asked = sim.add_issue_comment("acme/recheck", 1, "visitor", "/flux-review recheck")
    payload = payloads.issue_comment("created", "acme/recheck", 1, "/flux-review recheck", login="visitor",
                                     comment_id=asked, installation_id=INSTALLATION)
    assert deliver(bot.url, "issue_comment", payload, SECRET).status_code == 202
    [reply] = wait_until(lambda: [c for c in sim.issue_comments("acme/recheck", 1) if c["user"] != "visitor"],
                         TIMEOUT, what="a reply to the read-only user")
    assert reply["body"].startswith("@visitor") and "write, maintain or admin" in reply["body"]
    assert sim.reactions_for(asked) == [] and len(sim.runs_for(head)) == 1

    sim.set_permission("acme/recheck", "maintainer", "maintain")
    asked = sim.add_issue_comment("acme/recheck", 1, "maintainer", "Please look again.\n\n/flux-review recheck")
    payload = payloads.issue_comment("created", "acme/recheck", 1, "Please look again.\n\n/flux-review recheck",
                                     login="maintainer", comment_id=asked, installation_id=INSTALLATION)
    assert deliver(bot.url, "issue_comment", payload, SECRET).status_code == 202
    completed(sim, head, count=2)
    assert [r["content"] for r in sim.reactions_for(asked)] == ["+1"]
    assert len(sim.runs_for(head)) == 2
    assert len(sim.review_comments("acme/recheck", 1)) == 1 and len(sim.reviews_for("acme/recheck", 1)) == 1
    assert len([c for c in sim.issue_comments("acme/recheck", 1) if c["user"] != "visitor"]) == 2  # no new reply

    explain = "/flux-review explain interval/too-short"
    asked = sim.add_issue_comment("acme/recheck", 1, "maintainer", explain)
    payload = payloads.issue_comment("created", "acme/recheck", 1, explain, login="maintainer", comment_id=asked,
                                     installation_id=INSTALLATION)
    assert deliver(bot.url, "issue_comment", payload, SECRET).status_code == 202
    answer = wait_until(lambda: [c for c in sim.issue_comments("acme/recheck", 1)
                                 if c["body"].startswith("### interval/too-short")], TIMEOUT, what="the explanation")
    assert len(answer) == 1


def test_organisation_configuration_with_extends_is_honoured_and_a_loop_is_reported(sim: GitHubSim,
                                                                                     bot: BotProcess) -> None:
    for org, base_config, policies in (("strict", "_extends: policies\n", "fail_on: warning\ncomments: off\n"),
                                       ("loopy", "_extends: policies\n", "_extends: .github\n")):
        sim.add_repo(f"{org}/.github", INSTALLATION).commit({".github/flux-review.yml": base_config}, branch="main")
        sim.add_repo(f"{org}/policies", INSTALLATION).commit({".github/flux-review.yml": policies}, branch="main")
        repo = sim.add_repo(f"{org}/fleet", INSTALLATION)
        files = fleet(2)
        base = repo.commit(files, branch="main")
        head = repo.commit({}, parent=base, changes={
            "clusters/prod/app0.yaml": with_problems(files["clusters/prod/app0.yaml"], interval="30s")})
        repo.open_pull(1, "main", head)
        run = opened(sim, bot, repo, 1)
        if org == "strict":
            assert run["conclusion"] == "failure"  # a warning fails: the base file's fail_on
            assert sim.reviews_for("strict/fleet", 1) == []  # and its comments: off
        else:
            assert run["conclusion"] == "neutral"
            assert "loops back" in sim.check_runs[run["id"]]["output"]["summary"]


def test_a_fork_pull_request_is_reviewed_from_the_base_repository(sim: GitHubSim, bot: BotProcess) -> None:
    repo = sim.add_repo("acme/forked", INSTALLATION)
    files = fleet(2)
    repo.commit(files, branch="main")
    sim.open_fork_pull("acme/forked", "stranger/forked", 1, "main", {
        "clusters/prod/app0.yaml": with_problems(files["clusters/prod/app0.yaml"], interval="30s")})
    run = opened(sim, bot, repo, 1)
    assert run["conclusion"] == "success" and "interval/too-short" in annotated_rules(sim, run)
    assert len(sim.review_comments("acme/forked", 1)) == 1
    assert sim.calls(path="^/repos/stranger/") == []


def test_a_plaintext_secret_is_reported_and_its_value_never_sent(sim: GitHubSim, bot: BotProcess) -> None:
    repo = sim.add_repo("acme/leaky", INSTALLATION)
    files = fleet(2)
    base = repo.commit(files, branch="main")
    secret = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: billing\n  namespace: default\n"
              f"type: Opaque\nstringData:\n  apiKey: {PLANTED}\n")
    head = repo.commit({}, parent=base, changes={"apps/app0/secret.yaml": secret})
    repo.open_pull(1, "main", head)
    run = opened(sim, bot, repo, 1)
    assert run["conclusion"] == "failure"
    assert any(rule.startswith("secrets/") for rule in annotated_rules(sim, run))
    assert any("secrets/" in c["body"] for c in sim.review_comments("acme/leaky", 1))
    assert PLANTED.encode() not in sim.all_bodies()
