"""Bad flags and arguments: one `rlm: error:` line naming the flag, exit 2; readable --help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_openai import scripted
from typer.testing import CliRunner

from rlm_cli.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def rlm(*args: str, input: str | None = "text\n"):
    return runner.invoke(app, list(args), input=input)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--base-url", "nonsense"), ("--prompt-style", "bogus"), ("--max-cost", "-1"), ("--timeout", "-5"),
        ("--request-timeout", "0"), ("--max-iterations", "0"), ("--sandbox", "maybe"), ("--concurrency", "0"),
        ("--max-iterations", "x"),
    ],
)
def test_a_bad_flag_value_is_a_usage_error_naming_the_flag(flag: str, value: str) -> None:
    result = rlm("ask", flag, value, "q?")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"rlm: error: {flag} ")
    assert result.stderr.count("\n") == 1


def test_the_flag_error_says_what_is_wrong() -> None:
    assert rlm("ask", "--max-cost", "-1", "q?").stderr == "rlm: error: --max-cost must be positive, got -1.0\n"
    assert rlm("ask", "--sandbox", "maybe", "q?").stderr == (
        "rlm: error: --sandbox must be one of on, off, got 'maybe' (see rlm ask --help)\n"
    )
    assert rlm("ask", "--concurrency", "0", "q?").stderr == (
        "rlm: error: --concurrency must be at least 1 (see rlm ask --help)\n"
    )


def test_the_same_bad_value_from_the_environment_stays_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLM_MAX_COST", "-1")
    monkeypatch.setenv("RLM_BASE_URL", "http://127.0.0.1:9/v1")
    result = rlm("ask", "q?")
    assert result.exit_code == 4
    assert "max_cost must be positive" in result.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["completions"], "rlm: error: missing SHELL (one of bash, zsh, fish) (see rlm completions --help)"),
        (["completions", "tcsh"], "rlm: error: SHELL must be one of bash, zsh, fish, got 'tcsh' "
                                  "(see rlm completions --help)"),
        (["ask"], "rlm: error: missing QUESTION (see rlm ask --help)"),
        (["ask", "--verbos", "q?"], "rlm: error: no such option: --verbos (did you mean --verbose?) "
                                    "(see rlm ask --help)"),
        (["nosuch"], "rlm: error: no such command 'nosuch' (see rlm --help)"),
        (["ask", "-q", "-v", "q?"], "rlm: error: --quiet and --verbose cannot be used together"),
    ],
)
def test_usage_errors_are_one_line_with_a_pointer_to_help(args: list[str], line: str) -> None:
    result = rlm(*args)
    assert result.exit_code == 2
    assert result.stderr == line + "\n"
    assert result.stdout == ""


def test_the_console_script_reports_usage_errors_the_same_way() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "rlm_cli", "ask", "--max-iterations", "0", "q?"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "rlm: error: --max-iterations must be at least 1 (see rlm ask --help)\n"


def test_help_and_version_still_exit_zero() -> None:
    assert rlm("--version").exit_code == 0
    assert rlm("ask", "--help").exit_code == 0
    assert rlm("config", "set", "-h").exit_code == 0


@pytest.mark.parametrize(
    "command", [["ask"], ["bench"], ["doctor"], ["models"], ["show"], ["completions"], ["config", "set"],
                ["config", "unset"], ["config", "show"], ["logs"]],
)
def test_help_shows_readable_metavars_not_typer_internals(command: list[str]) -> None:
    short, long = rlm(*command, "-h"), rlm(*command, "--help")
    assert short.exit_code == 0 and short.stdout == long.stdout
    for internal in ("<str>", "<int", "<float", "<list", "{"):
        assert internal not in short.stdout, f"{internal} in rlm {' '.join(command)} --help"


def test_ask_help_names_the_values_and_lists_the_prompt_styles() -> None:
    text = rlm("ask", "--help").stdout
    assert "Usage: rlm ask [OPTIONS] [PATH]... QUESTION" in text
    for shown in ("--model MODEL", "--base-url URL", "--max-cost USD", "--timeout SECONDS", "--include GLOB",
                  "--max-file-size SIZE", "--profile NAME", "--prompt-style <auto|compact|full>"):
        assert shown in text


def test_tab_after_prompt_style_offers_the_styles() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RLM_", "_RLM"))}
    env.update(PYTHONPATH=str(ROOT), _RLM_COMPLETE="complete_bash", _RLM_COMPLETE_LINE="rlm ask --prompt-style ")
    done = subprocess.run([sys.executable, "-m", "rlm_cli"], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.split() == ["auto", "compact", "full"]


def test_quiet_still_shows_the_sandbox_off_warning(serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rlm_cli.repl.host._REPORTED", set())
    serve(scripted(['```repl\nFINAL("done")\n```']))
    doc = tmp_path / "doc.txt"
    doc.write_text("text")
    result = rlm("ask", "-q", "--sandbox", "off", "--no-log", str(doc), "q?")
    assert result.exit_code == 0, result.output
    assert result.stdout == "done\n"
    assert "rlm: warning: --sandbox off: model-written code runs with your full permissions" in result.stderr


def test_a_key_given_inline_is_stored_with_a_warning() -> None:
    result = rlm("config", "set", "api_key", "sk-inline-0123456789")
    assert result.exit_code == 0
    assert "shell history" in result.stderr


def test_a_key_read_from_stdin_is_stored_without_a_warning() -> None:
    from rlm_cli.settings import resolve_settings

    result = rlm("config", "set", "api_key", "-", input="sk-piped-0123456789\n")
    assert result.exit_code == 0
    assert "warning" not in result.stderr
    assert resolve_settings().api_key == "sk-piped-0123456789"


def test_config_set_errors_have_a_single_prefix() -> None:
    result = rlm("config", "set", "max_iterations", "x")
    assert result.exit_code == 2
    assert result.stderr == "rlm: error: max_iterations must be int, got 'x'\n"
