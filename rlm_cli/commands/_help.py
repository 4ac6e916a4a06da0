"""Help and usage lines that show the author's metavars, not Typer's internals (`{NAME}`, `<str>`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand


class ReadableArgument(TyperArgument):
    """An argument shown as its metavar alone: `NAME`, `[VALUE]`, `[PATH]... QUESTION`."""

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.metavar or (self.name or "").upper()
        if not self.required and not name.startswith("["):
            name = f"[{name}]"
        if self.nargs != 1 and "..." not in name:
            name += "..."
        return name


class ReadableCommand(TyperCommand):
    """A command whose arguments are ReadableArguments (Typer offers no argument class of its own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = ReadableArgument


class PromptStyle(StrEnum):
    """--prompt-style as a choice, so help lists it and TAB offers it (settings.PROMPT_STYLES)."""

    auto = "auto"
    compact = "compact"
    full = "full"
