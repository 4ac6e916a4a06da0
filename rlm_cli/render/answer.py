"""The answer on stdout: Markdown for a person at a terminal, the exact text for a pipe."""

from __future__ import annotations

from typing import TextIO


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def print_answer(answer: str, stream: TextIO) -> None:
    """Write `answer` to `stream`: rendered with rich.markdown on a terminal (control characters
    made visible), verbatim otherwise."""
    if _is_terminal(stream):
        from rich.console import Console
        from rich.markdown import Markdown

        from rlm_cli.render.safe_text import safe

        Console(file=stream).print(Markdown(safe(answer)))
    else:
        stream.write(answer.rstrip("\n") + "\n")
    stream.flush()
