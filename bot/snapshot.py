"""A pull request's merge base and head as engine snapshots, with a constant number of API calls.

Whatever the repository's size: one compare call for the merge base, one
archive call per side (GitHub's tarball, read in memory by
``RepoSnapshot.from_tar``, which treats every member as hostile and lists
the ones it skipped), plus one call per 100 changed files for the patches
(GitHub lists at most 3,000). Files without a patch (binary, or too large
for GitHub to diff) are kept, marked as changed throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

from github.PullRequest import PullRequest
from github.Repository import Repository

from bot.github import InstallationClient
from bot.settings import Tuning
from checks.diff import ChangedFile, parse_patch
from checks.findings import counted
from checks.source import ArchiveLimits, RepoSnapshot, SnapshotError

MAX_LISTED_FILES = 3000  # GitHub's own cap for pulls/{n}/files


@dataclass(frozen=True)
class ChangedFiles:
    """The change's files keyed by head path; ``truncated`` when GitHub stopped listing at 3,000."""

    files: dict[str, ChangedFile]
    truncated: bool = False


def archive_limits(tuning: Tuning) -> ArchiveLimits:
    return ArchiveLimits(
        max_members=tuning.archive_max_members,
        max_file_bytes=tuning.archive_max_file_bytes,
        max_total_bytes=tuning.archive_max_total_bytes,
    )


def merge_base(repo: Repository, base_sha: str, head_sha: str) -> str:
    """The commit a pull request's diff starts from (GitHub's three-dot compare)."""
    return repo.compare(base_sha, head_sha).merge_base_commit.sha


def fetch_archive(client: InstallationClient, repository: str, sha: str, tuning: Tuning) -> bytes:
    """The gzipped archive of the repository at ``sha``: one download (none when it was fetched recently)."""
    return client.download_archive(repository, sha, tuning.archive_max_bytes, tuning.archive_timeout)


def read_snapshot(data: bytes, limits: ArchiveLimits, label: str) -> RepoSnapshot:
    """An archive as a snapshot; ``SnapshotError`` when it lacks part of the tree."""
    snap = RepoSnapshot.from_tar(data, limits=limits, label=label)
    missing = [m for m in snap.skipped if incomplete(m.name, m.reason)]
    if missing:
        # A verdict on part of the repository would pass what the rest breaks: no verdict at all.
        raise SnapshotError(f"the archive of {label} is incomplete ({missing[0].reason}), "
                            "so no verdict is given on part of the repository")
    return snap


def fetch_snapshot(client: InstallationClient, repository: str, sha: str, tuning: Tuning) -> RepoSnapshot:
    """The repository at ``sha``, from one archive download."""
    return read_snapshot(fetch_archive(client, repository, sha, tuning), archive_limits(tuning),
                         f"{repository}@{sha[:12]}")


def incomplete(name: str, reason: str) -> bool:
    """Whether a skipped member means the snapshot lacks part of the tree (not just one oversized file)."""
    return name == "*" or reason.startswith(("archive total above", "the archive inflates"))


def changed_files(pull: PullRequest, listed: int | None = None) -> ChangedFiles:
    """Every changed file with the head lines of its hunks (all pages)."""
    files: dict[str, ChangedFile] = {}
    for count, entry in enumerate(pull.get_files(), start=1):
        files[entry.filename] = parse_patch(entry.filename, entry.patch, entry.status or "modified",
                                            entry.previous_filename)
        if count >= MAX_LISTED_FILES:
            break
    truncated = listed is not None and listed > len(files)
    return ChangedFiles(files, truncated)


def skipped_note(snapshots: dict[str, RepoSnapshot], limit: int = 10) -> str | None:
    """A summary line naming files that were not read (archive members past a cap, missing blobs), and why."""
    skipped = [(side, member) for side, snap in snapshots.items() for member in snap.skipped]
    if not skipped:
        return None
    shown = "; ".join(f"{side}: `{m.name}` ({m.reason})" for side, m in skipped[:limit])
    more = f" and {len(skipped) - limit} more" if len(skipped) > limit else ""
    return f"{counted(len(skipped), 'file')} {'was' if len(skipped) == 1 else 'were'} not read: {shown}{more}."
