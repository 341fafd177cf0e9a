"""The repository's flux-review configuration, read from its default branch.

``.github/flux-review.yml`` is read from the *default branch*, never from
the pull request: a change must not be able to relax the rules it is
reviewed by. When the repository has none, the owner's ``.github``
repository may hold one for the whole organisation; otherwise the
engine's defaults apply.
"""

from __future__ import annotations

from collections.abc import Callable

from github import GithubException
from github.Repository import Repository

from checks.config import Config, ConfigError
from checks.engine import load_config_text

CONFIG_PATH = ".github/flux-review.yml"
MAX_CONFIG_BYTES = 1024 * 1024


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
        text = read_file(repository(organisation), source, CONFIG_PATH, None)
    if text is None:
        return Config()
    return load_config_text(text, source)


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
