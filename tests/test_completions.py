"""Completion scripts: shipped up to date, and asked for completions by real bash, zsh and fish."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlm_cli.cli import app
from rlm_cli.commands.completions import SCRIPT_FILES, script

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.mark.parametrize("shell", sorted(SCRIPT_FILES))
def test_the_shipped_script_matches_what_the_cli_generates(shell: str) -> None:
    shipped = ROOT / "completions" / SCRIPT_FILES[shell]
    assert shipped.read_text() == script(shell), (
        f"{shipped} is stale; regenerate it with: rlm completions {shell} > completions/{SCRIPT_FILES[shell]}"
    )


def test_completions_prints_the_script(shell: str = "bash") -> None:
    result = runner.invoke(app, ["completions", shell])
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "completions" / "rlm.bash").read_text()


def test_an_unsupported_shell_is_a_usage_error() -> None:
    result = runner.invoke(app, ["completions", "tcsh"])
    assert result.exit_code == 2


def test_help_has_no_completion_install_options() -> None:
    result = runner.invoke(app, ["--help"])
    assert "--install-completion" not in result.stdout and "completions" in result.stdout


@pytest.fixture
def shell_env(tmp_path: Path, isolated_env: Path) -> dict[str, str]:
    """PATH with an `rlm` that runs this checkout, and the isolated config dir."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "rlm"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m rlm_cli "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RLM_", "OPENAI_", "_RLM"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", RLM_CONFIG_DIR=str(isolated_env))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_shell(argv: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def needs(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed")
    return path


def cache_models(env: dict[str, str], models: list[str]) -> None:
    code = f"from rlm_cli.models import catalog; catalog.remember('https://api.openai.com/v1', {models!r})"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


BASH = """source completions/rlm.bash
ask() {  # what bash does on TAB: COMP_WORDS is split at word breaks, colons included
    COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
    read -ra COMP_WORDS <<< "${1//:/ : }"
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    if [[ "$1" == *" " ]]; then COMP_WORDS+=(""); COMP_CWORD=$(( COMP_CWORD + 1 )); fi
    _rlm_completion rlm; printf '%s\\n' "${COMPREPLY[@]}"
}
"""


def bash(lines: list[str], env: dict[str, str]) -> list[str]:
    program = BASH + "".join(f"ask {shlex.quote(line)}; echo --\n" for line in lines)
    out = run_shell([needs("bash"), "--norc", "--noprofile", "-c", program], env)
    return [" ".join(chunk.split()) for chunk in out.split("--\n")[:-1]]


def test_bash_completes_commands_and_options(shell_env: dict[str, str]) -> None:
    assert bash(["rlm con", "rlm ask --sub", "rlm config "], shell_env) == [
        "config", "--sub-model", "path show set unset init"
    ]


def test_bash_completes_model_names_from_the_cached_list(shell_env: dict[str, str]) -> None:
    cache_models(shell_env, ["gpt-4.1", "gpt-4.1-mini", "o3"])
    replies = bash(["rlm ask -m gpt", "rlm doctor --model ", "rlm bench --sub-model gpt-4.1-"], shell_env)
    assert replies == ["gpt-4.1 gpt-4.1-mini", "gpt-4.1 gpt-4.1-mini o3", "gpt-4.1-mini"]


def test_bash_completes_model_names_with_colons(shell_env: dict[str, str]) -> None:
    cache_models(shell_env, ["llama3.2:3b", "qwen2.5-coder:14b", "qwen2.5-coder:7b"])
    assert bash(["rlm ask -m qwen2.5-coder:", "rlm ask -m qwen2.5-coder:7"], shell_env) == ["14b 7b", "7b"]


def test_fish_completes_commands_with_their_help(shell_env: dict[str, str]) -> None:
    fish = needs("fish")
    program = "source completions/rlm.fish; complete -C 'rlm doc'"
    out = run_shell([fish, "--no-config", "-c", program], shell_env)
    assert out.startswith("doctor\tCheck config, key, endpoint")


def test_zsh_loads_the_script_and_offers_completions(shell_env: dict[str, str]) -> None:
    zsh = needs("zsh")
    program = (
        "autoload -Uz compinit; compinit -u -D; source completions/_rlm; print -r -- $_comps[rlm]; "
        "_arguments() { print -r -- $@ }; _files() { print -r -- FILES }; "
        "words=(rlm config s); CURRENT=3; _rlm_completion"
    )
    out = run_shell([zsh, "-f", "-c", program], shell_env).splitlines()
    assert out[0] == "_rlm_completion"
    assert out[1].startswith("*: :((") and '"show":' in out[1] and '"set":' in out[1]


def test_bash_completes_profile_and_setting_names(shell_env: dict[str, str], isolated_env: Path) -> None:
    isolated_env.mkdir()
    (isolated_env / "config.toml").write_text('[profiles.local]\nmodel = "m"\n\n[profiles.work]\nmodel = "n"\n')
    replies = bash(["rlm ask --profile ", "rlm config set max_it", "rlm bench --profile w"], shell_env)
    assert replies == ["local work", "max_iterations", "work"]


def test_zsh_autoloaded_from_fpath_completes_on_the_first_tab(shell_env: dict[str, str]) -> None:
    zsh = needs("zsh")
    program = (
        "fpath=(completions $fpath); autoload -Uz compinit; compinit -u -D; print -r -- $_comps[rlm]; "
        "_arguments() { print -r -- $@ }; _files() { print -r -- FILES }; "
        "words=(rlm doc); CURRENT=2; _rlm"
    )
    out = run_shell([zsh, "-f", "-c", program], shell_env).splitlines()
    assert out[0] == "_rlm"
    assert out[1].startswith('*: :(("doctor":"Check config, key, endpoint')
