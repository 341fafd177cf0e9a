"""Registering from the manifest: app.yml as the manifest, states that are single-use, the code exchange."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from bot_support.manifest_sim import MANIFEST_KEYS, ManifestSim

from bot.registration import (
    MAX_PENDING,
    PendingSetup,
    PendingSetups,
    RegistrationError,
    app_manifest,
    convert,
    github_url_from_form,
    install_url,
    new_app_url,
    organization_from_form,
    webhook_url_from_form,
)

APP_YML = Path(__file__).resolve().parents[1] / "bot" / "app.yml"


@pytest.fixture(scope="module")
def sim() -> Iterator[ManifestSim]:
    simulator = ManifestSim().start()
    yield simulator
    simulator.stop()


def test_the_manifest_is_app_yml_with_this_servers_addresses() -> None:
    source = yaml.safe_load(APP_YML.read_text())
    manifest = app_manifest("https://bot.example.com/webhook", "http://127.0.0.1:3000/setup/callback")
    assert set(manifest) <= MANIFEST_KEYS
    for key in ("name", "url", "description", "public", "default_events", "default_permissions"):
        assert manifest[key] == source[key]
    assert manifest["hook_attributes"] == {"url": "https://bot.example.com/webhook", "active": True}
    assert manifest["redirect_url"] == "http://127.0.0.1:3000/setup/callback"
    assert source["hook_attributes"]["url"] != manifest["hook_attributes"]["url"]  # app.yml itself is unchanged


def test_the_root_app_yml_is_the_packaged_one() -> None:
    root = Path(__file__).resolve().parents[1] / "app.yml"
    assert root.read_text() == APP_YML.read_text()


def test_githubs_pages_for_a_personal_account_an_organisation_and_an_enterprise_server() -> None:
    assert new_app_url("https://github.com", "", "s1") == "https://github.com/settings/apps/new?state=s1"
    assert new_app_url("https://github.com", "acme", "s/2") == \
        "https://github.com/organizations/acme/settings/apps/new?state=s%2F2"
    assert new_app_url("https://ghe.example.com", "", "s") == "https://ghe.example.com/settings/apps/new?state=s"
    assert install_url("https://github.com", "flux-review") == "https://github.com/apps/flux-review/installations/new"


@pytest.mark.parametrize("bad", ["acme corp", "-acme", "acme/../x", "a" * 40, "acme?x=1"])
def test_an_organisation_that_is_no_login_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="login"):
        organization_from_form(bad)


def test_form_values_are_cleaned() -> None:
    assert organization_from_form("  acme-corp ") == "acme-corp"
    assert organization_from_form("") == ""
    assert github_url_from_form("") == "https://github.com"
    assert github_url_from_form("https://ghe.example.com/") == "https://ghe.example.com"
    for bad in ("ghe.example.com", "https://ghe.example.com/some/path", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            github_url_from_form(bad)
    assert webhook_url_from_form(" https://bot.example.com/webhook ") == "https://bot.example.com/webhook"
    with pytest.raises(ValueError):
        webhook_url_from_form("bot.example.com/webhook")


def test_a_state_is_single_use_bound_to_its_browser_and_expires() -> None:
    now = [100.0]
    pending = PendingSetups(clock=lambda: now[0], lifetime=60)
    first = pending.begin("browser-a", "https://github.com", "https://api.github.com", "https://x/webhook")
    assert len(first.state) >= 40
    assert pending.finish(first.state, "browser-a") == first
    assert pending.finish(first.state, "browser-a") is None  # used
    other = pending.begin("browser-a", "https://github.com", "https://api.github.com", "https://x/webhook")
    assert pending.finish(other.state, "browser-b") is None  # another browser
    assert pending.finish(other.state, "browser-a") is None  # and it is spent by the attempt
    late = pending.begin("browser-a", "https://github.com", "https://api.github.com", "https://x/webhook")
    now[0] += 60
    assert pending.finish(late.state, "browser-a") is None  # expired
    assert pending.finish("never-issued", "browser-a") is None
    assert pending.finish(pending.begin("", "g", "a", "w").state, "") is None  # no cookie, no setup


def test_waiting_setups_are_bounded() -> None:
    pending = PendingSetups()
    states = [pending.begin("b", "g", "a", "w").state for _ in range(MAX_PENDING + 5)]
    assert len(pending) == MAX_PENDING
    assert pending.finish(states[0], "b") is None and pending.finish(states[-1], "b") is not None


def _setup_with_code(sim: ManifestSim) -> tuple[PendingSetup, str]:
    """A code as GitHub issues it: post the manifest, press create, read the redirect."""
    manifest = app_manifest("http://127.0.0.1:9/webhook", "http://127.0.0.1:9/setup/callback")
    page = requests.post(f"{sim.url}/settings/apps/new?state=st", data={"manifest": json.dumps(manifest)}, timeout=10)
    assert page.status_code == 200, page.text
    draft = re.search(r'name="draft" value="([0-9a-f]+)"', page.text)
    assert draft is not None
    back = requests.post(f"{sim.url}/settings/apps/new/create", data={"draft": draft.group(1)},
                         allow_redirects=False, timeout=10)
    code = re.search(r"code=([0-9a-f]+)", back.headers["Location"])
    assert code is not None and "state=st" in back.headers["Location"]
    return PendingSetup("st", "b", sim.url, sim.api_url, "http://127.0.0.1:9/webhook", 0.0), code.group(1)


def test_the_code_is_exchanged_once_for_the_apps_credentials(sim: ManifestSim) -> None:
    pending, code = _setup_with_code(sim)
    found = convert(pending, code, timeout=10)
    created = sim.apps[-1]
    assert (found.app_id, found.slug, found.webhook_secret) == (str(created.app_id), "flux-review",
                                                                created.webhook_secret)
    assert found.private_key == created.pem and found.github_url == sim.url and found.api_url == sim.api_url
    with pytest.raises(RegistrationError, match="HTTP 404"):
        convert(pending, code, timeout=10)  # a code works once


def test_a_malformed_code_or_an_unreachable_github_is_a_clear_error(sim: ManifestSim) -> None:
    pending = PendingSetup("st", "b", sim.url, sim.api_url, "w", 0.0)
    with pytest.raises(RegistrationError, match="missing or malformed"):
        convert(pending, "../../admin", timeout=10)
    closed = PendingSetup("st", "b", "http://127.0.0.1:9", "http://127.0.0.1:9/api/v3", "w", 0.0)
    with pytest.raises(RegistrationError, match=re.escape("Could not reach GitHub's API at http://127.0.0.1:9/api/v3")):
        convert(closed, "abc", timeout=5)
