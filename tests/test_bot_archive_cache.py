"""The archive cache: commits only, least recently used first out, bounded by bytes, per installation."""

from __future__ import annotations

from bot.archive_cache import ArchiveCache

A, B, C = "a" * 40, "b" * 40, "c" * 40


def test_a_cached_archive_is_returned_only_to_its_installation_and_repository() -> None:
    cache = ArchiveCache(100)
    cache.put(1, "Acme/Fleet", A, b"x" * 10)
    assert cache.get(1, "acme/fleet", A) == b"x" * 10
    assert cache.get(2, "acme/fleet", A) is None
    assert cache.get(1, "acme/other", A) is None


def test_branch_names_and_short_ids_are_never_cached() -> None:
    cache = ArchiveCache(100)
    for ref in ("main", A[:12], "refs/heads/main"):
        cache.put(1, "acme/fleet", ref, b"x")
        assert cache.get(1, "acme/fleet", ref) is None
    assert cache.size == 0


def test_the_least_recently_used_archive_goes_first_when_the_cap_is_passed() -> None:
    cache = ArchiveCache(25)
    cache.put(1, "acme/fleet", A, b"a" * 10)
    cache.put(1, "acme/fleet", B, b"b" * 10)
    assert cache.get(1, "acme/fleet", A)  # A is now the most recent
    cache.put(1, "acme/fleet", C, b"c" * 10)
    assert cache.get(1, "acme/fleet", B) is None
    assert cache.get(1, "acme/fleet", A) and cache.get(1, "acme/fleet", C)
    assert cache.size == 20


def test_an_archive_larger_than_the_cap_or_a_zero_cap_caches_nothing() -> None:
    cache = ArchiveCache(5)
    cache.put(1, "acme/fleet", A, b"a" * 10)
    assert cache.get(1, "acme/fleet", A) is None
    off = ArchiveCache(0)
    off.put(1, "acme/fleet", A, b"a")
    assert off.get(1, "acme/fleet", A) is None and off.size == 0
