"""The repository's flux-review configuration, read from its default branch.

``.github/flux-review.yml`` is read from the *default branch*, never from
the pull request: a change must not be able to relax the rules it is
reviewed by. When the repository has none, the owner's ``.github``
repository may hold one for the whole organisation; otherwise the
engine's defaults apply. The organisation's file (or its absence) is kept
for ``ORG_FILE_SECONDS`` per process: it changes rarely, and every review of
every repository without a file of its own would otherwise ask for it again.
A repository's own file is always read afresh.

A file may build on another with ``_extends``: ``other-repo`` (same owner,
its ``.github/flux-review.yml``), ``owner/repo`` or ``owner/repo:path``.
The base is read from its repository's default branch and the file's own
keys win over it, mapping by mapping (a list replaces the base's list).
Each file is validated on its own first, so an error names the file and
line it is on; a chain that comes back to a file it already read, or is
deeper than ``MAX_DEPTH``, is an error, never followed.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import yaml
from github import GithubException
from github.Repository import Repository

from checks.config import Config, ConfigError
from checks.engine import load_config_text
from checks.yaml_docs import YMap, YSeq, load_yaml

CONFIG_PATH = ".github/flux-review.yml"
MAX_CONFIG_BYTES = 1024 * 1024
MAX_DEPTH = 5
ORG_FILE_SECONDS = 300.0
_org_files: dict[str, tuple[float, str | None]] = {}
_org_lock = threading.Lock()
_TARGET = re.compile(r"(?:(?P<owner>[A-Za-z0-9-]+)/)?(?P<repo>[A-Za-z0-9._-]+)(?::(?P<path>[^\s:]+))?")


def load(repository: Callable[[str], Repository], full_name: str, default_branch: str) -> Config:
    """The effective configuration; ``ConfigError`` (naming file and line) when it is invalid.

    ``repository`` turns a full name into a (lazy) repository object; names
    are passed along so that no extra call is spent completing objects.
    """
    source = f"{full_name}:{CONFIG_PATH}"
    text = read_file(repository(full_name), source, CONFIG_PATH, default_branch or None)
    owner = full_name.split("/", 1)[0]
    organisation = f"{owner}/.github"
    if text is None and full_name.lower() != organisation.lower():
        source = f"{organisation}:{CONFIG_PATH}"
        text = _organisation_file(repository(organisation), source)
    if text is None:
        return Config()
    settings, bases = _settings(repository, source, text, [source.lower()])
    if not bases:
        return load_config_text(text, source)  # one file: errors keep its own line numbers
    settings.pop("_extends", None)
    return load_config_text(yaml.safe_dump(settings, sort_keys=False),
                            f"{source} (extending {', '.join(bases)})")


def with_own_url(config: Config, pull: Any) -> Config:
    """The configuration with ``repository.url`` defaulted to the repository under review.

    A source whose URL is this repository (a tenant's GitRepository made by a
    ResourceSet, say) then reads the snapshot instead of being unknown. The URL
    comes from the pull request already fetched: no request is spent on it.
    """
    if config.repository_url is not None:
        return config
    url = getattr(getattr(getattr(pull, "base", None), "repo", None), "html_url", None)
    return dataclasses.replace(config, repository_url=url) if isinstance(url, str) and url else config


def _organisation_file(repo: Repository, source: str, clock: Callable[[], float] = time.monotonic) -> str | None:
    """The organisation's file, from the cache while it is fresh (keyed by the repository's API address)."""
    key = repo.url.lower()  # a lazy repository's address: no request
    with _org_lock:
        cached = _org_files.get(key)
    if cached is not None and clock() < cached[0]:
        return cached[1]
    text = read_file(repo, source, CONFIG_PATH, None)
    with _org_lock:
        _org_files[key] = (clock() + ORG_FILE_SECONDS, text)
    return text


def forget_organisation_files() -> None:
    """Drop the cached organisation files (tests; an operator restarting does the same)."""
    with _org_lock:
        _org_files.clear()


def _settings(repository: Callable[[str], Repository], source: str, text: str,
              chain: list[str]) -> tuple[dict[str, Any], list[str]]:
    """A file's settings merged over those of the files it extends, and the names of those files."""
    config = load_config_text(text, source)  # validates this file alone: errors point at its lines
    own = _plain(text, source)
    if config.extends is None:
        return own, []
    target = extends_target(config.extends, source)
    key = target.lower()
    if key in chain:
        raise ConfigError(f"{source}: _extends loops back to {target} ({' -> '.join([*chain, key])})")
    if len(chain) > MAX_DEPTH:
        raise ConfigError(f"{source}: _extends chain deeper than {MAX_DEPTH} files ({' -> '.join(chain)})")
    full_name, path = target.split(":", 1)
    base_text = read_file(repository(full_name), target, path, None)
    if base_text is None:
        raise ConfigError(f"{source}: _extends {config.extends}: {target} does not exist "
                          "(or the App is not installed on that repository)")
    base, bases = _settings(repository, target, base_text, [*chain, key])
    return _merge(base, own), [target, *bases]


def extends_target(value: str, source: str) -> str:
    """``owner/repo:path`` for an ``_extends`` value; a bare repository name is the source's owner's."""
    match = _TARGET.fullmatch(value.strip())
    if match is None or ".." in value:
        raise ConfigError(f"{source}: _extends {value!r} is not a repository, owner/repository or "
                          "owner/repository:path")
    owner = match["owner"] or source.split("/", 1)[0]
    return f"{owner}/{match['repo']}:{match['path'] or CONFIG_PATH}"


def _plain(text: str, source: str) -> dict[str, Any]:
    """A validated file's settings as plain data (the bounded loader's result, without positions)."""
    loaded = load_yaml(source, text.encode())
    root = loaded.docs[0].root if loaded.docs else None
    return _unwrap(root) if isinstance(root, YMap) else {}


def _unwrap(value: Any) -> Any:
    if isinstance(value, YMap):
        return {str(k): _unwrap(v) for k, v in value.items()}
    if isinstance(value, YSeq):
        return [_unwrap(v) for v in value]
    return value


def _merge(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_file(repo: Repository, source: str, path: str, ref: str | None) -> str | None:
    """A text file's content at ``ref`` (the default branch when None); None when it does not exist."""
    try:
        content = repo.get_contents(path, ref=ref) if ref else repo.get_contents(path)
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise
    if isinstance(content, list):
        raise ConfigError(f"{source}: is a folder, expected a YAML file")
    if content.size and content.size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: {content.size:,} bytes, above the 1 MiB limit")
    try:
        return content.decoded_content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}:1: not UTF-8 text") from None
