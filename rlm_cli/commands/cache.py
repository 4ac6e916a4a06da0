"""`rlm cache stats|clear`: look at and empty the sub-call cache."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from rlm_cli.commands._shared import note, sub_app, user_errors

app = sub_app(
    "cache",
    "The sub-call cache: identical llm_query calls are answered from disk (rlm ask --no-cache skips it).",
)


def _when(stamp: float | None) -> str:
    return "-" if stamp is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


@app.command("stats")
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Where the cache is, how many answers it holds, how often they were reused, its size on disk."""
    from rlm_cli.ingest.sizes import format_size  # inside: importing rlm_cli.ingest at start-up costs ~15 ms
    from rlm_cli.models.cache import SubcallCache, default_path

    with user_errors():
        path = default_path()
        if not path.exists():
            data = {"path": str(path), "entries": 0, "hits": 0, "bytes": 0, "oldest": None, "newest": None}
        else:
            store = SubcallCache(path)
            try:
                data = store.stats().to_dict()
            finally:
                store.close()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"path     {data['path']}")
    typer.echo(f"entries  {data['entries']:,}")
    typer.echo(f"hits     {data['hits']:,}")
    typer.echo(f"size     {format_size(data['bytes'])}")
    typer.echo(f"oldest   {_when(data['oldest'])}")
    typer.echo(f"newest   {_when(data['newest'])}")


@app.command("clear")
def clear() -> None:
    """Remove every cached answer."""
    from rlm_cli.models.cache import SubcallCache, default_path

    with user_errors():
        path = default_path()
        if not path.exists():
            note("the sub-call cache is already empty")
            return
        store = SubcallCache(path)
        try:
            removed = store.clear()
        finally:
            store.close()
    note(f"removed {removed:,} cached sub-call answer(s) from {path}")
