"""Append-only progress lines for stderr when it is not a terminal (CI logs): no escape codes."""

from __future__ import annotations

from typing import TextIO

from rlm_cli.events import (
    CodeFinished,
    CodeStarted,
    Event,
    IterationStarted,
    Notice,
    RunFinished,
    SubcallFinished,
)


def one_line(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class PlainRenderer:
    """verbosity: 0 = only errors, 1 = one line per step and sub-call, 2 = full code and outputs."""

    def __init__(self, stream: TextIO, verbosity: int = 1) -> None:
        self.stream = stream
        self.verbosity = verbosity

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        if self.verbosity <= 0:
            if isinstance(event, Notice) and event.level == "error":
                self._line(f"rlm: {event.message}")
            return
        if isinstance(event, IterationStarted) and event.depth == 0:
            self._line(f"[iteration {event.iteration}/{event.max_iterations}]")
        elif isinstance(event, CodeStarted) and self.verbosity >= 2:
            self._line(f"  code {event.step_id}:")
            for line in event.code.rstrip().splitlines():
                self._line(f"    | {line}")
        elif isinstance(event, CodeFinished):
            self._code_finished(event)
        elif isinstance(event, SubcallFinished):
            status = f"error: {one_line(event.error, 60)}" if event.error else (
                f"{event.input_tokens}+{event.output_tokens} tok"
            )
            cached = " cached" if event.cached else ""
            self._line(
                f"    {'  ' * (event.depth - 1)}└ {event.kind}_query {event.call_id} {event.model}: "
                f"{status}{cached} {event.seconds:.1f}s"
            )
        elif isinstance(event, Notice):
            self._line(f"rlm: {event.level}: {event.message}")
        elif isinstance(event, RunFinished):
            r = event.result
            usage = r["usage"]
            self._line(
                f"rlm: {r['status']} after {r['iterations']} iteration(s), {r['subcalls']} sub-call(s), "
                f"{usage['total_tokens']:,} tokens, {r['duration']:.1f}s"
            )

    def _code_finished(self, event: CodeFinished) -> None:
        mark = "error" if event.error else ("final" if event.final else "ok")
        if self.verbosity >= 2:
            self._line(f"  → {mark} in {event.seconds:.2f}s")
            for line in (event.output.rstrip() or "(no output)").splitlines():
                self._line(f"    > {line}")
            if event.error:
                for line in event.error.splitlines():
                    self._line(f"    ! {line}")
            return
        detail = one_line(event.error.splitlines()[-1]) if event.error else one_line(event.output)
        self._line(f"  step {event.step_id} {mark} {event.seconds:.2f}s" + (f": {detail}" if detail else ""))
