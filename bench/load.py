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

    .venv/bin/python bench/load.py [--redis] [--deliveries 2000] [--concurrency 50] [--pulls 300]

Exits 1 when a delivery is unaccounted for. Prints numbers; asserts no time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bot_support.keys import key_pair
from bot_support.ledger import open_ledger, settle
from bot_support.load import Burst, run_burst
from bot_support.observe import MemoryWatch
from bot_support.process import BotProcess, bot_environment, serve, worker
from bot_support.redis_restart import RestartableRedis
from github_sim import GitHubSim

APP_ID = "9090"
SECRET = b"load test secret"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", action="store_true", help="scale-out: a Redis, serve and worker processes")
    parser.add_argument("--workers", type=int, default=2, help="worker processes with --redis")
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--pulls", type=int, default=300)
    parser.add_argument("--settle", type=float, default=900.0, help="seconds to wait for the reviews")
    args = parser.parse_args()
    burst = Burst(deliveries=args.deliveries, concurrency=args.concurrency, pulls=args.pulls)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        sim = GitHubSim(APP_ID, key_pair()[1]).start()
        store = RestartableRedis(folder, fsync="everysec").start() if args.redis else None
        processes: list[BotProcess] = []
        try:
            env = bot_environment(APP_ID, key_pair()[0], SECRET, sim.url, folder / "data",
                                  redis_url=store.url if store else None)
            processes.append(serve(env, folder / "web.log"))
            if store:
                processes += [worker(env, folder / f"worker{n}.log") for n in range(args.workers)]
            watch = MemoryWatch([p.proc.pid for p in processes if p.proc is not None]).start()
            result = run_burst(processes[0].url, SECRET, sim, burst)
            mode = f"scale-out, {args.workers} worker processes on Redis" if store else "embedded"
            print(f"{mode}: {len(result.latencies)} deliveries answered in {result.seconds:.2f} s at concurrency "
                  f"{burst.concurrency} ({len(result.latencies) / result.seconds:.0f}/s)")
            print(f"acknowledgement latency: p50 {result.percentile(0.5) * 1000:.1f} ms, "
                  f"p99 {result.percentile(0.99) * 1000:.1f} ms, max {max(result.latencies) * 1000:.1f} ms")
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
