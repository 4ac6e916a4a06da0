"""Shared fixtures: an isolated config dir and environment, and the loopback model server."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fake_openai import FakeOpenAI, Handler  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the developer's keys, config or endpoint."""
    for name in list(os.environ):
        if name.startswith("RLM_") or name.startswith("OPENAI_"):
            monkeypatch.delenv(name, raising=False)
    config = tmp_path / "rlm-config"
    monkeypatch.setenv("RLM_CONFIG_DIR", str(config))
    return config


@pytest.fixture
def serve() -> Iterator[object]:
    """`serve(handler)` starts a loopback OpenAI server and points RLM_BASE_URL at it."""
    servers: list[FakeOpenAI] = []
    mp = pytest.MonkeyPatch()

    def start(handler: Handler) -> FakeOpenAI:
        server = FakeOpenAI(handler).__enter__()
        servers.append(server)
        mp.setenv("RLM_BASE_URL", server.url)
        mp.setenv("RLM_MODEL", "test-model")
        mp.setenv("RLM_RETRIES", "1")
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)
    mp.undo()
