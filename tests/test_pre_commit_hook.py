"""The published pre-commit hook (.pre-commit-hooks.yaml), run the way a user's commit runs it.

The hook stays `language: python`, exactly as published: pre-commit builds a virtualenv and pip-installs
flux-review into it. Measured on the development machine with a cold PRE_COMMIT_HOME and no pip cache,
that install costs 10-12 s (later runs reuse it and take under a second), far below the minute that
would justify a test-only `language: system` copy of the hook; so what is tested is what users get.

The hook is taken from a snapshot of this checkout's working tree committed to a temporary repository
(what `pre-commit try-repo` itself does with uncommitted changes). Two tests run `pre-commit try-repo`
(a repository with a problem fails, one without passes); try-repo installs into a fresh store on every
call, so the others run `pre-commit run` from a `.pre-commit-config.yaml` as the README shows it, sharing
one PRE_COMMIT_HOME for the module: one more install in all. The hook passes the staged YAML files to
`flux-review check . --files`: the whole repository is read, the findings in those files reported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = str(Path(sys.executable).with_name("pre-commit"))

BROKEN = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
APP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: flux-system
data:
  colour: blue
"""


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout's working tree (tracked and new files, as they are now) committed to a repository."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            check=True, capture_output=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
        elif source.is_symlink():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            (snapshot / name).symlink_to(os.readlink(source))
    git(snapshot, "init", "-q", "-b", "main")
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-q", "-m", "snapshot")
    rev = subprocess.run(["git", "-C", str(snapshot), "rev-parse", "HEAD"], check=True, capture_output=True,
                         text=True, timeout=60).stdout.strip()
    return snapshot, rev


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True, timeout=60)


def fleet(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "fleet"
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fleet")
    return repo


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1")
    return subprocess.run([PRE_COMMIT, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def try_hook(repo: Path, hook_repo: tuple[Path, str], home: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo <hook repository> flux-review --all-files` inside ``repo``."""
    source, rev = hook_repo
    return pre_commit(repo, home, "try-repo", str(source), "flux-review", "--ref", rev, "--all-files")


def run_hook(repo: Path, hook_repo: tuple[Path, str], home: Path) -> subprocess.CompletedProcess[str]:
    """A commit's `pre-commit run` (staged files) with the README's configuration, pointed at ``hook_repo``."""
    source, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: flux-review\n")
    return pre_commit(repo, home, "run")


def test_hook_fails_a_repository_with_a_problem(tmp_path: Path, hook_repo: tuple[Path, str],
                                                pre_commit_home: Path) -> None:
    repo = fleet(tmp_path, {"clusters/prod/apps.yaml": BROKEN})
    result = try_hook(repo, hook_repo, pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^flux-review\.+Failed$", result.stdout, re.M)
    assert "structure/path-missing" in result.stdout and "./apps" in result.stdout


def test_hook_passes_a_repository_without_problems(tmp_path: Path, hook_repo: tuple[Path, str],
                                                    pre_commit_home: Path) -> None:
    repo = fleet(tmp_path, {"clusters/prod/apps.yaml": BROKEN, "apps/settings.yaml": APP})
    result = try_hook(repo, hook_repo, pre_commit_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^flux-review\.+Passed$", result.stdout, re.M)


def test_hook_reports_the_staged_files_problems_judged_with_the_whole_repository(
        tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    """A staged Kustomization is judged with what the repository holds; a problem in an unstaged file does not
    block the commit (the whole-repository check is `flux-review check .`)."""
    repo = fleet(tmp_path, {"clusters/prod/apps.yaml": BROKEN, "apps/settings.yaml": APP})
    (repo / "clusters/prod/other.yaml").write_text(BROKEN.replace("name: apps", "name: other")
                                                   .replace("./apps", "./other"))
    git(repo, "add", "clusters/prod/other.yaml")
    result = run_hook(repo, hook_repo, pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "structure/path-missing" in result.stdout and "./other" in result.stdout
    git(repo, "commit", "-q", "--no-verify", "-m", "broken other")
    (repo / "apps/settings.yaml").write_text(APP.replace("blue", "green"))
    git(repo, "add", "apps/settings.yaml")
    result = run_hook(repo, hook_repo, pre_commit_home)
    assert result.returncode == 0, result.stdout + result.stderr  # clusters/prod/other.yaml is not staged


def test_hook_is_skipped_when_a_commit_stages_no_yaml(tmp_path: Path, hook_repo: tuple[Path, str],
                                                      pre_commit_home: Path) -> None:
    repo = fleet(tmp_path, {"clusters/prod/apps.yaml": BROKEN})
    (repo / "README.md").write_text("# fleet\n")
    git(repo, "add", "README.md")
    result = run_hook(repo, hook_repo, pre_commit_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^flux-review\.+\(no files to check\)Skipped$", result.stdout, re.M)


def test_published_hook_definition() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "flux-review" and hook["language"] == "python"
    assert hook["entry"] == "flux-review check . --files" and hook.get("pass_filenames", True) is True
    files = re.compile(hook["files"])
    assert files.search("clusters/prod/apps.yaml") and files.search("a.yml") and not files.search("a.json")


def test_readme_snippet_names_the_published_hook() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if b.startswith("repos:")]
    assert len(blocks) == 1
    (repo,) = yaml.safe_load(blocks[0])["repos"]
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert repo["hooks"] == [{"id": hook["id"]}] and repo["rev"].startswith("v")
