"""The live view for an interactive stderr: the run as it happens, drawn with Rich.

Finished blocks (each iteration's header, the root model's message, each step with its output and
sub-call tree) are printed above the live region, so they scroll like any output and a tall run is
never cut off. The live region holds only what is still moving: the reply streaming in (code
highlighted), the running step's sub-calls with spinners, and a footer with iteration, sub-calls,
tokens, cost and elapsed time.

Events arrive from the engine's thread and from sub-call threads; one lock guards the state. The
lock is never held while printing, and the printing thread never waits for it while holding Rich's
locks except in `live_view`, which Rich calls from its refresh thread; so the two cannot deadlock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from rlm_cli.events import Event, RunFinished, RunStarted
from rlm_cli.render.tree import (
    RunTree,
    cost_text,
    finished_blocks,
    message_view,
    run_header,
    seconds_text,
    step_view,
)

REFRESH_PER_SECOND = 8.0
LIVE_CALLS = 8


class LiveRenderer:
    """An Emit that draws a run on `console`; use as a context manager so the display always stops."""

    def __init__(
        self,
        console: Console,
        verbosity: int = 1,
        *,
        refresh_per_second: float = REFRESH_PER_SECOND,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.console = console
        self.verbosity = verbosity
        self.tree = RunTree()
        self._refresh_per_second = refresh_per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._closed = False

    def __enter__(self) -> LiveRenderer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self._live = Live(
            get_renderable=self.live_view,
            console=self.console,
            refresh_per_second=self._refresh_per_second,
            transient=True,
            redirect_stdout=False,
        )
        self._live.start()

    def close(self) -> None:
        """Stop drawing (idempotent); events that arrive later, from calls still in flight, are dropped."""
        self._closed = True
        live, self._live = self._live, None
        if live is not None:
            live.stop()

    def __call__(self, event: Event) -> None:
        if self._closed:
            return
        with self._lock:
            self.tree.apply(event)
            blocks = finished_blocks(self.tree, event, self.verbosity)
            if isinstance(event, RunStarted):
                blocks.insert(0, run_header(event))
        for block in blocks:
            self.console.print(block)
        if isinstance(event, RunFinished):
            self.close()

    def live_view(self) -> RenderableType:
        """The live region as it is now: streaming reply, running step, footer."""
        with self._lock:
            now = self._clock()
            tree = self.tree
            parts: list[RenderableType] = []
            if tree.draft:
                parts.append(message_view("".join(tree.draft), tail=max(3, self.console.height // 3)))
            if tree.current is not None:
                limit = max(2, min(LIVE_CALLS, self.console.height // 2 - 3))
                parts.append(step_view(tree.current, now=now, verbosity=1, limit=limit))
            parts.append(self.footer(now))
            return Group(*parts)

    def footer(self, now: float | None = None) -> Text:
        """iteration i/N ("starting" before the first) · sub-calls · tokens · cost (when known) · elapsed."""
        tree = self.tree
        now = self._clock() if now is None else now
        text = Text(no_wrap=True, overflow="ellipsis")
        if tree.iteration:
            text.append(f"iteration {tree.iteration}/{tree.max_iterations}", style="bold")
        else:
            text.append("starting", style="bold")
        text.append(f" · sub-calls {tree.calls_done:,} done", style="")
        if tree.calls_running:
            text.append(f", {tree.calls_running:,} running", style="cyan")
        text.append(f" · {tree.tokens:,} tokens")
        if tree.cost is not None:
            text.append(f" · {cost_text(tree.cost)}")
        if tree.started is not None:
            text.append(f" · {seconds_text(max(0.0, now - tree.started))}", style="dim")
        return text
