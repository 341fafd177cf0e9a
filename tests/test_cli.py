"""The `flux-review` command: exit codes, the JSON contract, rules, explain, --fix and --diff."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rule_support import config_map, kustomization

from checks import cli
from checks.rules import RULES

FINDING_KEYS = {"rule", "severity", "path", "line", "end_line", "message", "object", "fix", "fingerprint"}

ALERT = """\
    apiVersion: notification.toolkit.fluxcd.io/v1beta3
    kind: Provider
    metadata:
      name: slack
      namespace: flux-system
    spec:
      type: slack
      channel: alerts
      secretRef:
        name: slack-url
    ---
    apiVersion: notification.toolkit.fluxcd.io/v1beta3
    kind: Alert
    metadata:
      name: failures
      namespace: flux-system
    spec:
      providerRef:
        name: slack
      eventSeverity: error
      eventSources:
        - kind: Kustomization
          name: '*'
        - kind: HelmRelease
          name: '*'
    """


def write_repo(root: Path, interval: str = "10m", path: str = "./workloads", config: str | None = None) -> Path:
    files = {
        "clusters/prod/apps.yaml": kustomization(
            path=path, spec=f"interval: {interval}\nretryInterval: 2m\ntimeout: 5m", wait=True),
        "clusters/prod/alerts.yaml": ALERT,
        "workloads/cm.yaml": config_map("x"),
    }
    if config is not None:
        files[".github/flux-review.yml"] = config
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def findings_of(out: str) -> list[dict]:
    return json.loads(out)["findings"]


# -- exit codes ----------------------------------------------------------------------------------------
def test_clean_repository_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(write_repo(tmp_path)), "--format", "json")
    assert (code, err) == (0, "")
    assert findings_of(out) == []


def test_error_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(write_repo(tmp_path, path="./workload")))
    assert code == 1
    assert "structure/path-missing" in out and "Did you mean `./workloads`?" in out


def test_warning_exits_0_by_default_and_1_with_fail_on_warning(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path, interval="30s")
    code, out, _ = run(capsys, "check", str(repo))
    assert code == 0 and "interval/too-short" in out
    (repo / "strict.yml").write_text("fail_on: warning\n")
    assert run(capsys, "check", str(repo), "--config", str(repo / "strict.yml"))[0] == 1
    (repo / "never.yml").write_text("fail_on: never\n")
    broken = str(write_repo(tmp_path, path="./workload"))
    assert run(capsys, "check", broken, "--config", str(repo / "never.yml"))[0] == 0


def test_missing_folder_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(tmp_path / "nowhere"))
    assert code == 2 and out == ""
    assert err == f"flux-review: {tmp_path / 'nowhere'}: no such folder\n"


def test_a_file_instead_of_a_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "one.yaml").write_text("a: 1\n")
    code, _, err = run(capsys, "check", str(tmp_path / "one.yaml"))
    assert code == 2 and "not a folder" in err


def test_bad_configuration_exits_2_naming_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path, config="fail_on: error\nrulez:\n  interval/too-short: off\n")
    code, out, err = run(capsys, "check", str(repo))
    assert code == 2 and out == ""
    assert err.startswith("flux-review: .github/flux-review.yml:2: unknown setting rulez")
    assert "Traceback" not in err


def test_wrong_type_in_configuration_exits_2_naming_the_line(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path, config="rules:\n  interval/too-short:\n    enabled: maybe\n")
    code, _, err = run(capsys, "check", str(repo))
    assert code == 2 and ".github/flux-review.yml:3:" in err and "true or false" in err


def test_unreadable_explicit_configuration_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", str(write_repo(tmp_path)), "--config", str(tmp_path / "absent.yml"))
    assert code == 2 and "cannot read the configuration" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "check", str(tmp_path), "--format", "xml")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys)[0] == 2  # no command: help, and an error code
    assert run(capsys, "--help")[0] == 0


def test_internal_error_is_a_message_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.delenv("FLUX_REVIEW_DEBUG", raising=False)
    monkeypatch.setattr(cli, "analyze", broken)
    code, _, err = run(capsys, "check", str(write_repo(tmp_path)))
    assert code == 2
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


# -- the JSON contract -----------------------------------------------------------------------------------
def test_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path, interval="30s", path="./workload")
    code, out, _ = run(capsys, "check", str(repo), "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert set(document) == {"version", "findings", "stats"} and document["version"] == 1
    assert {f["rule"] for f in document["findings"]} >= {"interval/too-short", "structure/path-missing"}
    for item in document["findings"]:
        assert set(item) == FINDING_KEYS
        assert item["severity"] in ("error", "warning", "info")
        assert isinstance(item["line"], int) and item["end_line"] >= item["line"] >= 1
        assert len(item["fingerprint"]) == 16
        if item["fix"] is not None:
            assert set(item["fix"]) == {"path", "start_line", "end_line", "replacement"}
    stats = document["stats"]
    assert {"files", "yaml_files", "objects", "clusters", "kustomizations", "suppressed", "seconds",
            "error", "warning", "info"} <= set(stats)
    assert stats["error"] == sum(1 for f in document["findings"] if f["severity"] == "error")


def test_json_findings_are_sorted_by_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", str(write_repo(tmp_path, interval="30s", path="./workload")), "--format", "json")
    places = [(f["path"], f["line"]) for f in findings_of(out)]
    assert places == sorted(places)


def test_sarif_output_is_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(write_repo(tmp_path, path="./workload")), "--format", "sarif")
    assert code == 1 and json.loads(out)["version"] == "2.1.0"


# -- rules and explain -------------------------------------------------------------------------------------
def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == [rule.id for rule in RULES]
    assert "structure/unused-suppression" in listed


def test_explain_prints_the_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "structure/unused-suppression")
    assert code == 0
    assert out.startswith("structure/unused-suppression (info, fixable)\n")
    assert "# flux-review: ignore[interval/too-short]" in out and "Failing" in out and "Passing" in out


def test_explain_unknown_rule_exits_2_with_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "too-short")
    assert code == 2 and out == ""
    assert "unknown rule 'too-short'" in err and "interval/too-short" in err
    code, _, err = run(capsys, "explain", "nothing/like-this")
    assert code == 2 and "`flux-review rules` lists them" in err


# -- --fix and --diff ----------------------------------------------------------------------------------------
def test_diff_prints_the_fixes_without_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path, interval="30s")
    before = (repo / "clusters/prod/apps.yaml").read_text()
    code, out, err = run(capsys, "check", str(repo), "--diff")
    assert code == 0
    assert out.startswith("--- a/clusters/prod/apps.yaml\n+++ b/clusters/prod/apps.yaml\n")
    assert "-  interval: 30s\n+  interval: 10m\n" in out
    assert "Would fix 1 problem in 1 file" in err
    assert (repo / "clusters/prod/apps.yaml").read_text() == before


def test_fix_writes_in_place_and_reports_what_remains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path, interval="30s", path="./workload")
    code, out, _ = run(capsys, "check", str(repo), "--fix")
    assert code == 0  # both problems fixed, nothing left at the threshold
    assert out.startswith("Fixed 2 problems in 1 file:\n  clusters/prod/apps.yaml: ")
    assert "No problems" in out
    text = (repo / "clusters/prod/apps.yaml").read_text()
    assert "interval: 10m" in text and "path: ./workloads\n" in text
    assert run(capsys, "check", str(repo), "--format", "json")[1].count('"rule"') == 0


def test_fix_with_json_keeps_stdout_parseable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(write_repo(tmp_path, interval="30s")), "--fix", "--format", "json")
    assert code == 0 and findings_of(out) == []
    assert err.startswith("Fixed 1 problem in 1 file:")


def test_fix_with_nothing_to_fix_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(write_repo(tmp_path)), "--fix")
    assert code == 0 and out.startswith("Nothing to fix.\n")


def test_fix_and_diff_together_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", str(write_repo(tmp_path)), "--fix", "--diff")
    assert code == 2 and "not allowed with argument" in err


def test_layout_prints_the_clusters_as_text_or_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path)
    code, out, err = run(capsys, "layout", str(repo))
    assert code == 0 and err == ""
    assert "cluster prod (clusters/prod/)" in out and "Flux version: 2.9" in out
    code, out, _ = run(capsys, "layout", str(repo), "--format", "json")
    assert code == 0 and [c["name"] for c in json.loads(out)["clusters"]] == ["prod"]
    code, _, err = run(capsys, "layout", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in err


# -- review ------------------------------------------------------------------------------------------------
def test_review_outside_a_git_repository_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "review", str(write_repo(tmp_path)), "--base", "main")
    assert code == 2 and "not a git repository" in err


def test_review_of_an_unknown_base_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    code, _, err = run(capsys, "review", str(repo), "--base", "no-such-branch")
    assert code == 2 and "no-such-branch: unknown revision" in err
    code, out, _ = run(capsys, "review", str(repo), "--base", "main", "--format", "markdown")
    assert code == 0 and out.startswith("### No new problems\n")


def test_review_of_a_clone_missing_a_blob_reports_it_and_reviews_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_repo(tmp_path)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    (repo / "big.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "head"], check=True)
    sha = subprocess.run([*git, "rev-parse", "HEAD:big.yaml"], check=True, capture_output=True,
                         text=True).stdout.strip()
    (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()  # as a partial clone lacks it
    code, out, err = run(capsys, "review", str(repo), "--base", "main~1", "--head", "main", "--format", "json")
    assert code == 0, err
    assert "note: head: big.yaml was not read: missing from the git object store" in err
    assert '"version": 1' in out


def test_the_executable_runs_as_a_process(tmp_path) -> None:
    import subprocess
    import sys

    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n")
    done = subprocess.run([sys.executable, "-m", "checks.cli", "check", str(tmp_path), "--format", "json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert '"version": 1' in done.stdout


def test_files_limits_the_report_to_those_files_while_the_whole_repository_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write_repo(tmp_path, path="./workload")  # the path-missing error is in clusters/prod/apps.yaml
    code, out, _ = run(capsys, "check", str(repo), "--format", "json", "--files", str(repo / "workloads/cm.yaml"))
    assert (code, findings_of(out)) == (0, [])
    monkeypatch.chdir(repo)  # as pre-commit runs it: from the root, with root-relative names
    code, out, _ = run(capsys, "check", ".", "--format", "json", "--files", "clusters/prod/apps.yaml")
    assert code == 1 and [f["rule"] for f in findings_of(out)] == ["structure/path-missing"]


@pytest.mark.parametrize(("argv", "collecting"), [
    (["/usr/bin/flux-review", "check", "."], False),  # the executable, a short-lived command
    (["/usr/bin/flux-review", "explain", "x"], False),
    (["/usr/bin/flux-review", "serve"], True),  # long-running: the collector stays on
    (["/usr/bin/flux-review"], True),
    (["-c", "check"], True),  # imported by another program
])
def test_the_executable_switches_the_collector_off_before_importing_the_engine(argv: list[str],
                                                                            collecting: bool) -> None:
    code = (f"import sys; sys.argv = {argv!r}\nimport gc\nbefore = gc.get_stats()[0]['collections']\n"
            "import checks.cli\nprint(gc.isenabled(), gc.get_stats()[0]['collections'] - before)")
    enabled, collections = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True).stdout.split()
    assert enabled == str(collecting)
    if not collecting:  # off before the engine loads (about forty collections otherwise)
        assert int(collections) <= 3
