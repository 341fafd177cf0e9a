"""Fuzzing the whole engine: ``analyze`` over random repository shapes and mutated real repositories.

Whatever the repository holds, the answer is findings: no exception escapes,
each example ends within the deadline, and every finding names a registered
rule, a file of the snapshot, a line from 1 and a message a user can read.
"""

from __future__ import annotations

import pytest
from fuzz_repositories import repository
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
