"""Logs never hold tokens, keys, JWTs or signed links, tracebacks included; JSON lines say what they are about."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support import payloads
from bot_support.delivery import deliver
from bot_support.keys import key_pair
from bot_support.process import bot_environment, serve
from bot_support.repos import pull_with_broken_yaml
from bot_support.waiting import wait_until
from bot_support.worker_rig import make_rig
from github_sim import GitHubSim
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot import logs
from bot.logs import RedactingFormatter, redact
from bot.review_request import ReviewRequest
from bot.settings import Settings, SettingsError
from bot.worker import Heartbeat

JOB_FIELDS = ("delivery", "installation", "repository", "pull", "job")


def test_credentials_are_redacted() -> None:
    text = redact("Authorization: token ghs_abcdefghijklmnopqrstuvwxyz0123 and 'Authorization': 'Bearer eyJhbGciOi"
                  "JSUzI1NiJ9.eyJpc3MiOiI0MiJ9.c2lnbmF0dXJlc2ln' url=https://codeload.test/x.tar.gz?token=ABCDEF&x=1")
    assert "ghs_abc" not in text and "eyJhbGci" not in text and "ABCDEF" not in text
    assert "token=[redacted]&x=1" in text
    assert redact(key_pair()[0].strip()) == "[redacted private key]"


_FRAGMENTS = ["Authorization", "AUTHORIZATION: ", "authorization=", "token ", "Bearer ", "basic ", "?token=", "&sig=",
              "X-Amz-Signature=", "ghs_", "gho_", "ghp_", "ghu_", "ghr_", "gh", "eyJ", "eyJhbGciOiJSUzI1NiJ9.", ".",
              "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MiJ9.c2lnbmF0dXJlc2ln", "ghs_abcdefghijklmnopqrstuvwxyz0123",
              "AUTHORIZATION: token abcdef0123", "Authorization: Bearer xyz.1",
              "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
              "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "-----BEGIN ", "=", "&", "?", ":",
              "'", '"', " ", "\n", "abcdefghijklmnop0123", "x"]


@hypothesis_settings(max_examples=300, derandomize=True, database=None)
@given(st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=4), max_size=8).map("".join))
def test_a_line_skipped_by_the_quick_look_is_one_the_patterns_leave_as_it_is(text: str) -> None:
    full = text
    for pattern, replacement in logs._PATTERNS:
        full = pattern.sub(replacement, full)
    assert redact(text) == full


def test_tracebacks_go_through_the_redaction() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger = logging.getLogger("test-redaction")
    logger.addHandler(handler)
    try:
        raise ConnectionError("GET https://codeload.test/a.tar.gz?token=SIGNED failed")
    except ConnectionError:
        logger.exception("download failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "SIGNED" not in output and "token=[redacted]" in output


# -- JSON lines ---------------------------------------------------------------------------
class Captured:
    """JSON lines written by a handler on the root logger, as ``configure`` sets it up."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logs.formatter("json"))
        self.handler.addFilter(logs.ContextFilter())

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def entries(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    capture = Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture.handler)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture.handler)
        root.setLevel(level)


def test_a_json_line_per_record_with_the_context_known_then(captured: Captured) -> None:
    log = logging.getLogger("bot.test")
    log.info("before any delivery")
    with logs.scope(delivery="d-1", installation=7):
        log.info("received\nover two lines")
        logs.bind(repository="acme/fleet", pull=3, job="j-1")
        log.warning("queued %s", "j-1")
    log.info("after the delivery")
    before, received, queued, after = captured.entries()
    assert len(captured.lines()) == 4  # a message's newline stays inside its JSON string
    assert set(before) == {"time", "level", "logger", "message"}
    assert before["time"].endswith("Z") and before["logger"] == "bot.test" and before["level"] == "info"
    assert received == received | {"message": "received\nover two lines", "delivery": "d-1", "installation": 7}
    assert "job" not in received
    assert {k: queued[k] for k in (*JOB_FIELDS, "level", "message")} == {
        "delivery": "d-1", "installation": 7, "repository": "acme/fleet", "pull": 3, "job": "j-1",
        "level": "warning", "message": "queued j-1"}
    assert not set(JOB_FIELDS) & set(after)


def test_every_field_and_the_traceback_are_redacted(captured: Captured) -> None:
    token = "ghs_" + "a1" * 18
    with logs.scope(repository=f"acme/{token}", delivery="x?token=SIGNEDLINK"):
        try:
            raise ConnectionError(f"GET https://codeload.test/a.tar.gz?token=SIGNED Authorization: token {token}")
        except ConnectionError:
            logging.getLogger("bot.test").exception("download of %s failed", key_pair()[0])
    [line] = captured.lines()
    assert token not in line and "SIGNED" not in line and "PRIVATE KEY-----\n" not in line
    assert "MII" not in line  # no part of the key's body
    entry = json.loads(line)
    assert entry["message"] == "download of [redacted private key]\n failed"
    assert entry["repository"] == "acme/[redacted token]" and entry["delivery"] == "x?token=[redacted]"
    assert entry["exc"].startswith("Traceback") and "token=[redacted]" in entry["exc"]


def test_undecodable_text_still_gives_a_json_line(captured: Captured) -> None:
    name = b"apps/caf\xe9.yaml".decode("utf-8", "surrogateescape")
    logging.getLogger("bot.test").info("cannot read %s", name)
    [entry] = captured.entries()
    assert entry["message"].startswith("cannot read apps/caf")


def test_threads_keep_their_own_context(captured: Captured) -> None:
    barrier = threading.Barrier(2, timeout=10)

    def job(n: int) -> None:
        with logs.scope(job=f"job-{n}", pull=n):
            for step in range(20):
                barrier.wait()
                logging.getLogger("bot.test").info("thread %d step %d", n, step)

    threads = [threading.Thread(target=job, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    entries = captured.entries()
    assert len(entries) == 40
    for entry in entries:
        n = int(entry["message"].split()[1])
        assert (entry["job"], entry["pull"]) == (f"job-{n}", n)


def test_a_thread_started_by_a_job_carries_its_context(captured: Captured) -> None:
    class Unreachable:
        def heartbeat(self, *args: object) -> bool:
            raise ConnectionError("ledger gone")

    with logs.scope(job="job-9", installation=4, repository="acme/fleet", pull=2, delivery="d-9"), \
            Heartbeat(Unreachable(), "job-9", "me", lease=0.03):  # type: ignore[arg-type]
        wait_until(lambda: any("renew" in e["message"] for e in captured.entries()), 10,
                   what="the heartbeat's warning")
    warning = next(e for e in captured.entries() if "renew" in e["message"])
    assert {k: warning[k] for k in JOB_FIELDS} == {"job": "job-9", "installation": 4, "repository": "acme/fleet",
                                                  "pull": 2, "delivery": "d-9"}


def test_every_line_of_a_job_names_the_job_and_its_pull_request(tmp_path: Path, captured: Captured) -> None:
    rig = make_rig(tmp_path)
    try:
        _, _, head = pull_with_broken_yaml(rig.sim, "acme/fleet", 1)
        job = rig.submit(ReviewRequest(1, "acme/fleet", 1, head, "main", "pull_request.opened", delivery="d-42"))
        captured.stream.seek(0)
        captured.stream.truncate()
        rig.runner.review(job)
    finally:
        rig.sim.stop()
    assert rig.sim.runs_for(head)[0]["status"] == "completed"
    # The job's own threads: the one running it and its heartbeat (the simulator serves on threads of its own).
    mine = [e for e in captured.entries() if not e["logger"].startswith(("werkzeug", "github-sim"))]
    assert any(e["logger"] == "bot.review" for e in mine)
    for entry in mine:
        assert {k: entry.get(k) for k in JOB_FIELDS} == {"delivery": "d-42", "installation": 1,
                                                         "repository": "acme/fleet", "pull": 1, "job": job}, entry
    logging.getLogger("bot.test").info("after the job")
    assert "job" not in captured.entries()[-1]


def test_log_format_is_read_with_the_settings() -> None:
    env = {"APP_ID": "1", "PRIVATE_KEY": key_pair()[0], "WEBHOOK_SECRET": "s"}
    assert Settings.from_env(env).log_format == "text"
    assert Settings.from_env(env | {"LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(SettingsError, match="LOG_FORMAT must be text or json"):
        Settings.from_env(env | {"LOG_FORMAT": "xml"})
    assert isinstance(logs.formatter("text"), RedactingFormatter)


# -- a real server's log ----------------------------------------------------------------------
PLANTED = "planted-plaintext-9d1c4e27"
SECRET_MANIFEST = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: database
  namespace: default
stringData:
  password: {PLANTED}
"""


def test_a_served_review_logs_json_lines_without_any_secret(tmp_path: Path) -> None:
    app_id, secret = "7373", b"json logs webhook secret 5b0e"
    sim = GitHubSim(app_id, key_pair()[1]).start()
    bot = None
    try:
        repo, _, head = pull_with_broken_yaml(sim, "acme/logged", installation_id=19)
        head = repo.commit({}, parent=head, changes={"apps/app2/secret.yaml": SECRET_MANIFEST})
        repo.pulls[1].head_sha = head
        env = bot_environment(app_id, key_pair()[0], secret, sim.url, tmp_path / "data")
        env.update(LOG_FORMAT="json", LOG_LEVEL="debug")
        bot = serve(env, tmp_path / "bot.log")
        answer = deliver(bot.url, "pull_request",
                         payloads.pull_request("opened", "acme/logged", 1, head, installation_id=19), secret)
        job = answer.json()["job"]
        run = wait_until(lambda: next((r for r in sim.runs_for(head) if r["status"] == "completed"), None), 30,
                         what="the review's completed check run")
        bot.stop()
        tokens = list(sim.tokens)
    finally:
        if bot is not None:
            bot.stop()
        sim.stop()
    assert run["conclusion"] == "failure"
    lines = (tmp_path / "bot.log").read_text().splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]  # every line is one JSON object
    assert len(entries) > 10 and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert any(e["logger"].startswith("gunicorn") for e in entries)
    text = "\n".join(lines)
    key_lines = [line for line in key_pair()[0].splitlines() if "-----" not in line]
    assert tokens
    for value in (secret.decode(), PLANTED, *tokens, *key_lines):
        assert value not in text
    context = {"delivery": answer.request.headers["X-GitHub-Delivery"], "installation": 19,
               "repository": "acme/logged", "pull": 1, "job": job}
    queued = next(e for e in entries if e["logger"] == "bot.webhooks" and "queued job" in e["message"])
    reviewed = next(e for e in entries if e["logger"] == "bot.review")
    for entry in (queued, reviewed):
        assert {k: entry.get(k) for k in JOB_FIELDS} == context, entry
    for entry in entries:
        if job in entry["message"]:
            assert entry.get("job") == job, entry
