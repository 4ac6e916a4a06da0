"""What every command module needs: user errors as one stderr line and their exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from rlm_cli.errors import RlmError
from rlm_cli.render.safe_text import error_line


def sub_app(name: str, help_text: str) -> typer.Typer:
    """A command group (`rlm config ...`) built like every other: help on no arguments, Click's plain
    help (no Rich markup), no per-group completion commands."""
    return typer.Typer(name=name, help=help_text, no_args_is_help=True, add_completion=False, rich_markup_mode=None)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn an RlmError into `rlm: error: ...` on stderr and its documented exit code."""
    try:
        yield
    except RlmError as exc:
        sys.stderr.write(error_line(str(exc)))
        sys.stderr.flush()
        raise typer.Exit(int(exc.exit_code)) from None


def note(message: str) -> None:
    sys.stderr.write(f"rlm: {message}\n")
    sys.stderr.flush()
