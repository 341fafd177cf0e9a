"""Loading a repository's YAML once: a parse cache and a pause of the cyclic collector.

A review builds two models (base and head) of mostly the same files; the
cache lets both share every file whose bytes did not change.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

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
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
