"""Read-only views of a repository's files, wherever they come from.

The engine never touches a working tree directly: every rule reads files
through a ``RepoSnapshot``, a mapping of repo-relative POSIX paths to bytes.
A snapshot can be built from a folder, from a commit of a local git clone
(plumbing only, no checkout), from an in-memory mapping (tests, the bot) or
from a tar archive such as GitHub's tarball endpoint returns. Archives are
treated as hostile: members that could escape, links, devices and anything
past the size caps are skipped and reported, never extracted.
"""

from __future__ import annotations

import io
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tarfile import TarInfo

# Files the engine reads eagerly from git; anything else is read on demand.
_INTERESTING_SUFFIXES = (".yaml", ".yml", ".json")
_INTERESTING_NAMES = ("Kustomization", ".sourceignore")


class SnapshotError(Exception):
    """A snapshot could not be built (unknown revision, unreadable archive)."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps applied while reading an archive; past them members are skipped."""

    max_members: int = 100_000
    max_file_bytes: int = 16 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024
    # Members the engine never reads whole (not YAML, JSON or a file it knows) above this size are
    # listed with their size but their content is not kept: they would cost memory for nothing.
    max_other_file_bytes: int = 1024 * 1024
    # What the kept content may inflate to, compared with the download (never below ``min_total_bytes``):
    # a small archive of huge repetitive members is a decompression bomb, not a repository.
    max_ratio: int = 100
    min_total_bytes: int = 32 * 1024 * 1024


MISSING_BLOB = "missing from the git object store (a partial clone or a mirror without large files); read as empty"


@dataclass(frozen=True)
class SkippedMember:
    """A file that was not read (an archive member past a cap, a blob git does not have), and why."""

    name: str
    reason: str


def normalize(path: str) -> str:
    """Return a repo-relative POSIX path without ``./``, doubled or trailing slashes."""
    path = path.replace("\\", "/")
    norm = posixpath.normpath(path)
    if norm in (".", "/"):
        return ""
    return norm.lstrip("/")


def artifact_path(path: str) -> str:
    """A path inside a source artifact as the controllers resolve it (securejoin against its root).

    kustomize-controller joins ``spec.path`` to the artifact root with
    ``securejoin.SecureJoin``: ``..`` never climbs above the root, so
    ``../components/x`` is ``components/x``.
    """
    parts: list[str] = []
    for part in path.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


@dataclass
class RepoSnapshot:
    """A repository's files at one point in time: path -> bytes, read-only.

    ``sizes`` lists every file; ``_read`` fetches content lazily so that large
    binary files of a repository cost nothing unless something asks for them.
    """

    sizes: dict[str, int]
    _read: Callable[[str], bytes]
    label: str = ""
    skipped: list[SkippedMember] = field(default_factory=list)
    _cache: dict[str, bytes] = field(default_factory=dict, repr=False)
    _dirs: dict[str, tuple[list[str], list[str]]] | None = field(default=None, repr=False)
    _sorted: list[str] | None = field(default=None, repr=False)

    # -- constructors -------------------------------------------------------
    @classmethod
    def from_mapping(cls, files: Mapping[str, bytes | str], label: str = "memory") -> RepoSnapshot:
        """Build a snapshot from a dict (tests and the bot's fetched files)."""
        data = {
            normalize(p): (v.encode() if isinstance(v, str) else bytes(v)) for p, v in files.items()
        }
        data.pop("", None)
        return cls(sizes={p: len(b) for p, b in data.items()}, _read=data.__getitem__, label=label)

    @classmethod
    def from_folder(cls, root: str | os.PathLike[str]) -> RepoSnapshot:
        """Index a folder on disk; ``.git`` is left out and symlinks are not followed.

        Folders are walked as ``os.walk`` does (top-down, subfolders in name order, a folder
        that cannot be listed noted and skipped), with one ``stat`` per file instead of three.
        """
        root = os.fspath(root)
        if not os.path.isdir(root):
            raise SnapshotError(f"{root}: not a folder")
        sizes: dict[str, int] = {}
        unreadable: list[SkippedMember] = []
        pending = [(root, "")]
        while pending:
            folder, prefix = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError as error:  # a folder the walk cannot enter
                where = os.path.relpath(error.filename, root) if error.filename else "?"
                unreadable.append(SkippedMember(normalize(where), f"folder not readable ({error.strerror})"))
                continue
            subfolders = []
            for entry in entries:
                if _is_dir(entry):
                    if entry.name != ".git" and not entry.is_symlink():
                        subfolders.append(entry.name)
                elif entry.is_file(follow_symlinks=False):
                    rel = prefix + entry.name
                    sizes[normalize(rel) if "\\" in rel else rel] = entry.stat(follow_symlinks=False).st_size
            subfolders.sort(reverse=True)  # popped last first: visited in name order
            pending.extend((os.path.join(folder, name), prefix + name + "/") for name in subfolders)

        def read(path: str) -> bytes:
            with open(os.path.join(root, *path.split("/")), "rb") as handle:
                return handle.read()

        snapshot = cls(sizes=sizes, _read=read, label=root)
        snapshot.skipped = unreadable
        return snapshot

    @classmethod
    def from_git(cls, repo: str | os.PathLike[str], rev: str) -> RepoSnapshot:
        """Read a commit of a local clone with git plumbing (no checkout, no hooks)."""
        repo = os.fspath(repo)
        commit = resolve_revision(repo, rev)
        listing = _git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", commit)
        sizes: dict[str, int] = {}
        blobs: dict[str, str] = {}
        bad: set[str] = set()
        for entry in listing.split(b"\0"):
            if not entry:
                continue
            meta, _, name = entry.partition(b"\t")
            mode, kind, sha, size = meta.split()
            if kind != b"blob" or mode == b"120000":
                continue  # submodules and symlinks are not files of this repository
            path = name.decode("utf-8", "surrogateescape")
            blobs[path] = sha.decode()
            # `ls-tree -l` prints BAD for a blob the object store lacks (a partial clone, a mirror
            # without large files): the file stays in the tree, empty and marked unreadable.
            sizes[path] = int(size) if size.isdigit() else 0
            if not size.isdigit():
                bad.add(path)
        wanted = [p for p in sizes if _interesting(p)]
        preloaded = _cat_blobs(repo, [blobs[p] for p in wanted])
        cache = {path: data for path, data in zip(wanted, preloaded, strict=True) if data is not None}
        missing = sorted(bad | {p for p, data in zip(wanted, preloaded, strict=True) if data is None})
        for path in missing:
            cache[path] = b""

        def read(path: str) -> bytes:
            return _git(repo, "cat-file", "blob", blobs[path])

        snapshot = cls(sizes=sizes, _read=read, label=f"{repo}@{rev}", _cache=cache)
        snapshot.skipped = [SkippedMember(path, MISSING_BLOB) for path in missing]
        return snapshot

    @classmethod
    def from_tar(
        cls,
        data: bytes,
        *,
        strip_top_folder: bool = True,
        limits: ArchiveLimits | None = None,
        label: str = "archive",
    ) -> RepoSnapshot:
        """Read a (possibly gzipped) tar archive in memory, treating members as hostile.

        GitHub's tarballs wrap the tree in one ``owner-repo-sha/`` folder, which
        ``strip_top_folder`` removes. Skipped members are listed in ``skipped``.
        """
        import tarfile  # here: a check of a folder never reads an archive, and the import costs every start

        limits = limits or ArchiveLimits()
        files: dict[str, bytes] = {}
        sizes: dict[str, int] = {}
        skipped: list[SkippedMember] = []
        total = 0
        budget = min(limits.max_total_bytes, max(len(data) * limits.max_ratio, limits.min_total_bytes))
        try:
            archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115 - closed below
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise SnapshotError(f"not a readable tar archive: {exc}") from exc
        with archive:
            count = 0
            try:
                for member in archive:
                    count += 1
                    if count > limits.max_members:
                        skipped.append(SkippedMember("*", f"more than {limits.max_members} members"))
                        break
                    path, reason = _member_path(member, strip_top_folder)
                    if reason:
                        skipped.append(SkippedMember(member.name, reason))
                        continue
                    if path is None or not normalize(path):
                        continue
                    path = normalize(path)
                    if member.size > limits.max_file_bytes:
                        skipped.append(SkippedMember(path, f"larger than {limits.max_file_bytes} bytes"))
                        continue
                    if not _interesting(path) and member.size > limits.max_other_file_bytes:
                        sizes[path] = member.size  # listed, never read: its content is not kept
                        continue
                    if total + member.size > budget:
                        reason = (f"archive total above {limits.max_total_bytes} bytes"
                                  if budget == limits.max_total_bytes else
                                  f"the archive inflates more than {limits.max_ratio} times its {len(data)} bytes")
                        skipped.append(SkippedMember(path, reason))
                        continue
                    handle = archive.extractfile(member)
                    if handle is None:
                        continue
                    content = handle.read(limits.max_file_bytes + 1)
                    total += len(content)
                    files[path] = content
                    sizes[path] = len(content)
                else:
                    # tarfile ends quietly at a cut-off or corrupt header. In an uncompressed
                    # archive that shows as non-zero bytes where the next header should be
                    # (a cut compressed stream raises EOFError instead).
                    header = data[archive.offset:archive.offset + tarfile.BLOCKSIZE]
                    if isinstance(archive.fileobj, io.BytesIO) and header.strip(b"\0"):
                        skipped.append(SkippedMember(
                            "*", f"archive ends early: unreadable member header at byte {archive.offset}"))
            except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
                skipped.append(SkippedMember("*", f"archive ends early: {exc}"))
        snapshot = cls(sizes=sizes, _read=lambda path: files.get(path, b""), label=label)
        snapshot.skipped = skipped
        return snapshot

    # -- reading ------------------------------------------------------------
    def paths(self) -> list[str]:
        """Every file path, sorted once (a model asks several times; ``sizes`` never changes). Read only."""
        if self._sorted is None:
            self._sorted = sorted(self.sizes)
        return self._sorted

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and path in self.sizes

    def size(self, path: str) -> int:
        return self.sizes[path]

    def read(self, path: str) -> bytes:
        """The bytes of one file; ``KeyError`` when it does not exist."""
        if path not in self.sizes:
            raise KeyError(path)
        cached = self._cache.get(path)
        if cached is None:
            cached = self._read(path)
            self._cache[path] = cached
        return cached

    def is_dir(self, path: str) -> bool:
        """True for the root (``""``) and every folder that holds a file."""
        return normalize(path) in self._folders()

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """The sorted (files, subfolders) names directly inside a folder."""
        return self._folders().get(normalize(path), ([], []))

    def walk_files(self, folder: str) -> Iterable[str]:
        """Every file path under a folder (recursively)."""
        folder = normalize(folder)
        prefix = folder + "/" if folder else ""
        return (p for p in self.paths() if p.startswith(prefix))

    def _folders(self) -> dict[str, tuple[list[str], list[str]]]:
        if self._dirs is None:
            dirs: dict[str, tuple[list[str], list[str]]] = {"": ([], [])}
            for path in sorted(self.sizes):
                parent, _, name = path.rpartition("/")
                _ensure_folder(dirs, parent)
                dirs[parent][0].append(name)
            self._dirs = dirs
        return self._dirs


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _ensure_folder(dirs: dict[str, tuple[list[str], list[str]]], folder: str) -> None:
    while folder not in dirs:
        dirs[folder] = ([], [])
        parent, _, name = folder.rpartition("/")
        if parent not in dirs:
            _ensure_folder(dirs, parent)
        dirs[parent][1].append(name)
        dirs[parent][1].sort()
        folder = parent


def _interesting(path: str) -> bool:
    name = path.rpartition("/")[2]
    return name.endswith(_INTERESTING_SUFFIXES) or name in _INTERESTING_NAMES


def _member_path(member: TarInfo, strip_top_folder: bool) -> tuple[str | None, str]:
    """The safe repo path of a member, or a reason to skip it."""
    name = member.name.replace("\\", "/")
    if member.issym() or member.islnk():
        return None, "link not followed"
    if member.isdir():
        return None, ""
    if not member.isfile():
        return None, "not a regular file"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None, "absolute path"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, "path escapes the archive"
    if strip_top_folder:
        parts = parts[1:]
    if not parts:
        return None, ""
    return "/".join(parts), ""


def resolve_revision(repo: str, rev: str) -> str:
    """The commit id a revision names, or ``SnapshotError`` with git's reason."""
    return _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").decode().strip()


def merge_base(repo: str, base: str, head: str) -> str:
    """The merge base of two revisions, as a pull request diff uses."""
    return _git(repo, "merge-base", resolve_revision(repo, base), resolve_revision(repo, head)).decode().strip()


def _git(repo: str, *args: str) -> bytes:
    import subprocess  # here, as tarfile: only git snapshots run anything

    try:
        done = subprocess.run(
            ["git", "-C", repo, *args],
            capture_output=True,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"},
        )
    except OSError as exc:
        raise SnapshotError(f"git could not run: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip() or f"git {args[0]} failed"
        if args[0] == "rev-parse":
            message = f"{args[-1].removesuffix('^{commit}')}: unknown revision in {repo}"
        raise SnapshotError(message)
    return done.stdout


def _cat_blobs(repo: str, shas: list[str]) -> list[bytes | None]:
    """Read many blobs with one ``git cat-file --batch`` process (None for a blob the store lacks)."""
    if not shas:
        return []
    import subprocess

    out = subprocess.run(
        ["git", "-C", repo, "cat-file", "--batch"],
        input="\n".join(shas).encode() + b"\n",
        capture_output=True,
        check=False,
    )
    if out.returncode != 0:
        raise SnapshotError(out.stderr.decode(errors="replace").strip())
    blobs: list[bytes | None] = []
    data, pos = out.stdout, 0
    for _ in shas:
        header_end = data.index(b"\n", pos)
        header = data[pos:header_end].split()
        if len(header) < 3:  # `<sha> missing`
            blobs.append(None)
            pos = header_end + 1
            continue
        size = int(header[2])
        start = header_end + 1
        blobs.append(data[start : start + size])
        pos = start + size + 1
    return blobs
