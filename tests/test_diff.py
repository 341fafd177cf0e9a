"""What a change touched: GitHub patches and `git diff` output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from checks.diff import ChangedFile, parse_git_diff, parse_patch

GITHUB_PATCH = """\
@@ -1,4 +1,5 @@
 apiVersion: kustomize.toolkit.fluxcd.io/v1
 kind: Kustomization
-metadata:
+metadata: # renamed
+  name: apps
 spec:
@@ -20,3 +21,3 @@ spec:
   path: ./apps
-  interval: 1m
+  interval: 10m
   prune: true
\\ No newline at end of file
"""


def test_parse_patch_collects_added_and_shown_head_lines() -> None:
    changed = parse_patch("clusters/prod/apps.yaml", GITHUB_PATCH)
    assert changed.added_lines == {3, 4, 22}
    assert changed.hunk_lines == {1, 2, 3, 4, 5, 21, 22, 23}
    assert changed.status == "modified" and not changed.whole_file_changed


def test_a_patch_that_only_deletes_adds_no_lines() -> None:
    changed = parse_patch("a.yaml", "@@ -3,2 +2,0 @@\n-gone: 1\n-gone: 2\n")
    assert changed.added_lines == frozenset() and changed.hunk_lines == frozenset()


def test_blank_context_lines_count_as_shown() -> None:
    changed = parse_patch("a.yaml", "@@ -1,3 +1,3 @@\n a: 1\n\n-b: 2\n+b: 3\n")
    assert changed.hunk_lines == {1, 2, 3} and changed.added_lines == {3}


@pytest.mark.parametrize(("status", "whole"), [("added", True), ("modified", True), ("removed", False)])
def test_a_missing_patch_means_the_whole_file_changed(status: str, whole: bool) -> None:
    changed = parse_patch("big.yaml", None, status)
    assert changed.patch_missing is (status != "removed")
    assert changed.whole_file_changed is whole


def test_added_files_changed_throughout() -> None:
    assert ChangedFile("new.yaml", "added").whole_file_changed
    assert not ChangedFile("old.yaml", "modified").whole_file_changed


# -- git diff output ---------------------------------------------------------------------------------------------

_ENV = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": os.devnull}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True, env=_ENV).stdout.decode()


@pytest.fixture
def change(tmp_path: Path) -> dict[str, ChangedFile]:
    """Every kind of change a pull request makes, diffed the way `flux-review review` does."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    files = {
        "modified.yaml": "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\n",
        "removed.yaml": "x: 1\n",
        "old-name.yaml": "one\ntwo\nthree\nfour\nfive\nsix\n",
        "same-content.yaml": "kept: as is\nacross: a rename\n",
        "with space.yaml": "k: v\n",
        "café.yaml": "k: v\n",
        "image.png": "",
    }
    for name, text in files.items():
        (repo / name).write_text(text)
    (repo / "image.png").write_bytes(b"\x89PNG\x00\x01")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "modified.yaml").write_text("a: 1\nb: 20\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9")
    (repo / "removed.yaml").unlink()
    (repo / "old-name.yaml").rename(repo / "new-name.yaml")
    (repo / "new-name.yaml").write_text("one\ntwo\nthree\nfour\nfive\nsix\nseven\n")
    (repo / "same-content.yaml").rename(repo / "moved.yaml")
    (repo / "added.yaml").write_text("new: file\n")
    (repo / "empty.yaml").write_text("")
    (repo / "with space.yaml").write_text("k: w\n")
    (repo / "café.yaml").write_text("k: w\n")
    (repo / "image.png").write_bytes(b"\x89PNG\x00\x02")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    return parse_git_diff(git(repo, "diff", "-M", "--no-color", "--no-ext-diff", "--unified=3", "HEAD~1", "HEAD",
                              "--"))


def test_git_diff_lists_every_changed_file_by_head_path(change: dict[str, ChangedFile]) -> None:
    assert sorted(change) == ["added.yaml", "café.yaml", "empty.yaml", "image.png", "modified.yaml",
                              "moved.yaml", "new-name.yaml", "removed.yaml", "with space.yaml"]


def test_git_diff_statuses(change: dict[str, ChangedFile]) -> None:
    assert {path: c.status for path, c in change.items()} == {
        "added.yaml": "added", "empty.yaml": "added", "removed.yaml": "removed", "modified.yaml": "modified",
        "new-name.yaml": "renamed", "moved.yaml": "renamed", "with space.yaml": "modified",
        "café.yaml": "modified", "image.png": "modified",
    }
    assert change["new-name.yaml"].previous_path == "old-name.yaml"
    assert change["moved.yaml"].previous_path == "same-content.yaml"


def test_git_diff_lines(change: dict[str, ChangedFile]) -> None:
    assert change["modified.yaml"].added_lines == {2, 9}
    assert change["modified.yaml"].hunk_lines == set(range(1, 10))
    assert change["new-name.yaml"].added_lines == {7}
    assert change["added.yaml"].added_lines == {1}
    assert change["empty.yaml"].whole_file_changed
    assert change["moved.yaml"].added_lines == frozenset()
    assert change["with space.yaml"].added_lines == {1}
    assert change["café.yaml"].added_lines == {1}
    assert change["image.png"].added_lines == frozenset()


def test_empty_diff() -> None:
    assert parse_git_diff("") == {}


def test_a_c_quoted_name_that_is_not_utf8_keeps_its_bytes_as_the_snapshot_does() -> None:
    diff = ('diff --git "a/caf\\351.yaml" "b/caf\\351.yaml"\nnew file mode 100644\n--- /dev/null\n'
            '+++ "b/caf\\351.yaml"\n@@ -0,0 +1 @@\n+a: b\n')
    [path] = parse_git_diff(diff)
    assert path == b"caf\xe9.yaml".decode("utf-8", "surrogateescape")
