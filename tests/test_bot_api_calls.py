"""The API budget: reviewing a pull request in a 500-file repository takes at most 12 GitHub API calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_support.api_budget import measure, report

BUDGET = 12


def test_review_of_a_500_file_repository_stays_within_the_call_budget(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    measurement = measure(tmp_path)
    with capsys.disabled():
        print("\n" + report(measurement))
    assert measurement.repository_files == 500
    assert measurement.archive_downloads == 2  # one per side, whatever the size
    assert measurement.api_calls <= BUDGET
