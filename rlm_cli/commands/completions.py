"""`rlm completions SHELL` and the completers behind TAB.

The scripts are Typer's: each TAB runs `rlm` with `_RLM_COMPLETE=complete_SHELL`, and the CLI
answers from its own commands and options. Model names come from the list cached by `rlm doctor`
or `rlm models`; nothing on TAB touches the network. completions/ in the repo holds the generated
scripts; a test regenerates them and fails when they are stale.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

PROG = "rlm"
COMPLETE_VAR = "_RLM_COMPLETE"
SCRIPT_FILES = {"bash": "rlm.bash", "zsh": "_rlm", "fish": "rlm.fish"}


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def script(shell: str) -> str:
    """The completion script for `shell`, as shipped in completions/."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell) + "\n"


def enable_if_requested() -> None:
    """Register Typer's completion protocol when a shell asks for completions.

    The app is built with add_completion=False (no --install-completion clutter in --help), which
    also leaves Typer's `complete_SHELL` handlers unregistered; this puts them back for TAB only.
    """
    if os.environ.get(COMPLETE_VAR):
        from typer.completion import completion_init

        completion_init()


def complete_model(ctx: typer.Context, incomplete: str) -> list[str]:
    """Models cached for the endpoint this command line would use (never a network call)."""
    from rlm_cli.models.catalog import cached

    base_url = ctx.params.get("base_url")
    if not base_url:
        try:
            from rlm_cli.settings import resolve_settings

            base_url = resolve_settings(profile=ctx.params.get("profile")).base_url
        except Exception:  # noqa: BLE001 - a broken config must not break TAB
            base_url = None
    return [name for name in cached(base_url) if name.startswith(incomplete)]


def complete_profile(incomplete: str) -> list[str]:
    """Profile names from config.toml."""
    from rlm_cli.settings import read_config_file

    try:
        profiles = read_config_file().get("profiles", {})
    except Exception:  # noqa: BLE001 - a broken config must not break TAB
        return []
    return sorted(name for name in profiles if name.startswith(incomplete))


def complete_setting(incomplete: str) -> list[str]:
    from rlm_cli.settings import SETTING_NAMES

    return [name for name in SETTING_NAMES if name.startswith(incomplete)]


def completions(
    shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.", show_default=False)],
) -> None:
    """Print the completion script for SHELL.

    bash: eval "$(rlm completions bash)" in ~/.bashrc. zsh: rlm completions zsh > "${fpath[1]}/_rlm".
    fish: rlm completions fish > ~/.config/fish/completions/rlm.fish.
    """
    typer.echo(script(shell.value), nl=False)
