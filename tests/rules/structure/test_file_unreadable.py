"""structure/file-unreadable: files and folders the checkout holds but cannot read are reported, not skipped."""

from __future__ import annotations

from rule_support import config_map

from checks.config import Config
from checks.engine import analyze
from checks.source import RepoSnapshot, SkippedMember

RULE = "structure/file-unreadable"


def _snapshot(files: dict[str, str], unreadable: set[str]) -> RepoSnapshot:
    data = {path: text.encode() for path, text in files.items()}

    def read(path: str) -> bytes:
        if path in unreadable:
            raise PermissionError(13, "Permission denied")
        return data[path]

    return RepoSnapshot(sizes={p: len(b) for p, b in data.items()}, _read=read)


def test_a_file_that_cannot_be_read_is_reported_instead_of_checked_as_empty() -> None:
    files = {"apps/secret.yaml": config_map("a"), "apps/cm.yaml": config_map("b")}
    found = [f for f in analyze(_snapshot(files, {"apps/secret.yaml"}), Config()).findings if f.rule == RULE]
    assert [(f.path, f.severity.name) for f in found] == [("apps/secret.yaml", "WARNING")]
    assert "could not be read (Permission denied)" in found[0].message


def test_a_folder_the_walk_could_not_enter_is_reported() -> None:
    snapshot = _snapshot({"apps/cm.yaml": config_map("b")}, set())
    snapshot.skipped = [SkippedMember("apps/private", "folder not readable (Permission denied)")]
    found = [f for f in analyze(snapshot, Config()).findings if f.rule == RULE]
    assert [f.path for f in found] == ["apps/private"]


def test_readable_files_and_skipped_archive_members_are_not_this_rules() -> None:
    snapshot = _snapshot({"apps/cm.yaml": config_map("b")}, set())
    snapshot.skipped = [SkippedMember("big.bin", "larger than 16777216 bytes")]
    assert [f for f in analyze(snapshot, Config()).findings if f.rule == RULE] == []
