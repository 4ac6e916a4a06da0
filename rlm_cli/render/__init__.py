"""Renderers turn engine events into what a user sees; each is an Emit callable.

`renderer()` picks one the way users expect: --jsonl gives JSON lines on stdout; -q only errors;
an interactive stderr the Rich live view; anything else (CI logs, pipes, TERM=dumb) plain lines.
Colour is Rich's business: NO_COLOR, FORCE_COLOR, TERM and COLUMNS are honoured by leaving its
Console alone. Rich is imported only when the live view is chosen.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rlm_cli.events import Emit

JSONL, QUIET, LIVE, PLAIN = "jsonl", "quiet", "live", "plain"


def _interactive(stream: TextIO) -> bool:
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM", "").lower() not in ("dumb", "unknown")


def pick(jsonl: bool, verbosity: int, stderr: TextIO | None = None) -> str:
    """Which renderer: jsonl, quiet, live or plain (in that order of precedence)."""
    if jsonl:
        return JSONL
    if verbosity <= 0:
        return QUIET
    return LIVE if _interactive(stderr or sys.stderr) else PLAIN


@contextmanager
def renderer(
    jsonl: bool, verbosity: int, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> Iterator[Emit]:
    """The chosen renderer as an Emit, for the length of a run (the live display stops on exit)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    kind = pick(jsonl, verbosity, err)
    if kind == JSONL:
        from rlm_cli.render.jsonl import JsonlRenderer

        yield JsonlRenderer(out)
    elif kind == LIVE:
        from rich.console import Console

        from rlm_cli.render.live import LiveRenderer

        with LiveRenderer(Console(file=err), verbosity) as live:
            yield live
    else:
        from rlm_cli.render.plain import PlainRenderer

        yield PlainRenderer(err, verbosity)
