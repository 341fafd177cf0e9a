"""The URL a local checkout was cloned from, so the command line knows which sources are this repository.

The App knows the repository it reviews; `flux-review check` and `review` on a
clone read the same fact from the clone's own configuration (``remote "origin"``
in ``.git/config``), read as a file: nothing is run. Without it a source of this
repository under another name would be taken for another repository, and the
terminal's verdict would differ from the App's.
"""

from __future__ import annotations

import dataclasses
import os
import re

from checks.config import Config

_SECTION = re.compile(r'^\s*\[\s*remote\s+"origin"\s*\]\s*$')
_URL = re.compile(r"^\s*url\s*=\s*(?P<url>[^\s;#]+)")
_MAX_DEPTH = 40
_MAX_BYTES = 256 * 1024


def origin_url(folder: str) -> str | None:
    """``remote.origin.url`` of the checkout holding ``folder`` (a worktree's too), or None."""
    git_dir = _git_dir(os.path.abspath(folder))
    if git_dir is None:
        return None
    config = os.path.join(_common_dir(git_dir), "config")
    try:
        with open(config, encoding="utf-8", errors="replace") as handle:
            lines = handle.read(_MAX_BYTES).splitlines()
    except OSError:
        return None
    inside = False
    for line in lines:
        if line.lstrip().startswith("["):
            inside = bool(_SECTION.match(line))
        elif inside and (match := _URL.match(line)):
            return match["url"]
    return None


def with_origin(config: Config, folder: str) -> Config:
    """``config`` with ``repository.url`` defaulted to the checkout's origin (the configuration's own wins)."""
    if config.repository_url is not None:
        return config
    url = origin_url(folder)
    return dataclasses.replace(config, repository_url=url) if url else config


def _git_dir(folder: str) -> str | None:
    for _ in range(_MAX_DEPTH):
        candidate = os.path.join(folder, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):  # a worktree or submodule: "gitdir: <path>"
            try:
                with open(candidate, encoding="utf-8", errors="replace") as handle:
                    first = handle.readline(4096).strip()
            except OSError:
                return None
            if first.startswith("gitdir:"):
                return os.path.normpath(os.path.join(folder, first[len("gitdir:"):].strip()))
            return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return None


def _common_dir(git_dir: str) -> str:
    """A worktree's git directory names the shared one (where ``config`` lives) in ``commondir``."""
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8", errors="replace") as handle:
            return os.path.normpath(os.path.join(git_dir, handle.readline(4096).strip()))
    except OSError:
        return git_dir
