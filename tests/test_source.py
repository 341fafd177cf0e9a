"""RepoSnapshot: folders, git commits, mappings and hostile tar archives."""

from __future__ import annotations

import io
import os
import random
import subprocess
import tarfile
from pathlib import Path

import pytest

from checks.source import (
    MISSING_BLOB,
    ArchiveLimits,
    RepoSnapshot,
    SnapshotError,
    artifact_path,
    merge_base,
    normalize,
    resolve_revision,
)

# -- helpers ----------------------------------------------------------------------------------------

_GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": os.devnull,
}


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=True,
                          env=_GIT_ENV)
    return done.stdout.decode().strip()


def blob(repo: Path, data: bytes) -> str:
    return git(repo, "hash-object", "-w", "--stdin", stdin=data)


def tree(repo: Path, entries: list[tuple[str, str, str, str]]) -> str:
    """``git mktree`` from (mode, type, sha, name) entries."""
    text = "".join(f"{mode} {kind} {sha}\t{name}\n" for mode, kind, sha, name in entries)
    return git(repo, "mktree", stdin=text.encode())


def commit(repo: Path, tree_sha: str, message: str, *parents: str) -> str:
    args = ["commit-tree", tree_sha, "-m", message]
    for parent in parents:
        args += ["-p", parent]
    return git(repo, *args)


def make_tar(members: list[tarfile.TarInfo | tuple[str, bytes]], gzip: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gzip else "w") as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def reasons(snapshot: RepoSnapshot) -> dict[str, str]:
    return {member.name: member.reason for member in snapshot.skipped}


# -- paths and mappings -------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("./apps/a.yaml", "apps/a.yaml"),
    ("apps//b.yaml", "apps/b.yaml"),
    ("/apps/c.yaml", "apps/c.yaml"),
    ("apps\\d.yaml", "apps/d.yaml"),
    ("apps/x/../e.yaml", "apps/e.yaml"),
    ("./", ""),
    ("apps/", "apps"),
])
def test_normalize_gives_repo_relative_posix_paths(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_mapping_snapshot_normalises_paths_and_encodes_text() -> None:
    snapshot = RepoSnapshot.from_mapping({"./apps/a.yaml": "a: 1\n", "apps//b.yaml": b"b: 2\n", "./": "x"})
    assert snapshot.paths() == ["apps/a.yaml", "apps/b.yaml"]
    assert snapshot.paths() is snapshot.paths()  # sorted once
    assert snapshot.read("apps/a.yaml") == b"a: 1\n"
    assert snapshot.size("apps/b.yaml") == 5
    assert "apps/a.yaml" in snapshot
    assert "apps/missing.yaml" not in snapshot
    with pytest.raises(KeyError):
        snapshot.read("apps/missing.yaml")


def test_folders_are_derived_from_file_paths() -> None:
    snapshot = RepoSnapshot.from_mapping({"a/b/c.yaml": "", "a/d.yaml": "", "e.yaml": "", "a/b/f/g.yaml": ""})
    assert snapshot.is_dir("")
    assert snapshot.is_dir("a/b")
    assert snapshot.is_dir("./a/b/")
    assert not snapshot.is_dir("a/d.yaml")
    assert not snapshot.is_dir("z")
    assert snapshot.listdir("") == (["e.yaml"], ["a"])
    assert snapshot.listdir("a") == (["d.yaml"], ["b"])
    assert snapshot.listdir("a/b") == (["c.yaml"], ["f"])
    assert snapshot.listdir("nowhere") == ([], [])
    assert list(snapshot.walk_files("a/b")) == ["a/b/c.yaml", "a/b/f/g.yaml"]
    assert len(list(snapshot.walk_files(""))) == 4


# -- folders ---------------------------------------------------------------------------------------------

def test_folder_snapshot_skips_git_and_does_not_follow_symlinks(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "apps").mkdir(parents=True)
    (repo / "apps" / "a.yaml").write_text("a: 1\n")
    (repo / ".git" / "objects").mkdir(parents=True)
    (repo / ".git" / "config").write_text("[core]\n")
    (repo / ".github").mkdir()
    (repo / ".github" / "flux-review.yml").write_text("fail_on: error\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("stolen: true\n")
    (repo / "apps" / "link.yaml").symlink_to(outside / "secret.yaml")
    (repo / "linked-folder").symlink_to(outside, target_is_directory=True)

    snapshot = RepoSnapshot.from_folder(repo)

    assert snapshot.paths() == [".github/flux-review.yml", "apps/a.yaml"]
    assert snapshot.read("apps/a.yaml") == b"a: 1\n"
    assert snapshot.size("apps/a.yaml") == 5
    assert not snapshot.is_dir("linked-folder")


def test_folder_snapshot_reads_lazily(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("first\n")
    snapshot = RepoSnapshot.from_folder(tmp_path)
    (tmp_path / "a.yaml").write_text("second\n")
    assert snapshot.read("a.yaml") == b"second\n"
    (tmp_path / "a.yaml").write_text("third\n")
    assert snapshot.read("a.yaml") == b"second\n"  # read once, then cached


def test_folder_snapshot_of_a_file_or_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file.yaml").write_text("")
    with pytest.raises(SnapshotError, match="not a folder"):
        RepoSnapshot.from_folder(tmp_path / "file.yaml")
    with pytest.raises(SnapshotError):
        RepoSnapshot.from_folder(tmp_path / "missing")


# -- git commits -------------------------------------------------------------------------------------------

@pytest.fixture
def bare_repo(tmp_path: Path) -> Path:
    """A bare repository (no work tree at all) with two commits made with plumbing only."""
    repo = tmp_path / "fleet.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=_GIT_ENV)
    ks_v1 = blob(repo, b"kind: Kustomization\nspec:\n  interval: 10m\n")
    ks_v2 = blob(repo, b"kind: Kustomization\nspec:\n  interval: 1h\n")
    readme = blob(repo, b"# fleet\n")
    spaced = blob(repo, b"a: 1\n")
    apps_v1 = tree(repo, [("100644", "blob", ks_v1, "ks.yaml")])
    apps_v2 = tree(repo, [
        ("100644", "blob", ks_v2, "ks.yaml"),
        ("100644", "blob", spaced, "with space.yaml"),
        ("120000", "blob", blob(repo, b"../README.md"), "link.yaml"),
    ])
    root_v1 = tree(repo, [("040000", "tree", apps_v1, "apps"), ("100644", "blob", readme, "README.md")])
    root_v2 = tree(repo, [
        ("040000", "tree", apps_v2, "apps"),
        ("100644", "blob", readme, "README.md"),
        ("160000", "commit", "1" * 40, "vendor"),
    ])
    first = commit(repo, root_v1, "first")
    second = commit(repo, root_v2, "second", first)
    git(repo, "update-ref", "refs/heads/main", second)
    git(repo, "update-ref", "refs/heads/old", first)
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    return repo


def test_git_snapshot_reads_a_commit_without_a_checkout(bare_repo: Path) -> None:
    snapshot = RepoSnapshot.from_git(bare_repo, "main")
    # Symlinks and submodules are not files of the repository.
    assert snapshot.paths() == ["README.md", "apps/ks.yaml", "apps/with space.yaml"]
    assert snapshot.read("apps/ks.yaml") == b"kind: Kustomization\nspec:\n  interval: 1h\n"
    assert snapshot.read("apps/with space.yaml") == b"a: 1\n"
    assert snapshot.read("README.md") == b"# fleet\n"  # not preloaded: read with cat-file
    assert snapshot.size("README.md") == 8
    assert snapshot.is_dir("apps")
    assert "main" in snapshot.label


def test_git_snapshot_of_an_older_revision(bare_repo: Path) -> None:
    snapshot = RepoSnapshot.from_git(bare_repo, "main~1")
    assert snapshot.paths() == ["README.md", "apps/ks.yaml"]
    assert b"interval: 10m" in snapshot.read("apps/ks.yaml")
    assert resolve_revision(str(bare_repo), "old") == resolve_revision(str(bare_repo), "main~1")
    assert merge_base(str(bare_repo), "old", "main") == resolve_revision(str(bare_repo), "old")


def test_blobs_missing_from_the_object_store_are_kept_empty_and_reported(tmp_path: Path) -> None:
    # A partial clone or a mirror without large files: the tree names blobs the store does not hold.
    repo = tmp_path / "partial.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=_GIT_ENV)
    present = blob(repo, b"kind: Kustomization\nspec:\n  interval: 10m\n")
    absent_yaml, absent_binary = "1" * 40, "2" * 40
    text = "".join(f"100644 blob {sha}\t{name}\n" for sha, name in (
        (present, "ks.yaml"), (absent_yaml, "lost.yaml"), (absent_binary, "chart.tgz")))
    root = git(repo, "mktree", "--missing", stdin=text.encode())
    git(repo, "update-ref", "refs/heads/main", commit(repo, root, "partial"))

    snapshot = RepoSnapshot.from_git(repo, "main")

    assert snapshot.paths() == ["chart.tgz", "ks.yaml", "lost.yaml"]
    assert snapshot.read("lost.yaml") == b"" and snapshot.read("chart.tgz") == b""
    assert b"interval: 10m" in snapshot.read("ks.yaml")
    assert [(m.name, m.reason) for m in snapshot.skipped] == [("chart.tgz", MISSING_BLOB), ("lost.yaml", MISSING_BLOB)]


def test_git_snapshot_of_an_unknown_revision_is_an_error(bare_repo: Path, tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="unknown revision"):
        RepoSnapshot.from_git(bare_repo, "no-such-branch")
    with pytest.raises(SnapshotError, match="unknown revision"):
        RepoSnapshot.from_git(bare_repo, "--output=/tmp/x")  # never read as an option
    with pytest.raises(SnapshotError):
        RepoSnapshot.from_git(tmp_path / "not-a-repo", "main")


# -- tar archives ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("gzip", [True, False], ids=["gzipped", "plain"])
def test_tar_snapshot_strips_the_top_folder(gzip: bool) -> None:
    data = make_tar([
        special("owner-repo-abc123", tarfile.DIRTYPE),
        ("owner-repo-abc123/clusters/prod/ks.yaml", b"kind: Kustomization\n"),
        ("owner-repo-abc123/README.md", b"# readme\n"),
    ], gzip=gzip)
    snapshot = RepoSnapshot.from_tar(data)
    assert snapshot.paths() == ["README.md", "clusters/prod/ks.yaml"]
    assert snapshot.read("clusters/prod/ks.yaml") == b"kind: Kustomization\n"
    assert snapshot.skipped == []


def test_tar_snapshot_can_keep_the_top_folder() -> None:
    snapshot = RepoSnapshot.from_tar(make_tar([("apps/a.yaml", b"a")]), strip_top_folder=False)
    assert snapshot.paths() == ["apps/a.yaml"]


def test_tar_snapshot_skips_hostile_members_with_reasons() -> None:
    device = special("top/dev-null", tarfile.CHRTYPE)
    device.devmajor, device.devminor = 1, 3
    data = make_tar([
        ("top/ok.yaml", b"ok: true\n"),
        ("/etc/passwd", b"root:x:0:0\n"),
        ("top/../../escape.yaml", b"escape: true\n"),
        special("top/link.yaml", tarfile.SYMTYPE, "/etc/shadow"),
        special("top/hard.yaml", tarfile.LNKTYPE, "top/ok.yaml"),
        device,
        special("top/pipe", tarfile.FIFOTYPE),
        special("top/block", tarfile.BLKTYPE),
    ], gzip=True)
    snapshot = RepoSnapshot.from_tar(data)
    assert snapshot.paths() == ["ok.yaml"]
    assert reasons(snapshot) == {
        "/etc/passwd": "absolute path",
        "top/../../escape.yaml": "path escapes the archive",
        "top/link.yaml": "link not followed",
        "top/hard.yaml": "link not followed",
        "top/dev-null": "not a regular file",
        "top/pipe": "not a regular file",
        "top/block": "not a regular file",
    }


def test_tar_snapshot_skips_a_member_above_the_file_cap() -> None:
    data = make_tar([("top/small.yaml", b"x" * 10), ("top/big.yaml", b"x" * 11)])
    snapshot = RepoSnapshot.from_tar(data, limits=ArchiveLimits(max_file_bytes=10))
    assert snapshot.paths() == ["small.yaml"]
    assert reasons(snapshot) == {"big.yaml": "larger than 10 bytes"}


def test_tar_snapshot_stops_adding_past_the_total_cap() -> None:
    data = make_tar([("top/a.yaml", b"a" * 40), ("top/b.yaml", b"b" * 40), ("top/c.yaml", b"c" * 20)])
    snapshot = RepoSnapshot.from_tar(data, limits=ArchiveLimits(max_total_bytes=64))
    assert snapshot.paths() == ["a.yaml", "c.yaml"]
    assert reasons(snapshot) == {"b.yaml": "archive total above 64 bytes"}


def test_tar_snapshot_stops_at_the_member_cap() -> None:
    data = make_tar([(f"top/f{i}.yaml", b"x") for i in range(5)])
    snapshot = RepoSnapshot.from_tar(data, limits=ArchiveLimits(max_members=3))
    assert snapshot.paths() == ["f0.yaml", "f1.yaml", "f2.yaml"]
    assert reasons(snapshot) == {"*": "more than 3 members"}


@pytest.mark.parametrize("cut", [700, 1200, 2000], ids=["in-first-member", "in-a-header", "in-second-member"])
def test_tar_snapshot_of_a_truncated_plain_archive_keeps_what_it_read(cut: int) -> None:
    # Member 1: header 0-511, data 512-1023; member 2: header 1024-1535, data 1536-3071.
    data = make_tar([("top/a.yaml", b"a: 1\n" * 100), ("top/b.yaml", b"b: 2\n" * 300)])
    snapshot = RepoSnapshot.from_tar(data[:cut])
    assert "b.yaml" not in snapshot
    assert ("a.yaml" in snapshot) == (cut > 1024)
    assert list(reasons(snapshot)) == ["*"]
    assert reasons(snapshot)["*"].startswith("archive ends early")


def test_tar_snapshot_of_a_truncated_gzipped_archive_keeps_what_it_read() -> None:
    data = make_tar([("top/a.yaml", b"a: 1\n"), ("top/b.yaml", random.Random(7).randbytes(4096))], gzip=True)
    snapshot = RepoSnapshot.from_tar(data[: len(data) - 100])
    assert snapshot.paths() == ["a.yaml"]
    assert reasons(snapshot)["*"].startswith("archive ends early")


def test_complete_archive_reports_nothing_skipped() -> None:
    data = make_tar([("top/a.yaml", b"a: 1\n" * 100), ("top/b.yaml", b"b: 2\n" * 300)])
    snapshot = RepoSnapshot.from_tar(data)
    assert snapshot.paths() == ["a.yaml", "b.yaml"]
    assert snapshot.skipped == []


@pytest.mark.parametrize("data", [b"", b"garbage bytes, not an archive" * 40, b"\x1f\x8b\x08garbage"],
                         ids=["empty", "garbage", "broken-gzip"])
def test_unreadable_archive_is_a_snapshot_error(data: bytes) -> None:
    with pytest.raises(SnapshotError, match="not a readable tar archive"):
        RepoSnapshot.from_tar(data)


@pytest.mark.parametrize(("written", "resolved"), [
    ("./apps/prod", "apps/prod"), ("../components/x", "components/x"), ("/../../a/./b/", "a/b"),
    ("apps/../infra", "infra"), ("./", ""), ("..", ""), ("a\\b", "a/b"),
])
def test_artifact_paths_never_climb_above_the_root(written: str, resolved: str) -> None:
    assert artifact_path(written) == resolved


def test_tar_snapshot_lists_big_members_the_engine_never_reads_without_keeping_them() -> None:
    data = make_tar([("top/apps/a.yaml", b"kind: ConfigMap\n"), ("top/assets/video.bin", b"\0" * 5000)])
    snapshot = RepoSnapshot.from_tar(data, limits=ArchiveLimits(max_other_file_bytes=1000))
    assert snapshot.paths() == ["apps/a.yaml", "assets/video.bin"]
    assert snapshot.size("assets/video.bin") == 5000 and snapshot.read("assets/video.bin") == b""
    assert snapshot.read("apps/a.yaml") == b"kind: ConfigMap\n"
    assert snapshot.skipped == []


def test_tar_snapshot_refuses_to_inflate_far_beyond_its_download() -> None:
    # Ten 100 KB members of zeros compress to almost nothing: a decompression bomb in small.
    data = make_tar([(f"top/f{i}.yaml", b"\0" * 100_000) for i in range(10)], gzip=True)
    limits = ArchiveLimits(max_ratio=100, min_total_bytes=0)
    snapshot = RepoSnapshot.from_tar(data, limits=limits)
    kept = sum(snapshot.size(p) for p in snapshot.paths())
    assert kept <= len(data) * 100
    assert any("inflates more than 100 times" in m.reason for m in snapshot.skipped)


def test_folder_snapshot_notes_a_folder_it_cannot_enter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "a.yaml").write_text("a: 1\n")
    (tmp_path / "private").mkdir()
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if str(path).endswith("private"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    snapshot = RepoSnapshot.from_folder(tmp_path)
    assert snapshot.paths() == ["apps/a.yaml"]
    assert [(m.name, m.reason) for m in snapshot.skipped] == [("private", "folder not readable (Permission denied)")]
