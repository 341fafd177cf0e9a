"""The webhook endpoint: signature, size, JSON, ping, dedupe, persistence before the 202, routing."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from bot_support import payloads
from bot_support.delivery import deliver, sign
from bot_support.inprocess import settings_for
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from bot.app import components_of, create_app
from bot.state import SqliteStore
from bot.webhooks import signature, signature_valid

SECRET = b"unit secret"


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    settings = settings_for("http://127.0.0.1:9", tmp_path, review_delay=60.0, max_webhook_bytes=4096)
    return create_app(settings).test_client()


def post(client: FlaskClient, event: str, payload: object, delivery: str = "d-1", secret: bytes = SECRET,
         body: bytes | None = None, content_type: str = "application/json", **headers: str):
    data = body if body is not None else json.dumps(payload).encode()
    all_headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
                   "X-Hub-Signature-256": sign(secret, data), **headers}
    return client.post("/webhook", data=data, headers=all_headers, content_type=content_type)


def jobs(client: FlaskClient) -> list[str]:
    store = components_of(client.application).store
    return store._ids_in_state("queued")


def test_githubs_own_signature_test_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature(b"It's a Secret to Everybody", b"Hello, World!") == expected
    assert signature_valid(b"It's a Secret to Everybody", b"Hello, World!", expected)
    assert not signature_valid(b"It's a Secret to Everybody", b"Hello, World!?", expected)
    assert not signature_valid(b"secret", b"body", None)


def test_a_signed_pull_request_event_is_persisted_before_the_202(client: FlaskClient) -> None:
    answer = post(client, "pull_request", payloads.pull_request("opened", "acme/fleet", 7, "a" * 40))
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["status"] == "queued"
    assert jobs(client) == [body["job"]]
    job = components_of(client.application).store.get(body["job"])
    assert job.payload["head_sha"] == "a" * 40 and job.payload["delivery"] == "d-1"


@pytest.mark.parametrize("secret", [b"wrong secret", b""])
def test_a_bad_signature_is_refused_without_details(client: FlaskClient, secret: bytes) -> None:
    answer = post(client, "pull_request", payloads.pull_request("opened", "acme/fleet", 7, "a" * 40),
                  secret=secret)
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "unauthorized"}
    assert jobs(client) == []


def test_a_missing_signature_is_refused(client: FlaskClient) -> None:
    data = json.dumps(payloads.ping()).encode()
    answer = client.post("/webhook", data=data, content_type="application/json",
                         headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d"})
    assert answer.status_code == 401


def test_an_oversize_body_is_refused_before_anything_else(client: FlaskClient) -> None:
    answer = post(client, "pull_request", None, body=b"x" * 5000, secret=b"not even checked")
    assert answer.status_code == 413
    # A chunked body declares no length: the cap applies while reading it.
    chunked = client.post("/webhook", input_stream=io.BytesIO(b"y" * 5000), content_type="application/json",
                          headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d",
                                   "Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_json_is_a_400(client: FlaskClient, body: bytes) -> None:
    assert post(client, "pull_request", None, body=body).status_code == 400


def test_missing_event_or_delivery_headers_are_a_400(client: FlaskClient) -> None:
    assert post(client, "", payloads.ping()).status_code == 400
    assert post(client, "ping", payloads.ping(), delivery="").status_code == 400


def test_ping_is_answered(client: FlaskClient) -> None:
    answer = post(client, "ping", payloads.ping("Speak like a human."))
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "pong", "zen": "Speak like a human."}


def test_a_repeated_delivery_id_gets_a_202_and_no_second_job(client: FlaskClient) -> None:
    event = payloads.pull_request("synchronize", "acme/fleet", 7, "b" * 40)
    assert post(client, "pull_request", event, delivery="same").get_json()["status"] == "queued"
    again = post(client, "pull_request", event, delivery="same")
    assert (again.status_code, again.get_json()) == (202, {"status": "duplicate"})
    assert len(jobs(client)) == 1


def test_unhandled_events_and_actions_are_accepted_and_ignored(client: FlaskClient) -> None:
    star = post(client, "star", {"action": "created"}, delivery="s")
    closed = post(client, "pull_request", payloads.pull_request("closed", "acme/fleet", 7, "a" * 40), delivery="c")
    for answer in (star, closed):
        assert answer.status_code == 202 and answer.get_json()["status"] == "ignored"
    assert "needs no review" in closed.get_json()["reason"]
    again = post(client, "star", {"action": "created"}, delivery="s")
    assert again.get_json()["status"] == "ignored"  # nothing was written for it
    assert jobs(client) == []


def test_installation_events_are_recorded(client: FlaskClient) -> None:
    answer = post(client, "installation", payloads.installation("created", 77, "acme", ["acme/a"]), delivery="i")
    assert answer.get_json()["status"] == "recorded"
    assert components_of(client.application).store.installation(77)["repositories"] == ["acme/a"]


def test_form_encoded_deliveries_are_read(client: FlaskClient) -> None:
    body = urlencode({"payload": json.dumps(payloads.ping("form"))}).encode()
    answer = post(client, "ping", None, body=body, content_type="application/x-www-form-urlencoded")
    assert answer.get_json()["zen"] == "form"


class FullStore(SqliteStore):
    """A ledger whose file may not grow: SQLite answers "database or disk is full", as on a full disk."""

    def _db(self):  # type: ignore[no-untyped-def]
        db = super()._db()
        db.execute("pragma max_page_count = 1")  # never below the current size: the file stops growing here
        return db


def test_a_store_that_cannot_write_answers_503_and_loses_no_accepted_delivery(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path, review_delay=600.0)
    SqliteStore(tmp_path / "state.db")  # the ledger's tables, while the disk had room
    store = FullStore(tmp_path / "state.db")
    server = make_server("127.0.0.1", 0, create_app(settings, store=store), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    accepted: list[str] = []
    refused = None
    try:
        for number in range(1, 2001):  # bounded: the file is full long before
            payload = payloads.pull_request("opened", "acme/fleet", number, f"{number:040x}")
            answer = deliver(url, "pull_request", payload, b"unit secret", delivery=f"d-{number}")
            if answer.status_code != 202:
                refused = answer
                break
            accepted.append(answer.json()["job"])
        assert refused is not None and refused.status_code == 503
        assert "redeliver" in refused.json()["error"]
        assert all(store.get(job) is not None for job in accepted)  # every 202 is a job in the ledger
        assert requests.get(f"{url}/healthz", timeout=5).status_code in (200, 503)  # answers, never hangs
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_answers_are_json_as_flask_writes_it(client: FlaskClient) -> None:
    refused = post(client, "pull_request", payloads.pull_request("opened", "acme/fleet", 7, "a" * 40),
                   secret=b"wrong secret")
    assert refused.data == b'{"error":"unauthorized"}\n'
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.headers["Content-Length"] == str(len(refused.data))
    queued = post(client, "pull_request", payloads.pull_request("opened", "acme/fleet", 7, "a" * 40))
    assert queued.data == b'{"job":"%s","status":"queued"}\n' % queued.get_json()["job"].encode()


def test_a_body_shorter_than_its_declared_length_is_refused_and_starts_nothing(client: FlaskClient) -> None:
    data = json.dumps(payloads.pull_request("opened", "acme/fleet", 7, "a" * 40)).encode()
    answer = client.post("/webhook", input_stream=io.BytesIO(data), content_type="application/json",
                         headers={"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "short",
                                  "X-Hub-Signature-256": sign(SECRET, data)},
                         environ_overrides={"CONTENT_LENGTH": str(len(data) + 10)})
    assert answer.status_code == 408
    assert jobs(client) == []


def test_an_unexpected_error_is_a_500_in_json_and_is_logged(client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(components_of(client.application).queue, "submit", broken)
    answer = post(client, "pull_request", payloads.pull_request("opened", "acme/fleet", 7, "a" * 40))
    assert (answer.status_code, answer.get_json()) == (500, {"error": "internal server error"})
    assert any(record.exc_info and "a bug" in str(record.exc_info[1]) for record in caplog.records)
    assert post(client, "ping", payloads.ping(), delivery="after").status_code == 200  # the next one is served
