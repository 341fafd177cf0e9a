"""Running one review's analysis in a child process with limits, so no pull request can stop the service.

A repository chooses what the engine reads: enough self-referencing
Kustomizations or a crafted archive can cost minutes of CPU and gigabytes
of memory. In the worker's own process that would starve the web server
and every other review. Here the analysis runs in a child with an
address-space limit (``RLIMIT_AS``), a CPU-time limit (``RLIMIT_CPU``) and a
wall-clock deadline enforced by the parent, which kills the child when it
passes. A limit hit becomes ``LimitExceeded`` naming the limit; the worker
then completes the Check Run neutral with that explanation.

Children come from a fork server started once per process (a small Python
that imported the engine), never by forking the threaded worker itself:
forking a process with threads can copy a held lock into the child.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.reduction
import resource
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_PRELOAD = ["checks.review", "checks.report.markdown", "checks.source", "bot.analysis"]
_context_lock = threading.Lock()
_context: Any = None


@dataclass(frozen=True)
class Limits:
    """What one analysis may use; 0 turns a limit off (``wall_seconds`` 0 runs it in-process, for tests)."""

    wall_seconds: float = 120.0
    cpu_seconds: int = 120
    memory_bytes: int = 1024 * 1024 * 1024


class LimitExceeded(Exception):
    """The analysis passed one of its limits; ``limit`` names it and ``setting`` the variable that sets it."""

    def __init__(self, limit: str, setting: str, value: str) -> None:
        super().__init__(f"the review passed its {limit} limit ({value}, {setting})")
        self.limit = limit
        self.setting = setting
        self.value = value


class AnalysisCrashed(Exception):
    """The analysis raised an error the worker does not know; the child's traceback is kept for the log."""

    def __init__(self, kind: str, message: str, trace: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.trace = trace


def run_limited(function: Callable[..., Any], args: tuple[Any, ...], limits: Limits) -> Any:
    """``function(*args)`` in a limited child process; its result, or the exception it raised (re-raised here).

    ``function`` must be a module-level function and ``args`` picklable.
    Exceptions of the child are sent back and raised again when they can be
    pickled; otherwise they arrive as ``AnalysisCrashed``.
    """
    if limits.wall_seconds <= 0:
        return function(*args)
    receiver, sender = _fork_context().Pipe(duplex=False)
    child = _fork_context().Process(target=_child, args=(sender, function, args, limits), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.wall_seconds):
            raise LimitExceeded("wall-clock time", "FLUX_REVIEW_REVIEW_TIMEOUT", f"{limits.wall_seconds:g} s")
        try:
            kind, value = receiver.recv()
        except (EOFError, OSError):
            raise _died(child, limits) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
    if kind == "result":
        return value
    if kind == "memory":
        raise _memory(limits)
    if kind == "error":
        raise value
    raise AnalysisCrashed(*value)


def _child(sender: multiprocessing.connection.Connection, function: Callable[..., Any], args: tuple[Any, ...],
           limits: Limits) -> None:
    """In the child: apply the limits, run, and send back ``(kind, value)``."""
    if limits.memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    if limits.cpu_seconds > 0:
        # The soft limit sends SIGXCPU, whose default action ends the process; the hard one is a backstop.
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    try:
        message: tuple[str, Any] = ("result", function(*args))
    except MemoryError:
        message = ("memory", None)
    except Exception as error:
        message = ("error", error)
        try:
            multiprocessing.reduction.ForkingPickler.dumps(error)
        except Exception:
            message = ("crash", (type(error).__name__, str(error)[:500], traceback.format_exc()[-4000:]))
    try:
        sender.send(message)
    except MemoryError:
        sender.send(("memory", None))
    sender.close()


def _died(child: Any, limits: Limits) -> Exception:
    child.join(timeout=5)
    code = child.exitcode
    if code in (-signal.SIGXCPU, -signal.SIGKILL) and limits.cpu_seconds > 0:
        return LimitExceeded("CPU time", "FLUX_REVIEW_REVIEW_CPU", f"{limits.cpu_seconds} s")
    if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS) and limits.memory_bytes > 0:
        return _memory(limits)
    return AnalysisCrashed("ChildExited", f"the review process ended with code {code}", "")


def _memory(limits: Limits) -> LimitExceeded:
    return LimitExceeded("memory", "FLUX_REVIEW_REVIEW_MEMORY", f"{limits.memory_bytes / 2**20:,.0f} MiB")


def _fork_context() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                context.set_forkserver_preload(_PRELOAD)
            _context = context
        return _context

