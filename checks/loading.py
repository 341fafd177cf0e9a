"""Loading a repository's YAML once: a parse cache and a pause of the cyclic collector.

A review builds two models (base and head) of mostly the same files; the
cache lets both share every file whose bytes did not change.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from checks.findings import Finding, Severity
from checks.yaml_docs import YamlFile, YamlLimits, load_yaml


class ParseCache:
    """Loaded files by (path, content hash), so a review's base and head share work."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str, int], YamlFile] = {}

    def load(self, path: str, data: bytes, limits: YamlLimits) -> YamlFile:
        key = (path, hashlib.sha1(data).hexdigest(), limits.max_bytes)
        loaded = self._files.get(key)
        if loaded is None:
            loaded = load_yaml(path, data, limits)
            self._files[key] = loaded
        return loaded


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a model is built.

    Loading creates hundreds of thousands of small containers, and the
    collector would walk the whole growing graph again and again (it cost
    as much as the rendering itself). The model holds no reference cycles
    worth collecting mid-build; collection resumes afterwards.

    On resuming, what was allocated meanwhile joins the oldest generation
    at once (``freeze`` then ``unfreeze``) instead of being walked by the
    first young collection, which would find nothing in an acyclic model
    and cost a tenth of the analysis. Nothing escapes collection: the
    oldest generation is walked by every full collection. A process that
    froze objects itself (a pre-fork server) is left as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def read_or_note(snapshot: Any, path: str) -> tuple[bytes, Finding | None]:
    """A file's bytes, or nothing and a ``structure/file-unreadable`` finding when the checkout cannot
    read it: checking it as empty without saying so would let a run pass on files it never read."""
    try:
        return snapshot.read(path), None
    except KeyError:
        return b"", None
    except OSError as error:
        return b"", Finding("structure/file-unreadable", Severity.WARNING, path, 1,
                            f"{path} could not be read ({error.strerror or error}), so nothing in it was checked. "
                            "Make it readable to the user running flux-review.", key="unreadable")


def unreadable_folders(snapshot: Any) -> list[Finding]:
    """The folders the snapshot's walk could not enter, as ``structure/file-unreadable`` findings."""
    return [Finding("structure/file-unreadable", Severity.WARNING, member.name, 1,
                    f"{member.name}/ could not be read ({member.reason}), so nothing in it was checked.",
                    key="unreadable")
            for member in snapshot.skipped if member.reason.startswith("folder not readable")]
