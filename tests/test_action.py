"""The GitHub Action (action.yml): its review step run as GitHub runs it, against a real git repository.

The step is taken from action.yml itself: its `run` script and `env`, with `${{ inputs.* }}` and
`${{ github.action_path }}` replaced the way the runner replaces them, run by `bash --noprofile --norc
-eo pipefail` like a `shell: bash` step, with GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY
and GITHUB_OUTPUT pointing at temporary files. flux-review is the one this test suite runs (the install
step, `pip install` of the action's checkout, is what put it there).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())

KUSTOMIZATION = """\
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
CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: flux-system
data:
  colour: blue
"""
PLAINTEXT_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: database
  namespace: flux-system
stringData:
  password: hunter2-in-git
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com",
                           "-c", "commit.gpgsign=false", *args], check=True, capture_output=True, text=True,
                          timeout=60).stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def fleet(tmp_path: Path) -> tuple[Path, str]:
    """A fleet repository with one clean commit, the base of the pull requests below."""
    repo = tmp_path / "fleet"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    base = commit(repo, {"clusters/prod/apps.yaml": KUSTOMIZATION, "apps/settings.yaml": CONFIG_MAP}, "base")
    return repo, base


def review_step() -> dict[str, Any]:
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "review"]
    return step


def expand(text: str, inputs: dict[str, str]) -> str:
    """The runner's expression substitution, for the two kinds the step uses."""
    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression == "github.action_path":
            return str(ROOT)
        name = expression.removeprefix("inputs.")
        assert name in ACTION["inputs"], f"unknown expression {expression}"
        return inputs.get(name, ACTION["inputs"][name].get("default", ""))

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def run_action(tmp_path: Path, repo: Path, event_name: str, event: dict[str, Any],
               **inputs: str) -> tuple[int, str, dict[str, str], Path]:
    """Run the review step; answer its exit code, the job summary, its outputs and the SARIF path."""
    step = review_step()
    assert step["shell"] == "bash"
    event_path, summary, outputs = tmp_path / "event.json", tmp_path / "summary.md", tmp_path / "output.txt"
    event_path.write_text(json.dumps(event))
    summary.write_text("")
    outputs.write_text("")
    inputs = {"path": str(repo), "sarif-file": str(tmp_path / "flux-review.sarif"), **inputs}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "INPUT_", "GITHUB_"))}
    env.update({name: expand(str(value), inputs) for name, value in step["env"].items()})
    env.update(GITHUB_EVENT_NAME=event_name, GITHUB_EVENT_PATH=str(event_path), GITHUB_STEP_SUMMARY=str(summary),
               GITHUB_OUTPUT=str(outputs), NO_COLOR="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    script = tmp_path / "step.sh"
    script.write_text(expand(step["run"], inputs))
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return result.returncode, summary.read_text(), values, Path(inputs["sarif-file"])


def pull_request(base: str, head: str) -> dict[str, Any]:
    return {"action": "synchronize", "number": 7,
            "pull_request": {"number": 7, "base": {"ref": "main", "sha": base}, "head": {"ref": "topic", "sha": head}}}


def test_pull_request_adding_a_problem_fails_with_the_verdict_and_sarif(tmp_path: Path,
                                                                         fleet: tuple[Path, str]) -> None:
    repo, base = fleet
    head = commit(repo, {"apps/database.yaml": PLAINTEXT_SECRET}, "add the database password")
    git(repo, "checkout", "-q", base)  # the runner's checkout need not be the head: the shas decide
    code, summary, outputs, sarif_path = run_action(tmp_path, repo, "pull_request", pull_request(base, head))
    assert code == 1 and outputs["exit-code"] == "1"
    assert summary.startswith("### ") and "error" in summary.splitlines()[0]
    assert "secrets/plaintext-secret" in summary and "apps/database.yaml" in summary
    assert "hunter2-in-git" not in summary
    assert outputs["sarif-file"] == str(sarif_path)
    sarif = json.loads(sarif_path.read_text())
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["secrets/plaintext-secret"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "apps/database.yaml"


def test_clean_pull_request_passes(tmp_path: Path, fleet: tuple[Path, str]) -> None:
    repo, base = fleet
    head = commit(repo, {"apps/more.yaml": CONFIG_MAP.replace("settings", "more")}, "add a ConfigMap")
    code, summary, outputs, sarif_path = run_action(tmp_path, repo, "pull_request", pull_request(base, head))
    assert code == 0 and outputs["exit-code"] == "0"
    assert summary.startswith("### No new problems")
    assert json.loads(sarif_path.read_text())["runs"][0]["results"] == []


def test_pull_request_review_reports_only_what_the_change_adds(tmp_path: Path, fleet: tuple[Path, str]) -> None:
    """A problem already on the base is not the pull request's: the verdict passes."""
    repo, _ = fleet
    base = commit(repo, {"apps/database.yaml": PLAINTEXT_SECRET}, "an old mistake")
    head = commit(repo, {"apps/more.yaml": CONFIG_MAP.replace("settings", "more")}, "add a ConfigMap")
    code, summary, _, _ = run_action(tmp_path, repo, "pull_request", pull_request(base, head))
    assert code == 0 and summary.startswith("### No new problems")


def test_push_checks_the_whole_tree(tmp_path: Path, fleet: tuple[Path, str]) -> None:
    repo, _ = fleet
    commit(repo, {"apps/database.yaml": PLAINTEXT_SECRET}, "add the database password")
    code, summary, outputs, sarif_path = run_action(tmp_path, repo, "push", {"after": git(repo, "rev-parse", "HEAD")})
    assert code == 1 and outputs["exit-code"] == "1"
    assert summary.startswith("### flux-review check\n") and "secrets/plaintext-secret" in summary
    assert json.loads(sarif_path.read_text())["runs"][0]["results"][0]["ruleId"] == "secrets/plaintext-secret"


def test_push_of_a_clean_tree_passes_and_sarif_can_be_switched_off(tmp_path: Path, fleet: tuple[Path, str]) -> None:
    repo, _ = fleet
    code, summary, outputs, sarif_path = run_action(tmp_path, repo, "push", {}, sarif="false")
    assert code == 0 and outputs == {"exit-code": "0"} and not sarif_path.exists()
    assert "1 problem (1 info)" in summary  # below fail_on (error): the job passes


def test_action_installs_itself_and_uploads_sarif_only_when_asked() -> None:
    assert ACTION["runs"]["using"] == "composite"
    steps = ACTION["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    assert '"${{ github.action_path }}"' in steps[1]["run"] and "pip install" in steps[1]["run"]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert "always()" in upload["if"] and "inputs.sarif == 'true'" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ steps.review.outputs.sarif-file }}"
    # Inputs reach the script through env, never pasted into its text (no injection through an input).
    assert "inputs." not in review_step()["run"]


def test_readme_snippet_uses_the_action_as_it_is() -> None:
    """The README's workflow names only inputs action.yml declares, and asks for what SARIF upload needs."""
    readme = (ROOT / "README.md").read_text()
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "flux-review/flux-review@" in b]
    assert len(blocks) == 1
    workflow = yaml.safe_load(re.sub(r"^(\s*)# ([\w-]+: )", r"\1\2", blocks[0], flags=re.M))  # commented inputs too
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["flux-review"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert set(steps[1]["with"]) <= set(ACTION["inputs"])
    assert set(steps[1]["with"]) == set(ACTION["inputs"]) - {"sarif-file"}
