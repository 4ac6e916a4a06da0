"""`rlm logs` and `rlm show`: list the runs kept on disk, replay one in the terminal or as HTML."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from rlm_cli.commands._shared import note, user_errors


def _when(ts: Any) -> str:
    if not isinstance(ts, int | float):
        return "?"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _cost(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def _tokens(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def logs(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as one JSON array.")] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", metavar="N", min=1, help="Show only the N newest runs.")
    ] = None,
) -> None:
    """List past runs, newest first: id, when, status, tokens, cost, duration, question."""
    from rlm_cli import trace
    from rlm_cli.render.plain import one_line
    from rlm_cli.render.safe_text import safe

    runs = trace.list_runs()[:limit] if limit else trace.list_runs()
    if as_json:
        sys.stdout.write(json.dumps([r.to_dict() for r in runs], ensure_ascii=False, indent=2) + "\n")
        return
    if not runs:
        note(f"no runs logged yet (logs live in {trace.runs_dir()})")
        return
    rows = [
        (r.run_id, _when(r.started), r.status, _tokens(r.tokens), _cost(r.cost), _secs(r.duration), r.question)
        for r in runs
    ]
    head = ("ID", "WHEN", "STATUS", "TOKENS", "COST", "TIME", "QUESTION")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(6)]
    room = max(20, shutil.get_terminal_size((120, 24)).columns - sum(widths) - 12)
    for row in [head, *rows]:
        cells = [
            row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2]),
            row[3].rjust(widths[3]), row[4].rjust(widths[4]), row[5].rjust(widths[5]),
            one_line(row[6], room),
        ]
        sys.stdout.write(safe("  ".join(cells)) + "\n")


def replay(log: Any, console: Any, verbosity: int = 1) -> None:
    """The run drawn as the live view drew it (the same tree), then its error or its answer."""
    from rich.text import Text

    from rlm_cli import trace
    from rlm_cli.render.safe_text import safe
    from rlm_cli.render.tree import render_run

    console.print(render_run(log.events(), verbosity=verbosity))
    result = log.result
    if result is None:
        if log.status == trace.RUNNING:
            console.print(Text("rlm: running: the run has not finished yet; this is its log so far", style="bold cyan"))
        else:
            console.print(Text("rlm: incomplete: the log ends before the run finished", style="bold yellow"))
        return
    if result.get("error"):
        status = safe(str(result.get("status", "error")))
        console.print(Text(f"rlm: {status}: {safe(str(result['error']))}", style="bold red"))
    if result.get("answer") is not None:
        console.print(Text("answer", style="bold"))
        console.print(Text(safe(str(result["answer"]).rstrip("\n"))))


def show(
    ref: Annotated[
        str, typer.Argument(metavar="[ID|last]", help="A run id, a unique prefix of one, or 'last'.")
    ] = "last",
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="PATH", help="Write the run as one self-contained HTML file instead."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show full code, outputs and sub-calls.")] = False,
) -> None:
    """Replay a past run: its steps, code, outputs and sub-calls (`--html PATH` writes a report)."""
    from rlm_cli import trace

    with user_errors():
        log = trace.load(trace.resolve(ref))
        if html is not None:
            trace.write_html(html, log.records, log.inputs)
            note(f"wrote {html}")
            return
        from rich.console import Console

        replay(log, Console(highlight=False), verbosity=2 if verbose else 1)
