"""A load test of the webhook: a bounded burst of signed deliveries, every accepted one accounted for.

Starts the GitHub simulator and `flux-review serve` (embedded), or with
``--redis`` a Redis of its own, `serve` and ``--workers`` worker processes
(scale-out); sends ``--deliveries`` deliveries from ``--concurrency``
threads over loopback (pull_request opened and synchronize on ``--pulls``
pull requests, replays, duplicates, events that need no review); prints the
acknowledgement latency (p50, p99, max), then waits for the reviews and
accounts for every delivery answered 202 queued: reviewed once, or
coalesced into the newest job of its pull request (the ledger and the
simulator's check runs agree, none left in progress). Run from the
repository root:

    .venv/bin/python bench/load.py [--redis] [--deliveries 2000] [--concurrency 50] [--pulls 300] [--server-timing]

With ``--floor`` the same burst goes to ``bench/ack_floor.py``: gunicorn
configured as ``serve`` configures it, answering 202 at once, so the latency
of the generator and the server alone is printed (no accounting: there is no
flux-review behind it). ``--floor-gthread``: the same with gunicorn's
``gthread`` worker and 8 threads, the server ``serve`` ran before.

With ``--server-timing`` the web process runs under ``bench/timed_serve.py``
and the seconds it spent per webhook inside the receiver (and within
that in the ledger's and in huey's writes) are printed beside the
latency the load generator saw, which also holds the generator's own cost
and the wait for the server's event loop. Every run prints how long the web
worker process ran on a CPU during the burst and how long it was ready to
run but waited for one (other processes on the machine). ``--review-delay`` (0.5 s by default) set past
the burst keeps the reviews from competing with the webhook; ``--web-threads``
and ``--switch-interval`` (with ``--server-timing``) change the threads of
the Flask routes and Python's switch interval in the web process, for experiments.
``--server-timing`` also prints the pauses of the garbage collector in the
web process during the burst. ``--latency-only`` stops after the burst (no
accounting; for quick A/B runs of the acknowledgement path), and
``--py-spy FILE`` records where the web process spends its CPU during the
burst (py-spy's collapsed stacks, only threads holding the interpreter lock).

The burst is sent by wrk (``bench/wrk_burst.py``), a load generator in C
that costs a few microseconds per request, from ``--concurrency``
keep-alive connections on 2 wrk threads; the latencies are wrk's exact
per-request figures. wrk is a benchmark tool, not a dependency: on Debian
or Ubuntu ``apt-get install -y wrk``. Without it the script stops and says
so; ``--generator python`` sends the same burst from Python threads
instead (about 1 ms of CPU per delivery on the machine being measured, so
its latencies hold much of the generator's own cost).

Exits 1 when a delivery is unaccounted for. Prints numbers; asserts no time.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bot_support.keys import key_pair
from bot_support.ledger import open_ledger, settle
from bot_support.load import Burst, Sender, run_burst
from bot_support.observe import MemoryWatch, process_tree
from bot_support.process import ROOT, BotProcess, bot_environment, free_port, serve, worker
from bot_support.redis_restart import RestartableRedis
from bot_support.waiting import wait_until
from github_sim import GitHubSim

APP_ID = "9090"
SECRET = b"load test secret"
TIMED_SERVE = Path(__file__).resolve().with_name("timed_serve.py")

sys.path.insert(0, str(TIMED_SERVE.parent))
import wrk_burst  # noqa: E402 - beside this file, found once its folder is on the path


class TimedBotProcess(BotProcess):
    """``flux-review serve`` under ``bench/timed_serve.py``: the same server, with a timer around each request."""

    def start(self) -> TimedBotProcess:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, str(TIMED_SERVE), *self.args], env=self.env, cwd=ROOT,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._healthy, 30.0, 0.1, f"the bot on port {self.port}")
        return self


def ack_floor(folder: Path, gthread: bool) -> BotProcess:
    """gunicorn serving ``bench/ack_floor.py`` with serve's worker settings (or gthread's), ready for deliveries."""
    port = free_port()
    process = BotProcess([], {**os.environ, "PYTHONPATH": str(ROOT)}, folder / "floor.log", port)
    server = (["--worker-class", "gthread", "--threads", "8", "ack_floor:app"] if gthread else
              ["--worker-class", "bot.server.WebWorker", "ack_floor:asgi_app"])
    with open(process.log_path, "ab") as log:
        process.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--pythonpath", str(TIMED_SERVE.parent),
             "--workers", "1", "--keep-alive", "5", "--bind", f"127.0.0.1:{port}", *server],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(process._healthy, 30.0, 0.1, f"gunicorn on port {port}")
    return process


def tree_cpu(root: int) -> float:
    """CPU seconds (user and system) used so far by ``root``, the processes below it and their reaped children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def server_times(path: Path, since: float) -> list[tuple[float, float, float]]:
    """(application, ledger, wake-up) seconds of each webhook the timed server answered after ``since``."""
    rows = []
    for line in path.read_text().splitlines():
        route, started, app, ledger, wake = line.split()
        if route == "/webhook" and float(started) >= since:
            rows.append((float(app), float(ledger), float(wake)))
    return rows


def collections(path: Path, since: float) -> dict[int, list[float]]:
    """The garbage collector's pauses in the web process after ``since``, by generation (seconds)."""
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    for line in path.read_text().splitlines():
        route, started, seconds, _, _ = line.split()
        if route.startswith("gc:") and float(started) >= since:
            pauses[int(route[3:])].append(float(seconds))
    return pauses


def print_collections(pauses: dict[int, list[float]]) -> None:
    print("garbage collections in the web process during the burst: " + ", ".join(
        f"generation {generation} {len(values)} (max {max(values, default=0) * 1000:.1f} ms, "
        f"sum {sum(values) * 1000:.0f} ms)" for generation, values in sorted(pauses.items())))


def print_server_times(rows: list[tuple[float, float, float]], burst_seconds: float) -> None:
    def ms(values: list[float], fraction: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else 0.0

    for index, name in enumerate(("inside the application", "  of which the ledger's write",
                                  "  of which huey's wake-up write")):
        values = [row[index] for row in rows]
        print(f"server, {name}: p50 {ms(values, 0.5):.1f} ms, p99 {ms(values, 0.99):.1f} ms, "
              f"max {ms(values, 1.0):.1f} ms, mean {statistics.fmean(values) * 1000 if values else 0:.1f} ms, "
              f"sum {sum(values):.2f} s over a {burst_seconds:.2f} s burst")


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def web_worker(server: int) -> int:
    """gunicorn's worker process: the child of ``server`` that answers the webhooks."""
    return next(pid for pid in process_tree(server) if pid != server and parent_of(pid) == server)


def scheduled(pid: int) -> tuple[float, float]:
    """Seconds the threads of ``pid`` ran on a CPU, and waited for one while ready to run (Linux schedstat)."""
    ran = waited = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:
            continue
        ran, waited = ran + int(fields[0]), waited + int(fields[1])
    return ran / 1e9, waited / 1e9


def record_profile(server: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy recording gunicorn's worker (the child of ``server``): where the web process spends its CPU."""
    found = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy not found: install it in a virtual environment of its own and set PY_SPY")
    worker = web_worker(server)
    recorder = subprocess.Popen([found, "record", "--pid", str(worker), "--format", "raw", "--rate", "500",
                                 "--gil", "--nonblocking", "--threads", "--output", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    time.sleep(1.0)  # py-spy attaches before the first delivery leaves
    return recorder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", action="store_true", help="scale-out: a Redis, serve and worker processes")
    parser.add_argument("--workers", type=int, default=2, help="worker processes with --redis")
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--pulls", type=int, default=300)
    parser.add_argument("--settle", type=float, default=900.0, help="seconds to wait for the reviews")
    parser.add_argument("--server-timing", action="store_true",
                        help="time each webhook inside the server too (bench/timed_serve.py)")
    parser.add_argument("--review-delay", type=float, default=0.5,
                        help="FLUX_REVIEW_REVIEW_DELAY: seconds before a job is woken (past the burst: no review "
                             "competes with the webhook)")
    parser.add_argument("--floor", action="store_true",
                        help="send the burst to gunicorn answering 202 at once (bench/ack_floor.py) instead")
    parser.add_argument("--floor-gthread", action="store_true",
                        help="--floor with gunicorn's gthread worker (8 threads), the server serve ran before")
    parser.add_argument("--switch-interval", type=float,
                        help="with --server-timing: the web process's sys.setswitchinterval, for an experiment")
    parser.add_argument("--web-threads", type=int,
                        help="with --server-timing: the threads of the Flask routes, for an experiment")
    parser.add_argument("--generator", choices=("wrk", "python"), default="wrk",
                        help="what sends the burst: wrk (C, keep-alive connections; the published figures) or "
                             "Python threads")
    parser.add_argument("--py-spy", type=Path, metavar="FILE",
                        help="record the web worker process with py-spy during the burst (collapsed stacks, "
                             "CPU only) into FILE; py-spy is found on PATH or in PY_SPY")
    parser.add_argument("--latency-only", action="store_true",
                        help="stop after the burst: latency and answers only, no wait for the reviews (for A/B "
                             "runs of the acknowledgement path; the published figures account for every delivery)")
    args = parser.parse_args()
    args.floor = args.floor or args.floor_gthread
    if args.generator == "wrk" and wrk_burst.find_wrk() is None:
        print(wrk_burst.INSTALL_HINT, file=sys.stderr)
        return 2
    burst = Burst(deliveries=args.deliveries, concurrency=args.concurrency, pulls=args.pulls)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        sim = GitHubSim(APP_ID, key_pair()[1]).start()
        store = RestartableRedis(folder, fsync="everysec").start() if args.redis else None
        processes: list[BotProcess] = []
        try:
            env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, folder / "data",
                                  redis_url=store.url if store else None, review_delay=str(args.review_delay))
            timing = folder / "timing.log"
            if args.floor:
                processes.append(ack_floor(folder, args.floor_gthread))
            elif args.server_timing:
                env["FLUX_REVIEW_BENCH_TIMING"] = str(timing)
                if args.switch_interval:
                    env["FLUX_REVIEW_BENCH_SWITCH_INTERVAL"] = str(args.switch_interval)
                if args.web_threads:
                    env["FLUX_REVIEW_BENCH_WEB_THREADS"] = str(args.web_threads)
                port = free_port()
                processes.append(TimedBotProcess(["serve", "--host", "127.0.0.1", "--port", str(port)],
                                                 env, folder / "web.log", port).start())
            else:
                processes.append(serve(env, folder / "web.log"))
            if store:
                processes += [worker(env, folder / f"worker{n}.log") for n in range(args.workers)]
            watch = MemoryWatch([p.proc.pid for p in processes if p.proc is not None]).start()
            web = processes[0].proc.pid if processes[0].proc is not None else os.getpid()
            sender: Sender | None = None
            if args.generator == "wrk":
                sender = functools.partial(wrk_burst.send, folder=folder / "wrk")
            answering = web_worker(web)
            cpu_before, server_before, sched_before = os.times(), tree_cpu(web), scheduled(answering)
            wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            burst_started = time.time()
            recorder = record_profile(processes[0].proc.pid, args.py_spy) if args.py_spy and processes[0].proc else None
            result = run_burst(processes[0].url, SECRET, sim, burst, sender) if sender else run_burst(
                processes[0].url, SECRET, sim, burst)
            cpu_after, server_after, sched_after = os.times(), tree_cpu(web), scheduled(answering)
            if recorder is not None:
                recorder.send_signal(signal.SIGINT)
                recorder.wait(30)
            wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            mode = f"scale-out, {args.workers} worker processes on Redis" if store else "embedded"
            server = "gunicorn's gthread worker" if args.floor_gthread else "serve's server"
            mode = f"floor ({server} answering 202 at once)" if args.floor else mode
            print(f"{mode}: {len(result.latencies)} deliveries answered in {result.seconds:.2f} s at concurrency "
                  f"{burst.concurrency} ({len(result.latencies) / result.seconds:.0f}/s), sent by {args.generator}")
            print(f"acknowledgement latency: p50 {result.percentile(0.5) * 1000:.1f} ms, "
                  f"p99 {result.percentile(0.99) * 1000:.1f} ms, max {max(result.latencies) * 1000:.1f} ms")
            here = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
            server_cpu = server_after - server_before
            if args.generator == "wrk":
                wrk_cpu = (wrk_after.ru_utime - wrk_before.ru_utime) + (wrk_after.ru_stime - wrk_before.ru_stime)
                print(f"CPU during the burst: wrk {wrk_cpu:.2f} s; this process (the simulator, signing the "
                      f"deliveries before wrk starts) {here:.2f} s; web server process and its children "
                      f"{server_cpu:.2f} s")
            else:
                print(f"CPU during the burst: load generator (its threads and the simulator) {here:.2f} s, "
                      f"web server process and its children {server_cpu:.2f} s")
            print(f"the web worker process during the burst: on a CPU {sched_after[0] - sched_before[0]:.2f} s, "
                  f"ready but waiting for a CPU {sched_after[1] - sched_before[1]:.2f} s")
            if args.server_timing:
                print_server_times(server_times(timing, burst_started), result.seconds)
                print_collections(collections(timing, burst_started))
            if args.floor or args.latency_only:
                print("answers: " + ", ".join(f"{n} {status}" for status, n in sorted(result.statuses.items())))
                return 0 if not result.refused else 1
            print("answers: " + ", ".join(f"{count} {status}" for status, count in sorted(result.statuses.items())))
            started = time.perf_counter()
            ledger = open_ledger(folder / "data", store.url if store else None)
            try:
                accounting = settle(ledger, result.jobs, sim, result.repositories, args.settle)
            finally:
                ledger.close()
            peak = watch.stop()
            print(f"reviews settled {time.perf_counter() - started:.1f} s after the burst: {accounting.line()}")
            print(f"GitHub API requests {len(sim.calls('api'))}, archive downloads {len(sim.calls('archive'))}; "
                  f"peak resident memory of one bot process {peak / 2**20:.0f} MiB")
            for line in (accounting.unaccounted + accounting.pending + result.refused)[:20]:
                print(f"  not accounted for: {line}")
            lost = len(accounting.unaccounted) + len(accounting.pending) + len(result.refused)
            print(f"lost deliveries: {lost}")
            return 0 if accounting.whole and not result.refused else 1
        finally:
            for process in processes:
                process.stop()
            if store:
                store.stop()
            sim.stop()


if __name__ == "__main__":
    sys.exit(main())
