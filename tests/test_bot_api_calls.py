"""The API budget in a 500-file repository: a first review in at most 12 GitHub API calls, a re-review in 8."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_support.api_budget import measure, report

FIRST_REVIEW = 12
RE_REVIEW = 8


def test_review_of_a_500_file_repository_stays_within_the_call_budget(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    measured = measure(tmp_path)
    with capsys.disabled():
        print("\n" + report(measured))
    first, again = measured.first, measured.again
    assert first.repository_files == 500
    assert first.reviews_posted == 1 and again.reviews_posted == 0
    assert first.archive_downloads == 2  # one per side, whatever the size
    assert again.archive_downloads == 1  # the merge base's archive is cached; only the new head is fetched
    assert first.api_calls <= FIRST_REVIEW
    assert again.api_calls <= RE_REVIEW
