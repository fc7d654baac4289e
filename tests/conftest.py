"""Fixtures every test folder shares: the project root, the example config, a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from project import EXAMPLE_CONFIG, ROOT
from typer.testing import CliRunner


@pytest.fixture
def root() -> Path:
    """The project's root folder."""
    return ROOT


@pytest.fixture
def example_config() -> Path:
    """The shipped example config, `config/repos.toml`."""
    return EXAMPLE_CONFIG


@pytest.fixture
def runner() -> CliRunner:
    """A typer runner for the CLI, in process."""
    return CliRunner()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long property, fuzz or size tests (deselect with -m 'not slow')")
