"""Settings precedence and the rule that a key only goes to the endpoint it was configured for."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_cli.errors import ConfigError
from rlm_cli.settings import NO_KEY, OPENAI_BASE_URL, require_key, resolve_settings


def write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_flags_beat_env_beat_file_beat_defaults(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "config.toml", 'model = "file-model"\nconcurrency = 3\nmax_iterations = 7\n')
    env = {"RLM_MODEL": "env-model", "RLM_CONCURRENCY": "5"}
    s = resolve_settings({"model": "flag-model"}, env=env, config_path=cfg)
    assert (s.model, s.concurrency, s.max_iterations, s.retries) == ("flag-model", 5, 7, 3)
    assert s.sources["model"] == "flag"
    assert s.sources["concurrency"] == "env RLM_CONCURRENCY"
    assert s.sources["max_iterations"].startswith("file ")
    assert s.sources["retries"] == "default"


def test_a_profile_overrides_the_top_level_of_the_file(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "config.toml",
        'model = "gpt"\n[profiles.local]\nbase_url = "http://127.0.0.1:8080/v1"\nmodel = "qwen"\n',
    )
    s = resolve_settings({}, env={}, config_path=cfg, profile="local")
    assert (s.model, s.base_url) == ("qwen", "http://127.0.0.1:8080/v1")


def test_openai_key_is_not_sent_to_a_custom_base_url(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": "sk-secret", "RLM_BASE_URL": "http://example.test/v1"}
    s = resolve_settings({}, env=env, config_path=tmp_path / "none.toml")
    assert s.api_key is None
    assert require_key(s) == NO_KEY


def test_openai_key_goes_to_openai(tmp_path: Path) -> None:
    s = resolve_settings({}, env={"OPENAI_API_KEY": "sk-secret"}, config_path=tmp_path / "none.toml")
    assert s.base_url == OPENAI_BASE_URL and s.api_key == "sk-secret"


def test_a_file_key_goes_only_to_the_base_url_beside_it(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "config.toml", 'base_url = "https://a.test/v1"\napi_key = "k-a"\n')
    assert resolve_settings({}, env={}, config_path=cfg).api_key == "k-a"
    other = resolve_settings({"base_url": "https://b.test/v1"}, env={}, config_path=cfg)
    assert other.api_key is None


def test_rlm_api_key_is_sent_to_any_configured_endpoint(tmp_path: Path) -> None:
    env = {"RLM_API_KEY": "k", "RLM_BASE_URL": "http://example.test/v1"}
    assert resolve_settings({}, env=env, config_path=tmp_path / "none.toml").api_key == "k"


def test_no_key_for_openai_is_a_config_error(tmp_path: Path) -> None:
    s = resolve_settings({}, env={}, config_path=tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="no API key"):
        require_key(s)


def test_bad_values_are_config_errors_naming_their_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="RLM_CONCURRENCY: concurrency must be int"):
        resolve_settings({}, env={"RLM_CONCURRENCY": "many"}, config_path=tmp_path / "none.toml")
    cfg = write_config(tmp_path / "config.toml", "modell = 'x'\n")
    with pytest.raises(ConfigError, match="unknown setting 'modell'"):
        resolve_settings({}, env={}, config_path=cfg)
    broken = write_config(tmp_path / "broken.toml", "model = \n")
    with pytest.raises(ConfigError, match="cannot read config file"):
        resolve_settings({}, env={}, config_path=broken)


def test_public_dict_never_holds_the_key(tmp_path: Path) -> None:
    s = resolve_settings({"api_key": "sk-planted"}, env={}, config_path=tmp_path / "none.toml")
    assert "sk-planted" not in repr(s.public_dict()) and "sk-planted" not in repr(s)
