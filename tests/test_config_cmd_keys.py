"""A stored key is sent only to the base URL it was configured for, also across profiles."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from rlm_cli.cli import app
from rlm_cli.settings import resolve_settings

runner = CliRunner()
KEY = "sk-test-0123456789abcdefWXYZ"
LOCAL = "http://127.0.0.1:11434/v1"


def rlm(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_a_stored_key_is_bound_to_the_base_url_of_its_table() -> None:
    rlm("config", "set", "--profile", "local", "base_url", LOCAL)
    rlm("config", "set", "--profile", "local", "api_key", "local-key")
    assert resolve_settings(profile="local").api_key == "local-key"
    assert resolve_settings().api_key is None


def test_changing_base_url_later_does_not_redirect_the_stored_key() -> None:
    rlm("config", "set", "api_key", KEY)
    result = rlm("config", "set", "base_url", LOCAL)
    assert result.exit_code == 0
    assert "will not be sent to" in result.stderr
    settings = resolve_settings()
    assert settings.base_url == LOCAL and settings.api_key is None


def test_a_top_level_key_is_not_sent_to_a_profiles_other_endpoint(isolated_env: Path) -> None:
    isolated_env.mkdir()
    (isolated_env / "config.toml").write_text(
        f'api_key = "{KEY}"\n\n[profiles.local]\nbase_url = "{LOCAL}"\n'
    )
    assert resolve_settings().api_key == KEY
    assert resolve_settings(profile="local").api_key is None


def test_a_profile_key_in_config_toml_follows_the_inherited_base_url(isolated_env: Path) -> None:
    isolated_env.mkdir()
    (isolated_env / "config.toml").write_text(
        'base_url = "https://example.test/v1"\n\n[profiles.cheap]\napi_key = "cheap-key"\nmodel = "small"\n'
    )
    settings = resolve_settings(profile="cheap")
    assert settings.api_key == "cheap-key"
    assert settings.sources["api_key"] == f"file {isolated_env / 'config.toml'} [profiles.cheap]"


def test_the_api_key_from_the_environment_beats_a_stored_one(monkeypatch) -> None:
    rlm("config", "set", "api_key", KEY)
    monkeypatch.setenv("RLM_API_KEY", "env-key")
    assert resolve_settings().api_key == "env-key"
