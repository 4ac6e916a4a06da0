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


# Typer's bash script, plus: the command line up to the cursor goes to rlm whole (bash splits
# `qwen2.5-coder:7b` at the colon), and the part before the last colon is trimmed from the replies,
# as bash-completion's __ltrim_colon_completions does, so Ollama-style model names complete.
BASH_TEMPLATE = r"""
%(complete_func)s() {
    local IFS=$'\n'
    local line="${COMP_LINE:0:COMP_POINT}"
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _RLM_COMPLETE_LINE="$line" \
                   %(autocomplete_var)s=complete_bash $1 ) )
    local cur="${line##*[[:space:]]}"
    if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
        local prefix="${cur%%"${cur##*:}"}" i
        for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]="${COMPREPLY[i]#"$prefix"}"; done
    fi
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s
"""

# Typer's zsh script, plus: autoloaded from $fpath as `_rlm`, the first TAB completes at once
# instead of only registering the function.
ZSH_TEMPLATE = r"""
#compdef %(prog_name)s

%(complete_func)s() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" %(autocomplete_var)s=complete_zsh %(prog_name)s)
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  %(complete_func)s "$@"
else
  compdef %(complete_func)s %(prog_name)s
fi
"""


def _register() -> None:
    """Typer's completion classes, with bash replaced by the colon-safe one and zsh by the fpath-ready one."""
    from typer._click.shell_completion import add_completion_class, split_arg_string
    from typer._completion_classes import BashComplete, ZshComplete
    from typer.completion import completion_init

    class FpathZshComplete(ZshComplete):
        source_template = ZSH_TEMPLATE

    class LineBashComplete(BashComplete):
        source_template = BASH_TEMPLATE

        def source(self) -> str:
            return self.source_template % self.source_vars()

        def get_completion_args(self) -> tuple[list[str], str]:
            line = os.environ.get("_RLM_COMPLETE_LINE")
            if line is None:
                return super().get_completion_args()
            words = split_arg_string(line)
            if not words or line[-1].isspace():
                return words[1:], ""
            return words[1:-1], words[-1]

    completion_init()
    add_completion_class(LineBashComplete, "bash")
    add_completion_class(FpathZshComplete, "zsh")


def script(shell: str) -> str:
    """The completion script for `shell`, exactly as `_RLM_COMPLETE=source_SHELL rlm` prints it."""
    from typer._click.shell_completion import get_completion_class

    _register()
    complete_class = get_completion_class(shell)
    assert complete_class is not None
    return complete_class(None, {}, PROG, COMPLETE_VAR).source().strip() + "\n"  # type: ignore[arg-type]


def enable_if_requested() -> None:
    """Register the completion protocol when a shell asks for completions.

    The app is built with add_completion=False (no --install-completion clutter in --help), which
    also leaves Typer's `complete_SHELL` handlers unregistered; this puts them back for TAB only.
    """
    if os.environ.get(COMPLETE_VAR):
        _register()


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
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.", show_default=False)],
) -> None:
    """Print the completion script for SHELL.

    bash: eval "$(rlm completions bash)" in ~/.bashrc. zsh: the same in ~/.zshrc, after compinit.
    fish: rlm completions fish > ~/.config/fish/completions/rlm.fish.
    """
    typer.echo(script(shell.value), nl=False)
