"""Loading once: the parse cache a review's two models share, and the paused collector."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from checks.config import Config
from checks.loading import ParseCache, collector_paused, read_or_note, unreadable_folders
from checks.repo import build_model
from checks.source import RepoSnapshot
from checks.yaml_docs import YamlLimits

KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


def _config_map(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"

def test_the_parse_cache_shares_files_between_models() -> None:
    cache = ParseCache()
    files: dict[str, Any] = {"clusters/prod/apps.yaml": KUSTOMIZATION, "apps/cm.yaml": _config_map("a")}
    first = build_model(RepoSnapshot.from_mapping(files), Config(), cache)
    files["apps/cm.yaml"] = _config_map("b")
    second = build_model(RepoSnapshot.from_mapping(files), Config(), cache)
    assert first.files["clusters/prod/apps.yaml"] is second.files["clusters/prod/apps.yaml"]
    assert first.files["apps/cm.yaml"] is not second.files["apps/cm.yaml"]


def test_the_cache_keys_on_content_and_limits() -> None:
    cache = ParseCache()
    small, large = YamlLimits(max_bytes=10), YamlLimits()
    data = b"a: 1\nb: 2\nc: 3\n"
    assert cache.load("x.yaml", data, large) is cache.load("x.yaml", data, large)
    assert cache.load("x.yaml", data, small) is not cache.load("x.yaml", data, large)
    assert cache.load("y.yaml", data, large) is not cache.load("x.yaml", data, large)


def test_the_collector_is_paused_inside_and_restored_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_what_was_built_meanwhile_joins_the_oldest_generation_unwalked() -> None:
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    gc.unfreeze()  # a server started in this process may have frozen its heap: start from one that froze nothing
    try:
        _joins_the_oldest_generation()
    finally:
        if frozen_before:
            gc.freeze()


def _joins_the_oldest_generation() -> None:
    with collector_paused():
        built = [[index] for index in range(5000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.get_count()[0] < 700  # no young collection is due to walk them
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(built) in oldest and all(id(item) in oldest for item in built)
    class Node:
        pass

    with collector_paused():
        cycle = Node()
        cycle.self = cycle  # type: ignore[attr-defined]
    gone = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert gone() is None  # garbage made meanwhile is still found by a full collection


def test_a_process_that_froze_objects_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            [[index] for index in range(100)]
        assert gc.get_freeze_count() == frozen and gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_file_that_cannot_be_read_is_empty_with_a_finding() -> None:
    def read(path: str) -> bytes:
        raise PermissionError(13, "Permission denied")

    snapshot = RepoSnapshot(sizes={"a.yaml": 4}, _read=read)
    data, problem = read_or_note(snapshot, "a.yaml")
    assert data == b"" and problem is not None and problem.rule == "structure/file-unreadable"
    assert read_or_note(RepoSnapshot.from_mapping({}), "gone.yaml") == (b"", None)
    assert unreadable_folders(snapshot) == []
