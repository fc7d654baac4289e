"""Repo config: `config/repos.toml` parsed into frozen pydantic models, with diagnostics."""

from __future__ import annotations

from planner.config.load import CONFIG_ENV_VAR, DEFAULT_CONFIG_RELPATH, find_config, load_config, parse_config
from planner.config.model import SURFACES, Config, RepoConfig, Surface, TrackerConfig

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_RELPATH",
    "SURFACES",
    "Config",
    "RepoConfig",
    "Surface",
    "TrackerConfig",
    "find_config",
    "load_config",
    "parse_config",
]
