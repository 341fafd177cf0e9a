"""The App's stored credentials: owner-only files written atomically, and the environment always first."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from bot_support.keys import key_pair

from bot import credentials
from bot.credentials import Credentials, StoredCredentialsError
from bot.settings import NotRegistered, Settings, SettingsError

SECRET = "stored webhook secret"


def registered(app_id: str = "77", **fields: str) -> Credentials:
    values = {"slug": "flux-review-acme", "client_id": "Iv1.abc123", "owner": "acme",
              "html_url": "https://github.com/apps/flux-review-acme", "github_url": "https://github.com",
              "api_url": "https://api.github.com", **fields}
    return Credentials(app_id=app_id, private_key=key_pair()[0], webhook_secret=SECRET, **values)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_saved_credentials_load_back_from_owner_only_files(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # a permissive umask must not leak into the files
    try:
        record = credentials.save(tmp_path / "data", registered())
    finally:
        os.umask(previous)
    folder = tmp_path / "data"
    assert mode(folder) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == ["github-app-77.private-key.pem", "github-app.json"]
    assert all(mode(p) == 0o600 for p in folder.iterdir())
    assert "PRIVATE KEY" not in record.read_text()  # the key lives in its own file
    assert credentials.load(folder) == registered()


def test_an_existing_folder_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    credentials.save(folder, registered())
    assert mode(folder) == 0o700


def test_a_failed_write_leaves_the_previous_record_whole_and_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials.save(tmp_path, registered("77"))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_replace = os.replace

    def fail_on_the_record(source: str, target: str | Path) -> None:
        if Path(target).name == credentials.RECORD_NAME:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", fail_on_the_record)
    with pytest.raises(OSError, match="No space"):
        credentials.save(tmp_path, registered("78"))
    monkeypatch.undo()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert credentials.load(tmp_path) == registered("77")  # the record still names App 77 and its key
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in before} == before


def test_a_first_save_cut_short_before_the_record_leaves_nothing_registered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda s, t: real_replace(s, t) if not str(t).endswith(".json")
                        else (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        credentials.save(tmp_path, registered())
    monkeypatch.undo()
    assert credentials.load(tmp_path) is None


def test_nothing_stored_is_none_and_a_damaged_record_says_which_file(tmp_path: Path) -> None:
    assert credentials.load(tmp_path) is None
    record = tmp_path / credentials.RECORD_NAME
    record.write_text("{not json")
    with pytest.raises(StoredCredentialsError, match=r"github-app\.json is not JSON"):
        credentials.load(tmp_path)
    credentials.save(tmp_path, registered())
    data = json.loads(record.read_text())
    for key_file in ("../../etc/passwd", "/etc/passwd", "other.pem"):
        record.write_text(json.dumps({**data, "private_key_file": key_file}))
        with pytest.raises(StoredCredentialsError, match="does not name the App's key file"):
            credentials.load(tmp_path)
    record.write_text(json.dumps(data))
    (tmp_path / data["private_key_file"]).write_text("not a key")
    with pytest.raises(StoredCredentialsError, match="not a readable PEM key") as caught:
        credentials.load(tmp_path)
    assert SECRET not in str(caught.value)


def test_githubs_conversion_answer_becomes_credentials() -> None:
    answer = {"id": 91, "slug": "flux-review-acme", "pem": key_pair()[0], "webhook_secret": "w", "client_id": "Iv1.x",
              "client_secret": "never kept", "html_url": "https://github.com/apps/flux-review-acme",
              "owner": {"login": "acme", "id": 3}}
    found = Credentials.from_conversion(answer, "https://github.com", "https://api.github.com")
    assert (found.app_id, found.slug, found.owner, found.client_id) == ("91", "flux-review-acme", "acme", "Iv1.x")
    assert "never kept" not in repr(found) and "PRIVATE" not in repr(found) and "'w'" not in repr(found)
    with pytest.raises(StoredCredentialsError, match="private key"):
        Credentials.from_conversion({**answer, "pem": None}, "https://github.com", "https://api.github.com")
    with pytest.raises(StoredCredentialsError, match="App id"):
        Credentials.from_conversion({**answer, "id": "x"}, "https://github.com", "https://api.github.com")


# -- which credentials the settings use --------------------------------------------------------------------


def test_stored_credentials_are_used_when_the_environment_sets_none(tmp_path: Path) -> None:
    credentials.save(tmp_path, registered(api_url="https://ghe.example.com/api/v3",
                                          github_url="https://ghe.example.com"))
    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "APP_ID": "  "})  # blank counts as unset
    assert (settings.app_id, settings.webhook_secret, settings.private_key) == ("77", SECRET.encode(), key_pair()[0])
    assert (settings.api_url, settings.github_url) == ("https://ghe.example.com/api/v3", "https://ghe.example.com")
    assert settings.registered
    # The environment's GitHub still wins over the one the App was registered on.
    assert Settings.from_env({"DATA_DIR": str(tmp_path), "GITHUB_API_URL": "http://127.0.0.1:9"}).api_url == \
        "http://127.0.0.1:9"


def test_environment_credentials_win_over_stored_ones(tmp_path: Path) -> None:
    credentials.save(tmp_path, registered())
    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "APP_ID": "5", "PRIVATE_KEY": key_pair()[0],
                                  "WEBHOOK_SECRET": "from the environment"})
    assert (settings.app_id, settings.webhook_secret) == ("5", b"from the environment")


@pytest.mark.parametrize("partial", [
    {"APP_ID": "5"},
    {"WEBHOOK_SECRET": "s"},
    {"PRIVATE_KEY_PATH": "/nonexistent/key.pem"},
    {"APP_ID": "5", "WEBHOOK_SECRET": "s"},
])
def test_part_of_the_credentials_in_the_environment_is_refused_even_with_stored_ones(
        tmp_path: Path, partial: dict[str, str]) -> None:
    credentials.save(tmp_path, registered())
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"DATA_DIR": str(tmp_path), **partial})
    assert not isinstance(caught.value, NotRegistered)
    assert str(caught.value).split(" ")[0] in {"APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH:", "WEBHOOK_SECRET"}


def test_no_credentials_anywhere_is_not_registered_and_setup_settings_have_none(tmp_path: Path) -> None:
    with pytest.raises(NotRegistered, match="APP_ID, PRIVATE_KEY"):
        Settings.from_env({"DATA_DIR": str(tmp_path)})
    setup = Settings.from_env({"DATA_DIR": str(tmp_path), "PORT": "3100", "GITHUB_URL": "https://ghe.example.com/"},
                              setup=True)
    assert not setup.registered and setup.private_key == "" and setup.webhook_secret == b""
    assert (setup.port, setup.github_url, setup.api_url) == (3100, "https://ghe.example.com",
                                                             "https://ghe.example.com/api/v3")
    with pytest.raises(SettingsError, match="GITHUB_URL"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "GITHUB_URL": "ghe.example.com"}, setup=True)


def test_unusable_stored_credentials_stop_the_start_with_the_file_named(tmp_path: Path) -> None:
    (tmp_path / credentials.RECORD_NAME).write_text("[]")
    with pytest.raises(SettingsError, match=r"DATA_DIR: .*github-app\.json is not a JSON object"):
        Settings.from_env({"DATA_DIR": str(tmp_path)})
