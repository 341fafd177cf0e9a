"""Shared fixtures: small repositories written inline, turned into snapshots and models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from rule_support import snapshot

from checks.config import Config
from checks.repo import RepoModel, build_model
from checks.source import RepoSnapshot


@pytest.fixture
def snapshot_of() -> Callable[..., RepoSnapshot]:
    """``snapshot_of({path: text})``: an in-memory snapshot (text is dedented)."""
    return snapshot


@pytest.fixture
def model_of() -> Callable[..., RepoModel]:
    """``model_of({path: text}, config=None)``: the repository model of an inline repository."""

    def make(files: Mapping[str, str | bytes], config: Config | None = None) -> RepoModel:
        return build_model(snapshot(files), config or Config())

    return make



def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say why the corpus tests were skipped, even under -q (they need ../shared/corpora beside the checkout)."""
    corpora = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
    if not corpora.is_dir():
        terminalreporter.write_line(f"corpora: {corpora} is absent, the corpus tests were skipped")
