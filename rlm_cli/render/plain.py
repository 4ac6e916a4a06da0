"""Append-only progress lines for stderr when it is not a terminal (CI logs): no escape codes.

One line per thing worth seeing, written whole and flushed, so lines from concurrent sub-calls
never interleave and a log tailed while the job runs is always current.
"""

from __future__ import annotations

import threading
from typing import Any, TextIO

from rlm_cli.events import (
    CodeFinished,
    CodeStarted,
    Event,
    IterationStarted,
    Notice,
    RootMessage,
    RunFinished,
    RunStarted,
    SubcallFinished,
)
from rlm_cli.render.safe_text import safe
from rlm_cli.render.tree import RunTree, cost_text, count_calls, known_cost, one_line, seconds_text, split_fences

CALL_LINES_PER_STEP = 10
WIDTH = 100


def per_model_lines(result: dict[str, Any]) -> list[str]:
    """Usage and cost of each model the run called (closing summary)."""
    lines = []
    for model, used in (result.get("usage_by_model") or {}).items():
        cached = f" ({used.get('cached_calls', 0):,} cached)" if used.get("cached_calls") else ""
        cost = f", {cost_text(used['cost'])}" if used.get("cost") is not None else ""
        lines.append(
            f"rlm:   {safe(model)}: {used.get('calls', 0):,} call(s){cached}, {used.get('input_tokens', 0):,} in + "
            f"{used.get('output_tokens', 0):,} out tokens{cost}"
        )
    return lines


class PlainRenderer:
    """verbosity: 0 = only errors, 1 = one line per step and sub-call, 2 = full code and outputs.

    With verbosity 1 a step's first CALL_LINES_PER_STEP sub-calls get a line each (failures always
    do); the step's own line then sums up all of them.
    """

    def __init__(self, stream: TextIO, verbosity: int = 1) -> None:
        self.stream = stream
        self.verbosity = verbosity
        self.tree = RunTree()
        self._lock = threading.Lock()
        self._call_lines: dict[str | None, int] = {}

    def _write(self, lines: list[str]) -> None:
        """Each line made safe for a terminal (input, replies and REPL output can hold escapes)."""
        if lines:
            self.stream.write("".join(safe(line) + "\n" for line in lines))
            self.stream.flush()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.tree.apply(event)
            self._write(self._lines(event))

    def _lines(self, event: Event) -> list[str]:
        if isinstance(event, Notice):
            if event.level == "error":
                return [f"rlm: error: {event.message}"]
            return [f"rlm: {event.level}: {event.message}"] if self.verbosity > 0 or event.safety else []
        if self.verbosity <= 0:
            return []
        if isinstance(event, RunStarted):
            sub = f", sub-calls {event.sub_model}" if event.sub_model != event.model else ""
            return [f"rlm: model {event.model}{sub}"]
        if isinstance(event, IterationStarted) and event.depth == 0:
            return [f"[iteration {event.iteration}/{event.max_iterations}]"]
        if isinstance(event, RootMessage) and event.depth == 0:
            return self._message(event)
        if isinstance(event, CodeStarted) and self.verbosity >= 2:
            pad = "  " * (event.depth + 1)
            return [f"{pad}code {event.step_id}:", *(f"{pad}  | {ln}" for ln in event.code.rstrip().splitlines())]
        if isinstance(event, CodeFinished):
            return self._code_finished(event)
        if isinstance(event, SubcallFinished):
            return self._call(event)
        if isinstance(event, RunFinished):
            return [self._summary(event), *per_model_lines(event.result)]
        return []

    def _message(self, event: RootMessage) -> list[str]:
        prose = [body for kind, body in split_fences(event.text) if kind == "prose"]
        if not prose:
            return []
        if self.verbosity >= 2:
            return [f"  model: {ln}" for body in prose for ln in body.splitlines() if ln.strip()]
        return [f"  model: {one_line(prose[0], WIDTH)}"]

    def _code_finished(self, event: CodeFinished) -> list[str]:
        pad = "  " * (event.depth + 1)
        mark = "error" if event.error else ("final" if event.final else "ok")
        head = f"{pad}step {event.step_id} {mark} {event.seconds:.2f}s"
        step = self.tree.step(event.step_id, event.depth)
        if step is not None and step.calls:
            counts = count_calls(step.calls)
            failed = f" ({counts.errors} failed)" if counts.errors else ""
            head += f", {counts.done + counts.running} sub-call(s){failed}, {counts.tokens:,} tok"
        if self.verbosity >= 2:
            lines = [head + ":"]
            lines.extend(f"{pad}  > {ln}" for ln in (event.output.rstrip() or "(no output)").splitlines())
            if event.error:
                lines.extend(f"{pad}  ! {ln}" for ln in event.error.rstrip().splitlines())
            return lines
        detail = one_line(event.error.strip().splitlines()[-1], WIDTH) if event.error else one_line(event.output, WIDTH)
        return [head + (f": {detail}" if detail else "")]

    def _call(self, event: SubcallFinished) -> list[str]:
        shown = self._call_lines.get(event.parent, 0)
        self._call_lines[event.parent] = shown + 1
        if self.verbosity < 2 and not event.error and shown >= CALL_LINES_PER_STEP:
            if shown == CALL_LINES_PER_STEP:
                return [f"{'  ' * (event.depth + 1)}… more sub-calls of {event.parent}: the step's line sums them up"]
            return []
        tokens = event.input_tokens + event.output_tokens
        status = f"error: {one_line(event.error, 60)}" if event.error else f"{tokens:,} tok"
        extras = (" cached" if event.cached else "") + (f" {cost_text(event.cost)}" if event.cost else "")
        lines = [
            f"{'  ' * (event.depth + 1)}└ {event.kind}_query {event.call_id} {event.model}: "
            f"{status}{extras} {seconds_text(event.seconds)}"
        ]
        if self.verbosity >= 2 and not event.error:
            lines.extend(f"{'  ' * (event.depth + 2)}→ {ln}" for ln in event.response.rstrip().splitlines())
        return lines

    def _summary(self, event: RunFinished) -> str:
        r = event.result
        usage = r.get("usage") or {}
        known = known_cost(r)
        cost = f", {cost_text(known)}" if known is not None else ""
        return (
            f"rlm: {r.get('status')} after {r.get('iterations', 0)} iteration(s), "
            f"{r.get('subcalls', 0):,} sub-call(s), "
            f"{int(usage.get('total_tokens') or 0):,} tokens{cost}, {seconds_text(float(r.get('duration') or 0.0))}"
        )
