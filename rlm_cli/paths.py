"""Where config, cache and run logs live: platformdirs, or RLM_CONFIG_DIR for everything."""

from __future__ import annotations

import os
from pathlib import Path

APP = "rlm"


def _override() -> Path | None:
    value = os.environ.get("RLM_CONFIG_DIR")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """The directory holding config.toml (and keys set with `rlm config set`)."""
    override = _override()
    if override is not None:
        return override
    import platformdirs

    return Path(platformdirs.user_config_dir(APP))


def cache_dir() -> Path:
    """The sub-call cache and the fetched model list live here."""
    override = _override()
    if override is not None:
        return override / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP))


def data_dir() -> Path:
    """Run logs live here."""
    override = _override()
    if override is not None:
        return override / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP))


def config_file() -> Path:
    return config_dir() / "config.toml"
