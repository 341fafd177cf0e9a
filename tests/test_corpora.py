"""The engine over real Flux repositories (../shared/corpora beside the checkout).

Every corpus, and each repository inside allenporter__flux-local-testdata, is
checked with `flux-review check` in-process: exit 0 or 1 (never 2, never a
traceback) and JSON that follows the contract. These are maintained
repositories, so the model's own findings (unreadable YAML, paths and
resources that lead nowhere) must not appear: each would be a false alarm.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from checks.cli import main
from checks.yaml_docs import load_yaml

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
TESTDATA = CORPORA / "allenporter__flux-local-testdata"
ONEDR0P = CORPORA / "onedr0p__home-ops"
# Files Flux accepts that PyYAML's safe loader refuses: an `=` value and an anchor defined twice.
PYYAML_REJECTS = (
    "kubernetes/apps/o11y/kube-prometheus-stack/app/alertmanagerconfig.yaml",
    "kubernetes/apps/network/cloudflare-dns/app/helmrelease.yaml",
)
MODEL_RULES = {"structure/yaml-invalid", "structure/duplicate-key", "structure/path-missing",
               "structure/resource-missing"}

pytestmark = [
    pytest.mark.corpora,
    pytest.mark.skipif(not CORPORA.is_dir(), reason=f"{CORPORA} is absent: corpus tests skipped"),
]


def _folders() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    folders = sorted(p for p in CORPORA.iterdir() if p.is_dir())
    if TESTDATA.is_dir():
        folders += sorted(p for p in TESTDATA.iterdir() if p.is_dir())
    return folders


FOLDERS = _folders()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("folder", FOLDERS, ids=[str(p.relative_to(CORPORA)) for p in FOLDERS])
def test_check_runs_over_every_corpus(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "check", str(folder), "--format", "json")
    assert code in (0, 1), err
    assert err == ""
    document = json.loads(out)
    assert document["version"] == 1
    assert document["stats"]["files"] > 0
    for item in document["findings"]:
        assert set(item) == {"rule", "severity", "path", "line", "end_line", "message", "object", "fix",
                             "fingerprint"}
        assert (folder / item["path"]).is_file(), item
    false_alarms = [(f["rule"], f["path"], f["line"]) for f in document["findings"] if f["rule"] in MODEL_RULES]
    assert false_alarms == []
    has_errors = any(f["severity"] == "error" for f in document["findings"])
    assert code == (1 if has_errors else 0)


@pytest.mark.parametrize("folder", [p for p in FOLDERS if p.parent == CORPORA],
                         ids=[p.name for p in FOLDERS if p.parent == CORPORA])
def test_text_and_graph_run_over_every_corpus(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "check", str(folder))
    assert code in (0, 1) and err == ""
    assert re.match(r"(No problems|\d+ problems? \()", out.splitlines()[-1])
    code, out, err = _run(capsys, "graph", str(folder))
    assert code == 0 and err == ""
    assert out.startswith(("cluster ", "No clusters found"))
    assert "waiting on a cycle" not in out  # no corpus has a dependsOn cycle


@pytest.mark.skipif(not ONEDR0P.is_dir(), reason=f"{ONEDR0P} is absent")
@pytest.mark.parametrize("path", PYYAML_REJECTS)
def test_files_pyyaml_rejects_load(path: str) -> None:
    data = (ONEDR0P / path).read_bytes()
    with pytest.raises(yaml.YAMLError):
        list(yaml.safe_load_all(data))
    loaded = load_yaml(path, data)
    assert [p.rule for p in loaded.problems] == []
    assert loaded.docs and all(isinstance(doc.root, dict) for doc in loaded.docs if doc.root is not None)
    # Rendered in the model too: test_check_runs_over_every_corpus finds no model findings in onedr0p.

