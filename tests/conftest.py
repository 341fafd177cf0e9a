"""Shared fixtures: small repositories written inline, turned into snapshots and models."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from checks.config import Config
from checks.repo import RepoModel, build_model
from checks.source import RepoSnapshot


def _files(files: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
    """Dedent text files so tests can indent their YAML with the code."""
    return {path: textwrap.dedent(text) if isinstance(text, str) else text for path, text in files.items()}


@pytest.fixture
def snapshot_of() -> Callable[..., RepoSnapshot]:
    """``snapshot_of({path: text})``: an in-memory snapshot (text is dedented)."""

    def make(files: Mapping[str, str | bytes]) -> RepoSnapshot:
        return RepoSnapshot.from_mapping(_files(files))

    return make


@pytest.fixture
def model_of() -> Callable[..., RepoModel]:
    """``model_of({path: text}, config=None)``: the repository model of an inline repository."""

    def make(files: Mapping[str, str | bytes], config: Config | None = None) -> RepoModel:
        return build_model(RepoSnapshot.from_mapping(_files(files)), config or Config())

    return make



def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say why the corpus tests were skipped, even under -q (they need ../shared/corpora beside the checkout)."""
    corpora = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
    if not corpora.is_dir():
        terminalreporter.write_line(f"corpora: {corpora} is absent, the corpus tests were skipped")
