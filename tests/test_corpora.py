"""The engine over real Flux repositories (../shared/corpora beside the checkout).

Every corpus, and each repository inside allenporter__flux-local-testdata, is
checked with `flux-review check` in-process: exit 0 or 1 (never 2, never a
traceback), JSON that follows the contract, and exactly the findings recorded
in ``tests/corpora_expected`` (the ecosystem check, see ``tests/ecosystem.py``).
A difference fails with a readable diff; once it has been read and is right,
``python tests/ecosystem.py --update`` rewrites the records.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ecosystem import CORPORA, corpus_folders, corpus_name, difference, read_expected, run_check

from checks.cli import main
from checks.yaml_docs import load_yaml

ONEDR0P = CORPORA / "onedr0p__home-ops"
# Files Flux accepts that PyYAML's safe loader refuses: an `=` value and an anchor defined twice.
PYYAML_REJECTS = (
    "kubernetes/apps/o11y/kube-prometheus-stack/app/alertmanagerconfig.yaml",
    "kubernetes/apps/network/cloudflare-dns/app/helmrelease.yaml",
)

pytestmark = [
    pytest.mark.corpora,
    pytest.mark.skipif(not CORPORA.is_dir(), reason=f"{CORPORA} is absent: corpus tests skipped"),
]

FOLDERS = corpus_folders()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("folder", FOLDERS, ids=[corpus_name(p) for p in FOLDERS])
def test_check_runs_over_every_corpus(folder: Path) -> None:
    code, document, err = run_check(folder)
    assert code in (0, 1), err
    assert err == ""
    assert document["version"] == 1
    assert document["stats"]["files"] > 0
    for item in document["findings"]:
        assert set(item) == {"rule", "severity", "path", "line", "end_line", "message", "object", "fix",
                             "fingerprint"}
        assert (folder / item["path"]).is_file(), item
    has_errors = any(f["severity"] == "error" for f in document["findings"])
    assert code == (1 if has_errors else 0)
    expected = read_expected(folder)
    assert expected is not None, f"no record for {corpus_name(folder)}: run python tests/ecosystem.py --update"
    diff = difference(expected, document["findings"])
    assert not diff, (f"{corpus_name(folder)} differs from tests/corpora_expected (read it, then "
                      f"`python tests/ecosystem.py --update`):\n{diff}")


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
    # Rendered in the model too: the findings recorded for onedr0p__home-ops hold no structure/yaml-invalid.

