"""Setup in a real browser: headless Chromium registers the App through `serve`'s pages and the GitHub simulator.

The browser opens the page of a `flux-review serve` process that has no
credentials, submits the form, lands on (simulated) GitHub's new-App page,
presses "Create GitHub App", comes back to the install link and follows it.
The same server process then accepts a webhook signed with the secret GitHub
returned, and its workers act as the new App (a JWT the simulator verifies
with the new key). Skipped only when Debian's chromium or chromedriver is
absent (`.ci/run` installs them).

The page's screenshot goes to a temporary folder; FLUX_REVIEW_REFRESH_DOCS=1
writes it to docs/setup-page.png instead, with the values a default start
shows (github.com, port 3000, DATA_DIR .flux-review) in place of the test's
temporary addresses.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from bot_support import payloads
from bot_support.delivery import deliver
from bot_support.manifest_sim import ManifestSim
from bot_support.process import ROOT, BotProcess, free_port, setup_environment
from bot_support.waiting import wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PAGE_TIMEOUT = 20.0
DOCS_SCREENSHOT = ROOT / "docs" / "setup-page.png"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason=f"{CHROMIUM} or {CHROMEDRIVER} is absent (Debian packages chromium and chromium-driver)",
)


@pytest.fixture(scope="module")
def sim() -> Iterator[ManifestSim]:
    simulator = ManifestSim().start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def bot(sim: ManifestSim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    folder = tmp_path_factory.mktemp("setup-bot")
    port = free_port()
    env = {**setup_environment(sim.url, sim.api_url, folder / "data", job_attempts="1"), "PORT": str(port)}
    process = BotProcess(["serve", "--host", "127.0.0.1"], env, folder / "bot.log", port).start()
    process.data_dir = folder / "data"  # type: ignore[attr-defined]
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1100,1060", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()


def screenshot_path(tmp_path: Path) -> Path:
    return DOCS_SCREENSHOT if os.environ.get("FLUX_REVIEW_REFRESH_DOCS") == "1" else tmp_path / "setup-page.png"


def show_defaults(browser: object) -> None:
    """For the docs picture: the page as a default start shows it, not the test's temporary addresses."""
    browser.execute_script(  # type: ignore[attr-defined]
        'document.getElementById("webhook_url").value = "http://127.0.0.1:3000/webhook";'
        'document.getElementById("github_url").value = "https://github.com";'
        'document.querySelector("p.lead code").textContent = ".flux-review";')


def test_an_operator_registers_the_app_in_a_browser_and_the_same_server_serves_it(
        sim: ManifestSim, bot: BotProcess, browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import WebDriverWait

    assert isinstance(browser, WebDriver)
    wait = WebDriverWait(browser, PAGE_TIMEOUT)
    browser.get(f"{bot.url}/")
    assert browser.title == "Register the App - flux-review"
    assert browser.find_element(By.ID, "webhook_url").get_attribute("value") == f"{bot.url}/webhook"
    assert browser.find_element(By.ID, "github_url").get_attribute("value") == sim.url
    shot = screenshot_path(tmp_path)
    if shot == DOCS_SCREENSHOT:
        show_defaults(browser)
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    if shot == DOCS_SCREENSHOT:
        browser.get(f"{bot.url}/")

    browser.find_element(By.ID, "organization").send_keys("acme-corp")
    browser.find_element(By.ID, "continue").click()
    # The intermediate page submits itself to GitHub's new-App page.
    wait.until(shows.presence_of_element_located((By.ID, "app-name")))
    assert browser.current_url.startswith(f"{sim.url}/organizations/acme-corp/settings/apps/new?state=")
    assert browser.find_element(By.ID, "app-name").text == "flux-review"
    assert browser.find_element(By.ID, "owner").text == "acme-corp"
    posted = sim.posted[-1]
    assert posted["problems"] == [] and posted["manifest"]["hook_attributes"]["url"] == f"{bot.url}/webhook"

    browser.find_element(By.ID, "create").click()
    install = wait.until(shows.presence_of_element_located((By.ID, "install")))
    assert browser.current_url.startswith(f"{bot.url}/setup/callback?code=")
    created = sim.apps[-1]
    assert install.get_attribute("href") == f"{sim.url}/apps/flux-review/installations/new"
    page = browser.page_source
    assert "flux-review is registered" in page and str(created.app_id) in page
    for secret in (created.webhook_secret, created.answer["client_secret"], "PRIVATE KEY"):
        assert secret not in page
    install.click()
    title = wait.until(shows.presence_of_element_located((By.ID, "install-title")))
    assert title.text == "Install flux-review"

    # The same process, without a restart: webhooks signed with the new secret are accepted...
    secret = created.webhook_secret.encode()
    event = payloads.installation("created", 31, "acme-corp", ["acme-corp/fleet"])
    assert deliver(bot.url, "installation", event, secret).status_code == 202
    assert deliver(bot.url, "installation", event, b"an old secret").status_code == 401
    pull = payloads.pull_request("opened", "acme-corp/fleet", 1, uuid.uuid4().hex + "0" * 8, installation_id=31)
    answer = deliver(bot.url, "pull_request", pull, secret)
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    # ...and the workers started then act as the new App: GitHub receives a JWT signed with its new key.
    wait_until(lambda: any(r["installation"] == 31 for r in sim.token_requests), PAGE_TIMEOUT,
               what="an installation token request from the workers")
    assert {r["app_id"] for r in sim.token_requests if r["installation"] == 31} == {created.app_id}
    assert requests.get(f"{bot.url}/healthz", timeout=10).json() == {"status": "ok", "mode": "embedded"}

    data_dir: Path = bot.data_dir  # type: ignore[attr-defined]
    record = data_dir / "github-app.json"
    key = data_dir / f"github-app-{created.app_id}.private-key.pem"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(record.stat().st_mode) == 0o600 and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text() == created.pem
    assert created.webhook_secret in record.read_text() and "PRIVATE KEY" not in record.read_text()
    log = bot.log()
    assert created.webhook_secret not in log and "PRIVATE KEY" not in log
