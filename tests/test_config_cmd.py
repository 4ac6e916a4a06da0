"""`rlm config path|show|set|unset|init` against an isolated RLM_CONFIG_DIR."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from rlm_cli.cli import app
from rlm_cli.settings import resolve_settings

runner = CliRunner()
KEY = "sk-test-0123456789abcdefWXYZ"


def rlm(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def read(path: Path) -> dict:
    return tomllib.loads(path.read_text())


def test_path_prints_the_config_file_in_the_config_dir(isolated_env: Path) -> None:
    result = rlm("config", "path")
    assert result.exit_code == 0
    assert result.stdout == f"{isolated_env / 'config.toml'}\n"


def test_init_writes_a_commented_template_that_sets_nothing(isolated_env: Path) -> None:
    result = rlm("config", "init")
    assert result.exit_code == 0, result.output
    text = (isolated_env / "config.toml").read_text()
    assert "# model = " in text and "# [profiles.local]" in text
    assert read(isolated_env / "config.toml") == {}


def test_init_refuses_to_replace_an_existing_file_without_force(isolated_env: Path) -> None:
    isolated_env.mkdir()
    (isolated_env / "config.toml").write_text('model = "mine"\n')
    result = rlm("config", "init")
    assert result.exit_code == 4
    assert result.stderr.startswith("rlm: error: ") and "--force" in result.stderr
    assert read(isolated_env / "config.toml") == {"model": "mine"}
    assert rlm("config", "init", "--force").exit_code == 0
    assert read(isolated_env / "config.toml") == {}


def test_set_writes_a_typed_value_that_ask_then_uses(isolated_env: Path) -> None:
    assert rlm("config", "set", "concurrency", "3").exit_code == 0
    assert read(isolated_env / "config.toml") == {"concurrency": 3}
    settings = resolve_settings()
    assert settings.concurrency == 3
    assert settings.sources["concurrency"] == f"file {isolated_env / 'config.toml'}"


def test_set_keeps_the_users_comments(isolated_env: Path) -> None:
    isolated_env.mkdir()
    (isolated_env / "config.toml").write_text('# my notes\nmodel = "a"  # the cheap one\n')
    assert rlm("config", "set", "model", "b").exit_code == 0
    assert (isolated_env / "config.toml").read_text() == '# my notes\nmodel = "b"  # the cheap one\n'


def test_set_with_profile_writes_a_profile_table(isolated_env: Path) -> None:
    assert rlm("config", "set", "--profile", "local", "base_url", "http://127.0.0.1:11434/v1/").exit_code == 0
    assert rlm("config", "set", "--profile", "local", "model", "qwen2.5-coder:7b").exit_code == 0
    assert read(isolated_env / "config.toml") == {
        "profiles": {"local": {"base_url": "http://127.0.0.1:11434/v1", "model": "qwen2.5-coder:7b"}}
    }
    assert resolve_settings().model == "gpt-4.1-mini"
    assert resolve_settings(profile="local").model == "qwen2.5-coder:7b"


def test_set_rejects_a_value_of_the_wrong_type_with_a_usage_error(isolated_env: Path) -> None:
    result = rlm("config", "set", "concurrency", "many")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "concurrency must be int" in result.stderr
    assert not (isolated_env / "config.toml").exists()


def test_set_rejects_a_value_ask_would_refuse(isolated_env: Path) -> None:
    result = rlm("config", "set", "base_url", "localhost:8080")
    assert result.exit_code == 2
    assert "base_url must be an http(s) URL" in result.stderr


def test_set_rejects_an_unknown_setting(isolated_env: Path) -> None:
    result = rlm("config", "set", "modle", "x")
    assert result.exit_code == 2
    assert "unknown setting 'modle'" in result.stderr and "model" in result.stderr


def test_unset_removes_the_setting_and_an_emptied_profile(isolated_env: Path) -> None:
    rlm("config", "set", "--profile", "local", "model", "m")
    rlm("config", "set", "retries", "1")
    result = rlm("config", "unset", "--profile", "local", "model")
    assert result.exit_code == 0
    assert read(isolated_env / "config.toml") == {"retries": 1}


def test_unset_of_a_missing_setting_changes_nothing_and_succeeds(isolated_env: Path) -> None:
    result = rlm("config", "unset", "model")
    assert result.exit_code == 0
    assert "nothing changed" in result.stderr


def test_show_lists_every_setting_with_its_source(isolated_env: Path, monkeypatch) -> None:
    rlm("config", "set", "model", "from-file")
    monkeypatch.setenv("RLM_CONCURRENCY", "5")
    result = rlm("config", "show")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert "from-file" in lines["model"] and f"file {isolated_env / 'config.toml'}" in lines["model"]
    assert lines["concurrency"].split()[1:] == ["5", "env", "RLM_CONCURRENCY"]
    assert lines["max_iterations"].split()[1:] == ["20", "default"]
    assert "(not set)" in lines["api_key"]


def test_show_json_reports_values_sources_and_profiles(isolated_env: Path, monkeypatch) -> None:
    rlm("config", "set", "--profile", "local", "model", "small")
    monkeypatch.setenv("RLM_PROFILE", "local")
    result = rlm("config", "show", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["profile"] == "local" and doc["profiles"] == ["local"]
    assert doc["settings"]["model"] == {
        "value": "small", "source": f"file {isolated_env / 'config.toml'} [profiles.local]"
    }
    assert doc["settings"]["max_iterations"] == {"value": 20, "source": "default"}


def test_show_masks_the_key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    result = rlm("config", "show", "--json")
    assert KEY not in result.stdout
    shown = json.loads(result.stdout)["settings"]["api_key"]
    assert shown == {"value": "****WXYZ", "source": "env OPENAI_API_KEY"}


def test_show_with_a_broken_config_file_is_a_config_error(isolated_env: Path) -> None:
    isolated_env.mkdir()
    (isolated_env / "config.toml").write_text("model = \n")
    result = rlm("config", "show")
    assert result.exit_code == 4
    assert result.stderr.startswith("rlm: error: cannot read config file")
    assert result.stderr.count("\n") == 1


def test_set_api_key_from_stdin_goes_to_a_private_keys_file(isolated_env: Path) -> None:
    result = rlm("config", "set", "api_key", input=KEY + "\n")
    assert result.exit_code == 0, result.output
    keys = isolated_env / "keys.toml"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert read(keys) == {"api_key": KEY, "base_url": "https://api.openai.com/v1"}
    assert not (isolated_env / "config.toml").exists()
    assert KEY not in result.output
    assert resolve_settings().api_key == KEY


def test_unset_api_key_removes_it_from_the_keys_file(isolated_env: Path) -> None:
    rlm("config", "set", "api_key", KEY)
    assert rlm("config", "unset", "api_key").exit_code == 0
    assert read(isolated_env / "keys.toml") == {}
    assert resolve_settings().api_key is None


def test_set_writes_through_a_symlinked_config_file(isolated_env: Path, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "rlm.toml").write_text('model = "a"\n')
    isolated_env.mkdir()
    (isolated_env / "config.toml").symlink_to(dotfiles / "rlm.toml")
    assert rlm("config", "set", "model", "b").exit_code == 0
    assert (isolated_env / "config.toml").is_symlink()
    assert read(dotfiles / "rlm.toml") == {"model": "b"}
