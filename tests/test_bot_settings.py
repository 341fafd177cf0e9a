"""Settings: Probot's names, our tunables, and a clear message naming each bad variable."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from bot_support.keys import key_pair
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bot.settings import DEFAULT_API_URL, Settings, SettingsError, tuning_variables


def env(**overrides: str) -> dict[str, str]:
    base = {"APP_ID": "123", "PRIVATE_KEY": key_pair()[0], "WEBHOOK_SECRET": "s3cret"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def error_for(**overrides: str) -> str:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env(**overrides))
    return str(caught.value)


def test_defaults_follow_probot() -> None:
    settings = Settings.from_env(env())
    assert settings.api_url == DEFAULT_API_URL
    assert settings.port == 3000
    assert settings.host == "0.0.0.0"
    assert settings.data_dir == Path(".flux-review")
    assert settings.redis_url is None and not settings.scale_out
    assert settings.log_level == logging.INFO
    assert settings.review_drafts is True
    assert settings.webhook_secret == b"s3cret"


def test_every_probot_variable_is_read(tmp_path: Path) -> None:
    settings = Settings.from_env(env(GITHUB_API_URL="https://ghe.example.com/api/v3/", DATA_DIR=str(tmp_path),
                                     REDIS_URL="redis://cache:6379/1", HOST="127.0.0.1", PORT="8080",
                                     LOG_LEVEL="warn", FLUX_REVIEW_DRAFTS="false"))
    assert settings.api_url == "https://ghe.example.com/api/v3"
    assert settings.data_dir == tmp_path
    assert settings.scale_out
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8080, logging.WARNING)
    assert settings.review_drafts is False


def test_private_key_from_a_file_or_with_escaped_newlines(tmp_path: Path) -> None:
    pem = key_pair()[0]
    path = tmp_path / "app.pem"
    path.write_text(pem)
    assert Settings.from_env(env(PRIVATE_KEY="", PRIVATE_KEY_PATH=str(path))).private_key == pem
    flattened = pem.strip().replace("\n", "\\n")
    assert Settings.from_env(env(PRIVATE_KEY=flattened)).private_key.startswith("-----BEGIN RSA PRIVATE KEY-----\n")


@pytest.mark.parametrize(("overrides", "named", "expected"), [
    ({"APP_ID": ""}, "APP_ID", "numeric App id"),
    ({"APP_ID": "abc"}, "APP_ID", "numeric App id"),
    ({"WEBHOOK_SECRET": ""}, "WEBHOOK_SECRET", "webhook secret"),
    ({"PRIVATE_KEY": ""}, "PRIVATE_KEY", "PEM private key"),
    ({"PRIVATE_KEY": "not a key"}, "PRIVATE_KEY", "not a readable PEM private key"),
    ({"PRIVATE_KEY": "", "PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "PRIVATE_KEY_PATH", "cannot read"),
    ({"GITHUB_API_URL": "ftp://example.com"}, "GITHUB_API_URL", "http(s) URL"),
    ({"REDIS_URL": "http://cache"}, "REDIS_URL", "redis://"),
    ({"PORT": "eighty"}, "PORT", "whole number"),
    ({"PORT": "70000"}, "PORT", "between 1 and 65535"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL", "one of"),
    ({"FLUX_REVIEW_DRAFTS": "maybe"}, "FLUX_REVIEW_DRAFTS", "true or false"),
    ({"FLUX_REVIEW_WORKERS": "0"}, "FLUX_REVIEW_WORKERS", "between 1 and 64"),
    ({"FLUX_REVIEW_GITHUB_MAX_WAIT": "soon"}, "FLUX_REVIEW_GITHUB_MAX_WAIT", "a number"),
])
def test_bad_values_name_the_variable_and_what_is_expected(overrides: dict[str, str], named: str,
                                                           expected: str) -> None:
    message = error_for(**overrides)
    assert message.startswith(named)
    assert expected in message


def test_messages_never_echo_secrets() -> None:
    assert "hunter2" not in error_for(PRIVATE_KEY="hunter2")
    assert "hunter2" not in error_for(REDIS_URL="http://user:hunter2@cache")


def test_only_rsa_keys_are_accepted() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    assert "RS256" in error_for(PRIVATE_KEY=ec_key)


def test_tunables_are_read_and_named() -> None:
    names = tuning_variables()
    assert names["review_delay"] == "FLUX_REVIEW_REVIEW_DELAY"
    settings = Settings.from_env(env(FLUX_REVIEW_REVIEW_DELAY="0.25", FLUX_REVIEW_JOB_ATTEMPTS="5"))
    assert settings.tuning.review_delay == 0.25
    assert settings.tuning.job_attempts == 5


def test_serve_options_override_the_environment() -> None:
    settings = Settings.from_env(env(HOST="0.0.0.0", PORT="3000")).with_address("127.0.0.1", 9999)
    assert (settings.host, settings.port) == ("127.0.0.1", 9999)
    assert Settings.from_env(env()).with_address(None, None).port == 3000


def test_repr_hides_secrets() -> None:
    text = repr(Settings.from_env(env(REDIS_URL="redis://:pw@cache/0")))
    assert "s3cret" not in text and "PRIVATE KEY" not in text and ":pw@" not in text
