"""A bounded burst of signed webhook deliveries, as GitHub would send them on a busy day (test and benchmark share it).

The mix: ``pull_request.opened`` and ``synchronize`` for every pull request
(two heads each), replays (the same payload under a fresh delivery id),
duplicates (a delivery id sent twice, as GitHub's redelivery does) and
events that need no review. Deliveries go out in a shuffled order (seeded)
from ``concurrency`` threads over loopback; each answer's time is kept.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from github_sim import GitHubSim

from bot_support import payloads
from bot_support.delivery import sign
from bot_support.repos import CONFIGMAP, fleet

PULLS_PER_REPOSITORY = 50


@dataclass(frozen=True)
class Burst:
    deliveries: int = 2000
    concurrency: int = 50
    pulls: int = 300
    installation: int = 61
    owner: str = "load"
    seed: int = 12


@dataclass
class Delivery:
    event: str
    body: bytes
    delivery: str


@dataclass
class BurstResult:
    jobs: list[str] = field(default_factory=list)  # job ids of the deliveries answered 202 queued
    statuses: Counter[str] = field(default_factory=Counter)  # 202 answers by status, other answers by code
    latencies: list[float] = field(default_factory=list)  # seconds, one per delivery
    refused: list[str] = field(default_factory=list)  # answers other than 202, or none
    repositories: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def prepare(sim: GitHubSim, burst: Burst) -> list[Delivery]:
    """Repositories and pull requests in the simulator, and the shuffled deliveries about them."""
    rng = random.Random(burst.seed)
    pulls: list[tuple[str, int, str, str, str]] = []  # repository, number, base, first head, second head
    for first in range(0, burst.pulls, PULLS_PER_REPOSITORY):
        name = f"{burst.owner}/fleet{first // PULLS_PER_REPOSITORY}"
        repo = sim.add_repo(name, burst.installation)
        base = repo.commit(fleet(1), branch="main")
        for number in range(first + 1, min(burst.pulls, first + PULLS_PER_REPOSITORY) + 1):
            one = repo.commit({}, parent=base, changes={"apps/app0/configmap.yaml": CONFIGMAP.format(
                name="app0", n=number)})
            two = repo.commit({}, parent=one, changes={"apps/app0/extra.yaml": CONFIGMAP.format(
                name="extra", n=number)})
            repo.open_pull(number, "main", two)
            pulls.append((name, number, base, one, two))

    def payload(action: str, pull: tuple[str, int, str, str, str], head: str) -> bytes:
        import json

        name, number, base, _, _ = pull
        return json.dumps(payloads.pull_request(action, name, number, head, base,
                                                installation_id=burst.installation)).encode()

    planned = []
    for pull in pulls:
        planned.append(Delivery("pull_request", payload("opened", pull, pull[3]), str(uuid.uuid4())))
        planned.append(Delivery("pull_request", payload("synchronize", pull, pull[4]), str(uuid.uuid4())))
    reviewable = list(planned)
    while len(planned) < burst.deliveries:
        kind = rng.random()
        if kind < 0.35:  # a replay: an earlier payload, a new id
            earlier = rng.choice(reviewable)
            planned.append(Delivery(earlier.event, earlier.body, str(uuid.uuid4())))
        elif kind < 0.7:  # a duplicate: the same delivery again
            planned.append(rng.choice(reviewable))
        else:  # events that need no review
            pull = rng.choice(pulls)
            choice = rng.choice(("labeled", "edited", "star"))
            body = payload(choice, pull, pull[4]) if choice != "star" else b'{"action": "created"}'
            planned.append(Delivery("star" if choice == "star" else "pull_request", body, str(uuid.uuid4())))
    planned = planned[:burst.deliveries]
    rng.shuffle(planned)
    return planned


def send(url: str, secret: bytes, planned: list[Delivery], concurrency: int) -> BurstResult:
    """POST every delivery from ``concurrency`` threads; gather answers and their times."""
    result = BurstResult()
    lock = threading.Lock()
    local = threading.local()

    def one(item: Delivery) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": item.event,
                   "X-GitHub-Delivery": item.delivery, "X-Hub-Signature-256": sign(secret, item.body),
                   "User-Agent": "GitHub-Hookshot/load"}
        started = time.perf_counter()
        try:
            answer = session.post(f"{url}/webhook", data=item.body, headers=headers, timeout=30)
            seconds = time.perf_counter() - started
            body: dict[str, Any] = answer.json() if answer.status_code == 202 else {}
        except (requests.RequestException, ValueError) as error:
            with lock:
                result.refused.append(f"{item.delivery}: {type(error).__name__}")
                result.statuses["error"] += 1
            return
        with lock:
            result.latencies.append(seconds)
            if answer.status_code == 202:
                result.statuses[str(body.get("status"))] += 1
                if body.get("status") == "queued":
                    result.jobs.append(str(body["job"]))
            else:
                result.statuses[str(answer.status_code)] += 1
                result.refused.append(f"{item.delivery}: HTTP {answer.status_code}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, planned))
    result.seconds = time.perf_counter() - started
    return result


Sender = Callable[[str, bytes, list[Delivery], int], BurstResult]


def run_burst(url: str, secret: bytes, sim: GitHubSim, burst: Burst, sender: Sender = send) -> BurstResult:
    """Prepare the burst in the simulator and send it with ``sender`` (Python threads unless another is given)."""
    planned = prepare(sim, burst)
    result = sender(url, secret, planned, burst.concurrency)
    result.repositories = sorted({name for name in sim.repos if name.startswith(f"{burst.owner}/")})
    return result
