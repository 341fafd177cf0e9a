"""Setup mode: the pages that register the App, in Flask's test client and as a real `serve` process."""

from __future__ import annotations

import html
import json
import logging
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from bot_support import payloads
from bot_support.delivery import deliver, sign
from bot_support.manifest_sim import ManifestSim
from bot_support.process import BotProcess, free_port, setup_environment
from flask import Flask
from flask.testing import FlaskClient

from bot import credentials
from bot.app import components_of, create_app, when_registered
from bot.cli import setup_address
from bot.settings import Settings
from bot.setup_page import BROWSER_COOKIE

TIMEOUT = 10


@pytest.fixture(scope="module")
def sim() -> Iterator[ManifestSim]:
    simulator = ManifestSim().start()
    yield simulator
    simulator.stop()


def setup_app(sim: ManifestSim, data_dir: Path, **env: str) -> Flask:
    settings = Settings.from_env({"DATA_DIR": str(data_dir), "GITHUB_URL": sim.url, "GITHUB_API_URL": sim.api_url,
                                  "FLUX_REVIEW_GITHUB_TIMEOUT": "5", **env}, setup=True)
    app = create_app(settings)
    return app


def form_to_github(page: str) -> tuple[str, dict[str, Any]]:
    """The target and the manifest of the page POST /setup answers."""
    action = re.search(r'<form method="post" action="([^"]+)" id="to-github">', page)
    manifest = re.search(r'name="manifest" value="([^"]+)"', page)
    assert action is not None and manifest is not None, page
    return html.unescape(action.group(1)), json.loads(html.unescape(manifest.group(1)))


def github_redirect(sim: ManifestSim, target: str, manifest: dict[str, Any]) -> str:
    """What the operator's browser does on GitHub: post the manifest, press create; the redirect's address."""
    page = requests.post(target, data={"manifest": json.dumps(manifest)}, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    draft = re.search(r'name="draft" value="([0-9a-f]+)"', page.text)
    assert draft is not None
    back = requests.post(f"{sim.url}/settings/apps/new/create", data={"draft": draft.group(1)},
                         allow_redirects=False, timeout=TIMEOUT)
    assert back.status_code == 302
    return back.headers["Location"]


def start_setup(client: FlaskClient, sim: ManifestSim, organization: str = "") -> tuple[str, dict[str, Any]]:
    answer = client.post("/setup", data={"organization": organization, "webhook_url": "https://bot.example.com/webhook",
                                         "github_url": sim.url})
    assert answer.status_code == 200
    return form_to_github(answer.get_data(as_text=True))


def register(client: FlaskClient, sim: ManifestSim, organization: str = "") -> Any:
    target, manifest = start_setup(client, sim, organization)
    callback = github_redirect(sim, target, manifest)
    assert callback.startswith("http://localhost/setup/callback?")
    return client.get(callback.removeprefix("http://localhost"))


def test_the_form_asks_for_organisation_webhook_url_and_github(sim: ManifestSim, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("WEBHOOK_PROXY_URL", raising=False)
    client = setup_app(sim, tmp_path).test_client()
    for path in ("/", "/setup"):
        page = client.get(path, base_url="http://bot.internal:3000").get_data(as_text=True)
        assert 'name="organization" value=""' in page
        assert 'name="webhook_url" value="http://bot.internal:3000/webhook"' in page  # from the request's host
        assert f'name="github_url" value="{sim.url}"' in page  # GITHUB_URL
        assert "<script" not in page  # the form needs no script
    monkeypatch.setenv("PUBLIC_URL", "https://bot.example.com/")
    public = setup_app(sim, tmp_path).test_client().get("/")
    assert 'value="https://bot.example.com/webhook"' in public.get_data(as_text=True)
    monkeypatch.setenv("WEBHOOK_PROXY_URL", "https://smee.io/abc")
    proxy = setup_app(sim, tmp_path).test_client().get("/")
    assert 'value="https://smee.io/abc"' in proxy.get_data(as_text=True)


def test_the_page_posts_app_yml_as_the_manifest_to_githubs_new_app_page(sim: ManifestSim, tmp_path: Path) -> None:
    client = setup_app(sim, tmp_path).test_client()
    answer = client.post("/setup", data={"organization": "", "webhook_url": "https://bot.example.com/webhook",
                                         "github_url": sim.url})
    target, manifest = form_to_github(answer.get_data(as_text=True))
    assert re.fullmatch(re.escape(sim.url) + r"/settings/apps/new\?state=[A-Za-z0-9_-]{40,}", target)
    assert manifest["name"] == "flux-review" and manifest["default_events"][0] == "pull_request"
    assert manifest["hook_attributes"]["url"] == "https://bot.example.com/webhook"
    assert manifest["redirect_url"] == "http://localhost/setup/callback"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{BROWSER_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/setup" in cookie
    assert "<button type=\"submit\">Continue to GitHub</button>" in answer.get_data(as_text=True)  # works without JS
    org_target, _ = start_setup(client, sim, "acme-corp")
    assert org_target.startswith(f"{sim.url}/organizations/acme-corp/settings/apps/new?state=")


def test_bad_fields_come_back_with_the_reason_and_start_nothing(sim: ManifestSim, tmp_path: Path) -> None:
    app = setup_app(sim, tmp_path)
    client = app.test_client()
    answer = client.post("/setup", data={"organization": "acme corp", "webhook_url": "https://b.example.com/webhook",
                                         "github_url": sim.url})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "The organisation must be its login" in page and 'value="acme corp"' in page
    answer = client.post("/setup", data={"webhook_url": "not a url", "github_url": sim.url})
    assert answer.status_code == 400 and "webhook URL must be an http(s) address" in answer.get_data(as_text=True)
    assert len(app.extensions["flux_review_setup"]) == 0


def test_until_registered_webhooks_answer_503_and_health_says_setup(sim: ManifestSim, tmp_path: Path) -> None:
    client = setup_app(sim, tmp_path).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "mode": "setup"}
    body = json.dumps(payloads.ping()).encode()
    answer = client.post("/webhook", data=body, headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d1",
                                                         "X-Hub-Signature-256": sign(b"", body)})
    assert answer.status_code == 503
    assert answer.get_json()["mode"] == "setup" and "not registered yet" in answer.get_json()["error"]


def test_a_wrong_missing_or_reused_state_is_refused(sim: ManifestSim, tmp_path: Path) -> None:
    client = setup_app(sim, tmp_path).test_client()
    answer = client.get("/setup/callback?code=abc&state=forged")
    assert answer.status_code == 400 and answer.mimetype == "text/plain"
    assert "state is unknown" in answer.get_data(as_text=True)
    assert client.get("/setup/callback?code=abc").status_code == 400
    target, manifest = start_setup(client, sim)
    callback = github_redirect(sim, target, manifest).removeprefix("http://localhost")
    stranger = setup_app(sim, tmp_path).test_client()
    assert stranger.get(callback).status_code == 400  # not the browser that started it (and not this server)
    other_browser = client.application.test_client()  # same server, no cookie
    assert other_browser.get(callback).status_code == 400
    assert client.get(callback).status_code == 400  # the attempts above spent the state
    assert credentials.load(tmp_path) is None


def test_a_refused_code_stores_nothing_and_setup_stays_open(sim: ManifestSim, tmp_path: Path) -> None:
    client = setup_app(sim, tmp_path).test_client()
    target, manifest = start_setup(client, sim)
    callback = github_redirect(sim, target, manifest)
    state = re.search(r"state=([^&]+)", callback)
    assert state is not None
    answer = client.get(f"/setup/callback?code=0000deadbeef&state={state.group(1)}")
    assert answer.status_code == 502 and "GitHub refused the code (HTTP 404)" in answer.get_data(as_text=True)
    assert credentials.load(tmp_path) is None
    assert client.get("/setup").status_code == 200


def test_registration_stores_the_credentials_and_switches_to_webhooks(
        sim: ManifestSim, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = setup_app(sim, tmp_path / "data")
    seen: list[Any] = []
    when_registered(app, seen.append)
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        answer = register(client, sim, "acme-corp")
    created = sim.apps[-1]
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f'href="{sim.url}/apps/flux-review/installations/new"' in page
    assert "acme-corp" in page and str(created.app_id) in page
    for secret in (created.webhook_secret, created.answer["client_secret"], "PRIVATE KEY"):
        assert secret not in page and secret not in caplog.text
    stored = credentials.load(tmp_path / "data")
    assert stored is not None
    assert (stored.app_id, stored.webhook_secret, stored.private_key) == (str(created.app_id), created.webhook_secret,
                                                                          created.pem)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (tmp_path / "data").glob("github-app*"))
    # The running app now serves webhooks as the new App; the listeners (serve's workers) were told once.
    assert [c.settings.app_id for c in seen] == [str(created.app_id)]
    assert components_of(app).settings.api_url == sim.api_url
    assert client.get("/healthz").get_json() == {"status": "ok", "mode": "embedded"}
    body = json.dumps(payloads.installation("created", 5, "acme-corp", ["acme-corp/fleet"])).encode()
    headers = {"X-GitHub-Event": "installation", "X-GitHub-Delivery": "d-1", "Content-Type": "application/json"}
    signed = client.post("/webhook", data=body, headers={**headers, "X-Hub-Signature-256":
                                                         sign(created.webhook_secret.encode(), body)})
    assert signed.status_code == 202 and signed.get_json() == {"status": "recorded"}
    forged = client.post("/webhook", data=body, headers={**headers, "X-Hub-Signature-256": sign(b"", body)})
    assert forged.status_code == 401
    # Setup is closed: the App cannot be replaced from a browser.
    for path in ("/", "/setup", "/setup/callback?code=x&state=y"):
        assert client.get(path).status_code == 404
    assert client.post("/setup", data={"webhook_url": "https://x.example.com/webhook"}).status_code == 404


def test_setup_address_is_where_the_operator_opens_the_page() -> None:
    base = Settings(app_id="", private_key="", webhook_secret=b"")
    assert setup_address(base) == "http://127.0.0.1:3000/"
    assert setup_address(base.with_address("127.0.0.2", 8080)) == "http://127.0.0.2:8080/"
    assert setup_address(base.with_address("::", 3000)) == "http://[::1]:3000/"
    assert setup_address(base.with_address("::1", 3000)) == "http://[::1]:3000/"


def test_a_server_worker_started_after_setup_serves_the_stored_app(tmp_path: Path) -> None:
    # gunicorn restarts a worker process from the master's settings, which still have no App.
    from bot_support.keys import key_pair

    from bot.credentials import Credentials
    from bot.server import Server

    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "FLUX_REVIEW_WORKERS": "1"}, setup=True)
    credentials.save(tmp_path, Credentials(app_id="55", private_key=key_pair()[0], webhook_secret="w"))
    server = Server(settings)
    app = server.load().flask  # the Flask app behind the server's ASGI application
    try:
        assert components_of(app).settings.app_id == "55"
        assert server.consumer is not None and server.consumer.pid is not None
        assert app.test_client().get("/setup").status_code == 404
    finally:
        server._worker_exit(None, None)


# -- over real HTTP: `serve` as a process ----------------------------------------------------------------------


def test_serve_without_credentials_registers_and_a_restart_keeps_the_app(sim: ManifestSim, tmp_path: Path) -> None:
    port = free_port()
    env = {**setup_environment(sim.url, sim.api_url, tmp_path / "data"), "PORT": str(port)}  # no --port: PORT
    bot = BotProcess(["serve", "--host", "127.0.0.1"], env, tmp_path / "bot.log", port).start()
    try:
        assert f"flux-review is not registered yet: open http://127.0.0.1:{port}/ to create its GitHub App" in bot.log()
        assert requests.get(f"{bot.url}/healthz", timeout=TIMEOUT).json()["mode"] == "setup"
        assert deliver(bot.url, "ping", payloads.ping(), b"x").status_code == 503
        browser = requests.Session()
        form = browser.get(f"{bot.url}/", timeout=TIMEOUT).text
        assert f'name="webhook_url" value="{bot.url}/webhook"' in form
        started = browser.post(f"{bot.url}/setup", data={"organization": "", "webhook_url": f"{bot.url}/webhook",
                                                         "github_url": sim.url}, timeout=TIMEOUT)
        target, manifest = form_to_github(started.text)
        callback = github_redirect(sim, target, manifest)
        assert callback.startswith(f"{bot.url}/setup/callback?code=")
        assert browser.get(callback, timeout=TIMEOUT).status_code == 200
        created = sim.apps[-1]
        secret = created.webhook_secret.encode()
        event = payloads.installation("created", 8, "octo-operator", ["octo-operator/fleet"])
        assert deliver(bot.url, "installation", event, secret).status_code == 202
        assert requests.get(f"{bot.url}/healthz", timeout=TIMEOUT).json()["mode"] == "embedded"
        assert browser.get(callback, timeout=TIMEOUT).status_code == 404
    finally:
        bot.stop()
    assert created.pem not in bot.log() and created.webhook_secret not in bot.log()
    again = BotProcess(["serve", "--host", "127.0.0.1"], env, tmp_path / "bot-again.log", port).start()
    try:
        assert "not registered" not in again.log()
        assert requests.get(f"{again.url}/healthz", timeout=TIMEOUT).json()["mode"] == "embedded"
        assert requests.get(f"{again.url}/setup", timeout=TIMEOUT).status_code == 404
        event = payloads.installation("created", 9, "octo-operator", ["octo-operator/fleet"])
        assert deliver(again.url, "installation", event, secret).status_code == 202
    finally:
        again.stop()
