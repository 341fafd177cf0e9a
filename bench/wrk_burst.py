"""The webhook burst sent by wrk, a load generator written in C, instead of Python threads.

Why: 50 Python threads spend about 1 ms of CPU per delivery, on the same
2 cores as the server they measure, so the latency they report is largely
their own. wrk keeps its connections open (keep-alive) and sends from an
event loop per thread, at a few microseconds per request.

wrk is a benchmark tool, not a dependency of the App, the tests or CI. On
Debian or Ubuntu: ``apt-get install -y wrk`` (4.1.0 was used for the
published figures).

How the burst maps onto wrk:

- every delivery is signed here, in Python, with its own
  ``X-GitHub-Delivery`` and ``X-Hub-Signature-256``, and written as a
  complete HTTP request into a Lua table (``requests.lua``);
- wrk thread ``t`` of ``T`` sends deliveries ``t, t + T, t + 2T, ...``,
  each exactly once: ``delay()`` reserves the next one for the connection
  about to send, ``request()`` returns it, and a connection with nothing
  left waits for the run to end (wrk also calls ``request()`` once before
  the run, to check that it parses: that call is not a send);
- ``response()`` writes each answer's status code, its ``status`` and its
  ``job`` to the thread's file; after its last answer the thread stops
  and says so on standard output, and once every thread has, wrk is
  interrupted (SIGINT), which ends its run early;
- ``done()`` writes wrk's latency histogram, one line per microsecond value
  with its count. wrk records every answer's latency exactly (a counter
  per microsecond), then adds samples for coordinated omission before it
  reports them; that correction is a known function of the run's duration,
  answers and connections, so it is undone here, and the figures are the
  exact latencies of the N deliveries (checked: as many as were answered).

The answers feed the same accounting as the Python generator's: the
statuses by count, and the job id of every delivery answered 202 queued.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from bot_support.delivery import sign
from bot_support.load import BurstResult, Delivery

INSTALL_HINT = ("wrk is not installed. It is a benchmark tool, not a dependency of flux-review or its tests: "
                "on Debian or Ubuntu `apt-get install -y wrk`; or send the burst from Python threads with "
                "--generator python (slower, and its figures hold the generator's own cost)")
WRK_THREADS = 2
TIMEOUT_SECONDS = 10  # wrk keeps a counter per microsecond up to this; a slower answer is reported as missing

SCRIPT = r"""
local REQUESTS, OUT, THREADS = %(requests)s, %(out)s, %(threads)d

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } burst_timespec;
int clock_gettime(int clock, burst_timespec *now);
]]
local clock = ffi.new("burst_timespec")
local function monotonic_us()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC, as Python's time.monotonic
  return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end

-- setup and done run in wrk's main environment
local started = 0
function setup(thread)
  started = started + 1
  thread:set("id", started)
end

function done(summary, latency, requests)
  local out = io.open(OUT .. "/latency.txt", "w")
  out:write(string.format("duration %%.0f\nrequests %%.0f\n", summary.duration, summary.requests))
  local errors = summary.errors
  out:write(string.format("errors %%d %%d %%d %%d %%d\n", errors.connect, errors.read, errors.write,
                          errors.status, errors.timeout))
  for i = 1, #latency do
    local value, count = latency(i)
    out:write(string.format("%%.0f %%.0f\n", value, count))
  end
  out:close()
end

-- the rest runs in each wrk thread's own environment
local mine, reserved, sent, answered, first, answers = {}, 0, 0, 0, 0, nil

function init(args)
  local all = dofile(REQUESTS)
  for i = id, #all, THREADS do mine[#mine + 1] = all[i] end
  answers = io.open(OUT .. "/answers-" .. id .. ".txt", "w")
end

function delay()
  reserved = reserved + 1
  if reserved <= #mine then return 0 end
  return 3600000  -- nothing left for this connection: wait for the run to end
end

function request()
  -- wrk calls request() once before the run, to check that the request parses: not a send
  if sent >= reserved then return mine[1] end
  sent = sent + 1
  if sent == 1 then first = monotonic_us() end
  return mine[sent]
end

function response(status, headers, body)
  answered = answered + 1
  local kind = body:match('"status"%%s*:%%s*"([^"]*)"') or "-"
  local job = body:match('"job"%%s*:%%s*"([^"]*)"') or "-"
  answers:write(status, " ", kind, " ", job, "\n")
  if answered == #mine then
    answers:write(string.format("end %%.0f %%.0f\n", first, monotonic_us()))
    answers:close()
    io.stdout:write("burst thread ", id, " answered ", answered, "\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end
"""


def lua_string(data: bytes) -> str:
    """A Lua string literal holding exactly ``data`` (printable ASCII as is, every other byte as ``\\ddd``)."""
    out = ['"']
    for byte in data:
        if byte in (0x22, 0x5C) or not 0x20 <= byte < 0x7F:
            out.append(f"\\{byte:03d}")
        else:
            out.append(chr(byte))
    out.append('"')
    return "".join(out)


def http_request(url: str, secret: bytes, item: Delivery) -> bytes:
    """The whole HTTP/1.1 request GitHub would send for ``item``, signed, as wrk writes it to the socket."""
    parts = urlsplit(url)
    headers = [
        f"POST {parts.path.rstrip('/')}/webhook HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        f"X-GitHub-Event: {item.event}",
        f"X-GitHub-Delivery: {item.delivery}",
        f"X-Hub-Signature-256: {sign(secret, item.body)}",
        "User-Agent: GitHub-Hookshot/load",
        f"Content-Length: {len(item.body)}",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + item.body


def write_requests(path: Path, url: str, secret: bytes, planned: Sequence[Delivery]) -> None:
    """``requests.lua``: a Lua chunk returning the burst's requests, in the order planned."""
    with path.open("w", encoding="ascii") as out:
        out.write("return {\n")
        for item in planned:
            out.write(lua_string(http_request(url, secret, item)))
            out.write(",\n")
        out.write("}\n")


def write_script(path: Path, requests: Path, out: Path, threads: int) -> None:
    path.write_text(SCRIPT % {"requests": lua_string(str(requests).encode()), "out": lua_string(str(out).encode()),
                              "threads": threads}, encoding="ascii")


def undo_correction(histogram: dict[int, int], duration_us: int, answered: int, connections: int) -> dict[int, int]:
    """The latencies wrk recorded, from the histogram it reports after its coordinated-omission correction.

    wrk 4.1 (``stats_correct``) takes ``expected = duration / (answers / connections)`` and, for every
    recorded latency ``n >= 2 * expected``, adds a sample at ``n - expected``, ``n - 2 * expected``, ...
    while above ``expected``. Values are visited in ascending order and only smaller ones are added to,
    so each value it read was as recorded; undoing it from the largest value down restores them.
    The reported histogram starts at the smallest recorded value (samples added below it are not
    reported), so only added samples at or above it are taken away.
    """
    if not histogram or answered // connections == 0:
        return dict(histogram)
    expected = duration_us // (answered // connections)
    lowest = min(histogram)
    added: Counter[int] = Counter()
    raw: dict[int, int] = {}
    for value in sorted(histogram, reverse=True):
        count = histogram[value] - added[value]
        if count < 0:
            raise ValueError(f"wrk's histogram does not undo: {value} us has fewer samples than were added")
        if count:
            raw[value] = count
        if value >= 2 * expected and count:
            m = value - expected
            while m > expected:
                if m >= lowest:
                    added[m] += count
                m -= expected
    for value in added:
        if value not in histogram:
            raise ValueError(f"wrk's histogram does not undo: samples were added at {value} us, none reported")
    return raw


def read_histogram(path: Path) -> tuple[dict[str, list[int]], dict[int, int]]:
    """``latency.txt`` written by ``done()``: its header lines and the histogram (microseconds: count)."""
    header: dict[str, list[int]] = {}
    histogram: dict[int, int] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields[0].isdigit():
            histogram[int(fields[0])] = int(fields[1])
        else:
            header[fields[0]] = [int(value) for value in fields[1:]]
    return header, histogram


def read_answers(paths: Iterable[Path], result: BurstResult) -> tuple[int, int, int]:
    """Add each thread's answers to ``result``; (answers, first request, last answer) in microseconds."""
    answers, first, last = 0, 0, 0
    for path in paths:
        for line in path.read_text().splitlines():
            code, kind, job = line.split()
            if code == "end":
                first = min(first, int(kind)) if first else int(kind)
                last = max(last, int(job))
                continue
            answers += 1
            if code == "202":
                result.statuses[kind] += 1
                if kind == "queued":
                    result.jobs.append(job)
            else:
                result.statuses[code] += 1
                result.refused.append(f"HTTP {code}")
    return answers, first, last


def find_wrk() -> str | None:
    return shutil.which("wrk")


def send(url: str, secret: bytes, planned: Sequence[Delivery], concurrency: int, folder: Path,
         threads: int = WRK_THREADS, wait: float = 600.0) -> BurstResult:
    """Send every planned delivery once through wrk from ``concurrency`` keep-alive connections.

    ``RuntimeError`` when wrk is missing; deliveries without an answer after ``wait`` seconds are
    listed in ``refused``.
    """
    wrk = find_wrk()
    if wrk is None:
        raise RuntimeError(INSTALL_HINT)
    threads = max(1, min(threads, concurrency, len(planned)))
    folder.mkdir(parents=True, exist_ok=True)
    requests, script = folder / "requests.lua", folder / "burst.lua"
    write_requests(requests, url, secret, planned)
    write_script(script, requests, folder, threads)
    command = [wrk, "-t", str(threads), "-c", str(concurrency), "-d", f"{int(wait)}s",
               "--timeout", f"{TIMEOUT_SECONDS}s", "-s", str(script), url]
    output = b""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        assert proc.stdout is not None
        deadline = time.monotonic() + wait
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while output.count(b"burst thread ") < threads and time.monotonic() < deadline:
                if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    output += chunk
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGINT)  # wrk ends its run and calls done()
        output += proc.stdout.read()
        proc.wait(timeout=60)
    result = BurstResult()
    answers, first, last = read_answers(sorted(folder.glob("answers-*.txt")), result)
    result.seconds = (last - first) / 1e6 if last > first else 0.0
    missing = len(planned) - answers
    if missing > 0:
        result.refused.append(f"no answer from the server ({missing} of {len(planned)} deliveries)")
        result.statuses["no answer"] += missing
    if not (folder / "latency.txt").exists():
        raise RuntimeError("wrk ended without its results:\n" + output.decode(errors="replace")[-2000:])
    header, histogram = read_histogram(folder / "latency.txt")
    raw = undo_correction(histogram, header["duration"][0], header["requests"][0], concurrency)
    latencies = [value / 1e6 for value, count in sorted(raw.items()) for _ in range(count)]
    if len(latencies) != answers:
        raise RuntimeError(f"wrk recorded {len(latencies)} latencies for {answers} answers "
                           f"(errors connect/read/write/status/timeout: {header.get('errors')})")
    result.latencies = latencies
    return result
