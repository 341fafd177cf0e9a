"""Snapshots and changed files from the simulator: constant calls, every page, patch-less files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support.inprocess import FAST, settings_for
from bot_support.keys import key_pair
from bot_support.repos import fleet
from github_sim import GitHubSim

from bot import snapshot
from bot.github import GitHubApps
from bot.pacing import LocalPacer
from checks.source import RepoSnapshot, SkippedMember


@pytest.fixture
def sim() -> Iterator[GitHubSim]:
    simulator = GitHubSim("4242", key_pair()[1]).start()
    yield simulator
    simulator.stop()


def test_changed_files_reads_every_page_and_keeps_patchless_files(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/wide", 1)
    base = repo.commit(fleet(1), branch="main")
    changes: dict[str, str | bytes | None] = {f"apps/many/f{n:03d}.yaml": f"n: {n}\n" for n in range(230)}
    changes["charts/logo.png"] = b"\x89PNG\0\0binary"
    changes["apps/app0/configmap.yaml"] = None
    head = repo.commit({}, parent=base, changes=changes)
    repo.open_pull(2, "main", head)
    client = GitHubApps(settings_for(sim.url, tmp_path), LocalPacer()).installation(1)
    pull = client.repository("acme/wide").get_pull(2)
    changed = snapshot.changed_files(pull, listed=pull.changed_files)
    assert len(changed.files) == 232 and not changed.truncated
    assert len(sim.calls(path="/pulls/2/files$")) == 3  # 100 per page
    png = changed.files["charts/logo.png"]
    assert png.patch_missing and png.whole_file_changed
    assert changed.files["apps/many/f007.yaml"].added_lines == frozenset({1})
    assert changed.files["apps/app0/configmap.yaml"].status == "removed"


def test_snapshots_cost_one_archive_call_per_side_whatever_the_size(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/big", 1)
    sha = repo.commit(fleet(150), branch="main")
    client = GitHubApps(settings_for(sim.url, tmp_path), LocalPacer()).installation(1)
    snap = snapshot.fetch_snapshot(client, "acme/big", sha, FAST)
    assert len(snap.paths()) == 301
    assert snap.label == f"acme/big@{sha[:12]}"
    assert len(sim.calls("api", path="/tarball/")) == 1


def test_merge_base_comes_from_compare(sim: GitHubSim, tmp_path: Path) -> None:
    repo = sim.add_repo("acme/fleet", 1)
    base = repo.commit(fleet(1), branch="main")
    head = repo.commit({}, parent=base, changes={"a.yaml": "a: 1\n"})
    repo.commit({}, parent=base, changes={"b.yaml": "b: 1\n"}, branch="main")  # main moved on
    client = GitHubApps(settings_for(sim.url, tmp_path), LocalPacer()).installation(1)
    assert snapshot.merge_base(client.repository("acme/fleet"), repo.branches["main"], head) == base


def test_skipped_members_are_named_with_their_reason() -> None:
    head = RepoSnapshot.from_mapping({})
    head.skipped = [SkippedMember(f"x{n}", "link not followed") for n in range(12)]
    note = snapshot.skipped_note({"base": RepoSnapshot.from_mapping({}), "head": head}, limit=2)
    assert note == ("12 files were not read: head: `x0` (link not followed); "
                    "head: `x1` (link not followed) and 10 more.")
    head.skipped = head.skipped[:1]
    assert snapshot.skipped_note({"head": head}) == "1 file was not read: head: `x0` (link not followed)."
    assert snapshot.skipped_note({"base": RepoSnapshot.from_mapping({})}) is None


def test_archive_limits_come_from_the_settings() -> None:
    limits = snapshot.archive_limits(FAST)
    assert (limits.max_members, limits.max_file_bytes) == (FAST.archive_max_members, FAST.archive_max_file_bytes)


def test_a_truncated_archive_gives_no_verdict(tmp_path: Path) -> None:
    import io
    import tarfile

    from checks.source import SnapshotError

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for index in range(3):
            data = b"kind: ConfigMap\n" * 100
            info = tarfile.TarInfo(f"top/f{index}.yaml")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    cut = buffer.getvalue()[:1200]  # inside the second member's header

    class Client:
        def download_archive(self, repository: str, sha: str, max_bytes: int, deadline: float) -> bytes:
            return cut

    with pytest.raises(SnapshotError, match=r"is incomplete .*archive ends early"):
        snapshot.fetch_snapshot(Client(), "acme/fleet", "a" * 40, FAST)  # type: ignore[arg-type]
    assert snapshot.incomplete("*", "more than 100000 members")
    assert not snapshot.incomplete("big.yaml", "larger than 16777216 bytes")
