"""Options that several commands take the same way (which model, which endpoint, which profile),
declared once so their help, metavar and TAB completion stay in step."""

from __future__ import annotations

from typing import Annotated

import typer

from rlm_cli.commands._help import PromptStyle
from rlm_cli.commands.completions import complete_model, complete_profile

ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model", "-m", metavar="MODEL", help="Root model. [env: RLM_MODEL]", autocompletion=complete_model
    ),
]
SubModelOption = Annotated[
    str | None,
    typer.Option(
        "--sub-model", metavar="MODEL", help="Model for llm_query sub-calls (default --model).",
        autocompletion=complete_model,
    ),
]
BaseUrlOption = Annotated[
    str | None, typer.Option("--base-url", metavar="URL", help="OpenAI-compatible endpoint. [env: RLM_BASE_URL]")
]
RequestTimeoutOption = Annotated[
    float | None,
    typer.Option("--request-timeout", metavar="SECONDS", help="Seconds per model request (default 120)."),
]
PromptStyleOption = Annotated[
    PromptStyle | None,
    typer.Option(
        "--prompt-style", help="compact suits small local models; auto picks from the model name (default auto)."
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile", metavar="NAME", help="Config profile. [env: RLM_PROFILE]", autocompletion=complete_profile
    ),
]
