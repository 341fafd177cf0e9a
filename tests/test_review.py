"""Differential review: what a change adds, including what it breaks in files it did not touch."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from rule_support import config_map, kustomization, snapshot

from checks import cli
from checks import loading as loading_module
from checks.config import Config
from checks.diff import ChangedFile, parse_patch
from checks.findings import Severity
from checks.report import markdown
from checks.review import review_snapshots
from checks.rules import RULES_BY_ID

DEPENDS_ON_A = "  dependsOn:\n    - name: a\n"
SOURCE = """\
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata:
      name: podinfo
      namespace: apps
    spec:
      interval: {interval}
      url: https://github.com/stefanprodan/podinfo
      ref:
        branch: master
    """


def base_files() -> dict[str, str]:
    return {
        "clusters/prod/a.yaml": kustomization("a", "./apps/a", wait=True),
        "clusters/prod/b.yaml": kustomization("b", "./apps/b", wait=True) + DEPENDS_ON_A,
        "apps/a/config.yaml": config_map("a"),
        "apps/b/config.yaml": config_map("b"),
        "apps/b/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n",
        # a problem already in the base, in a file the change does not touch
        "apps/b/source.yaml": textwrap.dedent(SOURCE.format(interval="10s")),
    }


class Git:
    """A throw-away repository driven by the git command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "-C", str(self.root), "-c", "user.name=Test", "-c",
                               "user.email=test@example.com", *args], check=True, capture_output=True, text=True)
        return done.stdout.strip()

    def write(self, files: dict[str, str]) -> None:
        for path, text in files.items():
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


def review_json(capsys: pytest.CaptureFixture[str], repo: Path, base: str, fmt: str = "json") -> tuple[int, str]:
    code = cli.main(["review", str(repo), "--base", base, "--format", fmt])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


@pytest.fixture
def deleted_a(tmp_path: Path) -> tuple[Path, str]:
    """Base: B depends on A; head deletes A and its folder, leaving B's file untouched."""
    git = Git(tmp_path)
    git.write(base_files())
    base = git.commit("base")
    git.git("rm", "-q", "-r", "clusters/prod/a.yaml", "apps/a")
    git.commit("delete a")
    return tmp_path, base


def test_deleting_a_dependency_target_is_reported_on_the_untouched_dependent(
        deleted_a: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    if "dependency/deleted-target" not in RULES_BY_ID:
        pytest.skip("dependency/deleted-target is not in the registry yet (checks/rules/dependencies.py)")
    repo, base = deleted_a
    code, out = review_json(capsys, repo, base)
    findings = json.loads(out)["findings"]
    deleted = [f for f in findings if f["rule"] == "dependency/deleted-target"]
    assert len(deleted) == 1
    assert deleted[0]["path"] == "clusters/prod/b.yaml" and deleted[0]["new"] is True
    assert deleted[0]["object"] == "Kustomization/flux-system/b"
    assert code == 1


def test_pre_existing_problems_the_change_did_not_touch_are_not_reported(
        deleted_a: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, base = deleted_a
    _, out = review_json(capsys, repo, base)
    findings = json.loads(out)["findings"]
    assert all(f["path"] != "apps/b/source.yaml" for f in findings)
    assert all(set(f) >= {"rule", "fingerprint", "new"} and isinstance(f["new"], bool) for f in findings)
    # the same repository checked as a whole still has it
    cli.main(["check", str(repo), "--format", "json"])
    checked = json.loads(capsys.readouterr().out)["findings"]
    assert any(f["path"] == "apps/b/source.yaml" and f["rule"] == "interval/too-short" for f in checked)


def test_a_pre_existing_problem_on_a_line_the_change_wrote_is_reported_as_not_new(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git = Git(tmp_path)
    git.write(base_files())
    base = git.commit("base")
    git.write({"apps/b/source.yaml": textwrap.dedent(SOURCE.format(interval="15s"))})
    git.commit("still too short")
    code, out = review_json(capsys, tmp_path, base)
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f["path"], f["new"]) for f in findings] == [
        ("interval/too-short", "apps/b/source.yaml", False)]
    assert code == 0  # a warning, below the default threshold


def test_markdown_review_shows_the_deleted_kustomization_in_the_deployment_order(
        deleted_a: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    if "dependency/deleted-target" not in RULES_BY_ID:
        pytest.skip("dependency/deleted-target is not in the registry yet (checks/rules/dependencies.py)")
    repo, base = deleted_a
    code, out = review_json(capsys, repo, base, "markdown")
    assert code == 1
    assert out.startswith("### 1 error added\n")
    assert "| ❌ | `dependency/deleted-target` | Kustomization `flux-system/b` | `clusters/prod/b.yaml:" in out
    assert "(not changed here)" in out
    assert "```mermaid" in out and '["flux-system/a (missing)"]' in out
    assert "`flux-system/b` (after `flux-system/a`)" in out
    assert out.rstrip().endswith("comment `/flux-review recheck`.")


# -- review_snapshots and compare, on in-memory snapshots ------------------------------------------------------
def test_pre_existing_problems_in_touched_files_are_kept_apart() -> None:
    base = base_files()
    head = dict(base)
    head["apps/b/source.yaml"] = base["apps/b/source.yaml"].replace("branch: master", "branch: main")
    patch = "@@ -9,2 +9,2 @@\n ref:\n-    branch: master\n+    branch: main\n"
    changes = {"apps/b/source.yaml": parse_patch("apps/b/source.yaml", patch)}
    review = review_snapshots(snapshot(base), snapshot(head), changes)
    assert review.findings == []
    assert [f.rule for f in review.pre_existing] == ["interval/too-short"]
    assert review.counts() == {"error": 0, "warning": 0, "info": 0}
    assert not review.failed


def test_new_problem_is_reported_and_fails_at_its_severity() -> None:
    base = base_files()
    head = {**base, "clusters/prod/b.yaml": base["clusters/prod/b.yaml"].replace("./apps/b", "./apps/bb")}
    changes = {"clusters/prod/b.yaml": ChangedFile("clusters/prod/b.yaml", added_lines=frozenset({8}))}
    review = review_snapshots(snapshot(base), snapshot(head), changes)
    missing = [f for f in review.findings if f.rule == "structure/path-missing"]
    assert len(missing) == 1 and review.is_new(missing[0]) and review.failed
    assert review.counts()["error"] == 1


def test_fixing_a_problem_counts_as_resolved() -> None:
    base = base_files()
    head = {**base, "apps/b/source.yaml": base["apps/b/source.yaml"].replace("10s", "10m")}
    changes = {"apps/b/source.yaml": ChangedFile("apps/b/source.yaml", added_lines=frozenset({7}))}
    review = review_snapshots(snapshot(base), snapshot(head), changes)
    assert review.findings == []
    assert [f.rule for f in review.resolved] == ["interval/too-short"]


def test_renaming_a_file_does_not_make_its_old_problems_new() -> None:
    base = {**base_files(), "apps/b/broken.yaml": "a: [1\n"}
    head = dict(base)
    head["apps/b/broken-renamed.yaml"] = head.pop("apps/b/broken.yaml")
    changes = {"apps/b/broken-renamed.yaml": ChangedFile("apps/b/broken-renamed.yaml", "renamed",
                                                         previous_path="apps/b/broken.yaml")}
    review = review_snapshots(snapshot(base), snapshot(head), changes)
    assert not any(f.rule == "structure/yaml-invalid" for f in review.findings)
    assert [f.rule for f in review.pre_existing if f.rule == "structure/yaml-invalid"] == ["structure/yaml-invalid"]


def test_base_and_head_share_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = loading_module.load_yaml

    def counting(path: str, *args: object, **kwargs: object):
        parsed.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(loading_module, "load_yaml", counting)
    base = base_files()
    head = {**base, "apps/b/source.yaml": base["apps/b/source.yaml"].replace("10s", "10m")}
    review_snapshots(snapshot(base), snapshot(head), {"apps/b/source.yaml": ChangedFile("apps/b/source.yaml")})
    assert sorted(parsed) == sorted([*base, "apps/b/source.yaml"])


def test_severity_threshold_comes_from_the_configuration() -> None:
    from checks.engine import load_config_text

    base = base_files()
    head = {**base, "apps/b/source.yaml": base["apps/b/source.yaml"].replace("10s", "20s")}
    changes = {"apps/b/source.yaml": ChangedFile("apps/b/source.yaml", added_lines=frozenset({7}))}
    strict = load_config_text("fail_on: warning\n", "flux-review.yml")
    review = review_snapshots(snapshot(base), snapshot(head), changes, strict)
    assert review.failed and review.findings[0].severity == Severity.WARNING


def _changed_lines(path: str, text: str, lines: set[int]) -> dict[str, ChangedFile]:
    return {path: ChangedFile(path, "modified", added_lines=frozenset(lines), hunk_lines=frozenset(lines))}


def test_suppressions_a_change_writes_are_listed_with_what_they_silence() -> None:
    base = base_files()
    source = textwrap.dedent(SOURCE.format(interval="10s"))
    silenced = source.replace("interval: 10s", "interval: 10s  # flux-review: ignore[interval/too-short]")
    assert silenced != source
    head = {**base, "apps/b/source.yaml": silenced}
    review = review_snapshots(snapshot(base), snapshot(head), _changed_lines("apps/b/source.yaml", silenced, {7}))
    assert [f.rule for f in review.findings] == []
    [added] = review.added_suppressions
    assert (added.path, added.line, added.finding.rule, added.honoured) == (
        "apps/b/source.yaml", 7, "interval/too-short", True)
    assert added.comment == "# flux-review: ignore[interval/too-short]"
    text = markdown.render_review(review)
    assert "This change adds 1 suppression" in text and "apps/b/source.yaml:7" in text
    # A suppression the base already had is not the change's.
    again = review_snapshots(snapshot(head), snapshot(head), _changed_lines("apps/b/source.yaml", silenced, {1}))
    assert again.added_suppressions == []


def test_a_rule_the_configuration_forbids_silencing_stays_reported() -> None:
    base = base_files()
    source = textwrap.dedent(SOURCE.format(interval="10s"))
    above = source.replace("  interval: 10s", "  # flux-review: ignore[interval/too-short]\n  interval: 10s")
    assert above != source
    head = {**base, "apps/b/source.yaml": above}
    config = Config(forbidden_suppressions=("interval/*",))
    review = review_snapshots(snapshot(base), snapshot(head), _changed_lines("apps/b/source.yaml", above, {7}),
                              config)
    assert [(f.rule, f.line) for f in review.findings] == [("interval/too-short", 8)]
    assert [a.honoured for a in review.added_suppressions] == [False]
    assert "forbidden: still reported" in markdown.render_review(review)
    assert review.resolved == []  # the base's finding is not resolved by a forbidden suppression


def test_review_of_a_change_adding_a_file_whose_name_is_not_utf8(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    git = Git(tmp_path)
    git.write(base_files())
    base = git.commit("base")
    name = os.fsdecode(b"apps/a/caf\xe9.yaml")
    (tmp_path / name).write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [b\n")
    git.commit("add a broken file with an odd name")
    code, out = review_json(capsys, tmp_path, base)
    [finding] = [f for f in json.loads(out)["findings"] if f["rule"] == "structure/yaml-invalid"]
    assert finding["new"] is True and code == 1
    code, out = review_json(capsys, tmp_path, base, fmt="markdown")
    assert code == 1 and "(not changed here)" not in out  # the diff and the snapshot name the file alike
