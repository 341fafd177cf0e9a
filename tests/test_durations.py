"""Go durations: what Flux accepts, and how a fix writes a duration back."""

from __future__ import annotations

import pytest

from checks.durations import format_duration, is_flux_duration, parse_duration, parse_friendly


@pytest.mark.parametrize(("text", "seconds"), [
    ("10m", 600), ("1h30m", 5400), ("1.5h", 5400), ("10m0s", 600), ("500ms", 0.5), ("90s", 90),
    ("1000000ns", 0.001), ("250us", 0.00025), ("250µs", 0.00025),
])
def test_parse_duration_reads_every_go_unit(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["1d", "10", "", "-5m", "5 m", "10M", "1w", "m", ".5h"])
def test_parse_duration_rejects_what_go_rejects(text: str) -> None:
    assert parse_duration(text) is None


def test_flux_pattern_excludes_sub_millisecond_units_and_hours_for_source_timeouts() -> None:
    assert is_flux_duration("1h30m")
    assert not is_flux_duration("100us")
    assert is_flux_duration("90m", hours=False)
    assert not is_flux_duration("1h", hours=False)


@pytest.mark.parametrize(("text", "seconds"), [
    ("1d", 86400), ("2 weeks", 14 * 86400), ("5min", 300), ("1d12h", 129600), ("30 seconds", 30),
])
def test_parse_friendly_understands_the_units_people_write(text: str, seconds: float) -> None:
    assert parse_friendly(text) == seconds


@pytest.mark.parametrize("text", ["10M", "soon", "10", "5 parsecs"])
def test_parse_friendly_refuses_to_guess(text: str) -> None:
    assert parse_friendly(text) is None


@pytest.mark.parametrize(("seconds", "text"), [
    (86400, "24h"), (5400, "1h30m"), (90, "1m30s"), (600, "10m"), (0.5, "500ms"), (0, "0s"),
])
def test_format_duration_writes_the_shortest_flux_spelling(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert seconds == 0 or parse_duration(text) == pytest.approx(seconds)
