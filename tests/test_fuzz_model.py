"""Fuzzing the whole engine: ``analyze`` over random repository shapes and mutated real repositories.

Whatever the repository holds, the answer is findings: no exception escapes,
each example ends within the deadline, and every finding names a registered
rule, a file of the snapshot, a line from 1 and a message a user can read.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from fuzz_repositories import clusters_sharing_a_folder, repository
from fuzz_support import (
    assert_findings_keep_promises,
    mutate,
    mutations,
    repository_files,
    small_repositories,
    watchdog,
)
from hypothesis import given
from hypothesis import strategies as st

from checks import flux_patches, kustomize, repo
from checks.engine import Analysis, analyze
from checks.source import RepoSnapshot


def analysed_keeping_promises(files: dict[str, bytes], previous: Analysis | None = None) -> Analysis:
    snapshot = RepoSnapshot.from_mapping(files)
    with watchdog():
        result = analyze(snapshot, previous=previous)
    assert_findings_keep_promises(result.findings, snapshot)
    return result


@given(repository())
def test_random_repositories_give_findings_only(files: dict[str, bytes]) -> None:
    analysed_keeping_promises(files)


def _patched_eagerly(text: str, pos: Any, selector: Any) -> list[Any]:
    return list(kustomize.inline_patches(text, pos, selector))


@given(st.one_of(clusters_sharing_a_folder(), repository()))
def test_what_the_model_shares_or_defers_changes_no_finding(files: dict[str, bytes]) -> None:
    # Clusters that build one folder share what it renders, and an inline patch with a target is parsed
    # only when the target selects an object: neither may change a verdict, a line or a fix.
    snapshot = RepoSnapshot.from_mapping(files)
    with watchdog():
        fast = analyze(snapshot)
        with (mock.patch.object(repo._ModelBuilder, "_named_twice", lambda self, objects: set()),
              mock.patch.object(kustomize, "targeted_inline_patches", _patched_eagerly),
              mock.patch.object(flux_patches, "targeted_inline_patches", _patched_eagerly)):
            plain = analyze(snapshot)
    assert [f.to_dict() for f in fast.findings] == [f.to_dict() for f in plain.findings]


@given(repository(max_files=8), repository(max_files=8))
def test_a_change_between_random_repositories_gives_findings_only(base: dict[str, bytes],
                                                                   head: dict[str, bytes]) -> None:
    # The rules that compare with the base of a change (deleted targets, release identity) run too.
    previous = analysed_keeping_promises(base)
    analysed_keeping_promises({**base, **head}, previous)


@pytest.mark.corpora
@pytest.mark.skipif(not small_repositories(), reason="../shared/corpora is absent")
@given(st.sampled_from(small_repositories()), st.lists(st.tuples(st.integers(0, 10**6), mutations), min_size=1,
                                                        max_size=3), st.booleans())
def test_mutated_real_repositories_give_findings_only(folder, edits, drop: bool) -> None:
    files = dict(repository_files(folder))
    names = sorted(files)
    for which, file_edits in edits:
        name = names[which % len(names)]
        if drop and which % 2:
            files.pop(name, None)  # a file deleted: its references now dangle
        elif name in files:
            files[name] = mutate(files[name], file_edits)
    analysed_keeping_promises(files)
