"""The analysis sandbox: results and errors come back, and each limit stops the child with its name."""

from __future__ import annotations

import os
import signal
import time

import pytest

from bot.sandbox import AnalysisCrashed, LimitExceeded, Limits, run_limited

GENEROUS = Limits(wall_seconds=60, cpu_seconds=60, memory_bytes=2 * 1024**3)


class Unpicklable(Exception):
    def __init__(self) -> None:
        super().__init__("cannot travel")
        self.handle = lambda: None

    def __reduce__(self) -> object:
        raise TypeError("not picklable")


def add(a: int, b: int) -> int:
    return a + b


def refuse(text: str) -> None:
    raise ValueError(text)


def refuse_oddly() -> None:
    raise Unpicklable()


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def spin() -> None:
    deadline = time.monotonic() + 60  # bounded even if the CPU limit never came
    while time.monotonic() < deadline:
        pass


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def child_pid() -> int:
    return os.getpid()


def test_the_result_comes_back_from_another_process() -> None:
    assert run_limited(add, (2, 3), GENEROUS) == 5
    assert run_limited(child_pid, (), GENEROUS) != os.getpid()


def test_a_wall_clock_of_zero_runs_in_this_process() -> None:
    assert run_limited(child_pid, (), Limits(wall_seconds=0)) == os.getpid()


def test_the_child_error_is_raised_again_here_and_an_unpicklable_one_is_described() -> None:
    with pytest.raises(ValueError, match="bad input"):
        run_limited(refuse, ("bad input",), GENEROUS)
    with pytest.raises(AnalysisCrashed, match="Unpicklable: cannot travel") as crashed:
        run_limited(refuse_oddly, (), GENEROUS)
    assert "refuse_oddly" in crashed.value.trace


def test_the_memory_limit_stops_an_allocation_and_names_its_setting() -> None:
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(allocate, (1024,), Limits(wall_seconds=60, cpu_seconds=60, memory_bytes=512 * 1024**2))
    assert (exceeded.value.limit, exceeded.value.setting) == ("memory", "FLUX_REVIEW_REVIEW_MEMORY")
    assert run_limited(allocate, (16,), GENEROUS) == 16 * 1024 * 1024  # the next child starts afresh


def test_the_cpu_limit_stops_a_busy_child() -> None:
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(spin, (), Limits(wall_seconds=60, cpu_seconds=1, memory_bytes=0))
    assert (exceeded.value.limit, exceeded.value.setting) == ("CPU time", "FLUX_REVIEW_REVIEW_CPU")


def test_the_wall_clock_stops_a_child_that_waits() -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(sleep, (30,), Limits(wall_seconds=0.5, cpu_seconds=0, memory_bytes=0))
    assert exceeded.value.setting == "FLUX_REVIEW_REVIEW_TIMEOUT"
    assert time.monotonic() - started < 20  # killed, not waited for


def test_a_child_that_dies_is_a_crash_not_a_hang() -> None:
    with pytest.raises(AnalysisCrashed, match="ended with code"):
        run_limited(die, (), Limits(wall_seconds=60, cpu_seconds=0, memory_bytes=0))
