"""A run drawn as a tree: the root model's messages, its code steps, the sub-calls each step made.

One drawing, two users. The live view (render/live.py) folds events into a `RunTree` as they arrive
and prints each finished block above its live region; `rlm show` replays a stored run with
`render_run(events)`, which folds the same events and returns the same blocks as one renderable:

    from rlm_cli.events import event_from_dict
    from rlm_cli.render.tree import render_run
    console.print(render_run([event_from_dict(d) for d in stored], verbosity=1))

`verbosity` 1 summarises (long code, outputs and sub-call lists are cut, with a count of what was
left out); 2 shows everything. Nothing here prints or reads a clock unless given one: a renderable
is built from events alone, so a replay draws what the live view drew.

How events hang together (the contract the engine keeps):
- A code step is `CodeStarted`/`CodeFinished` with `step_id` "iteration.block" (e.g. "2.1").
- `SubcallStarted.parent` is the step id that made the call, or, for calls made inside a recursive
  child (`rlm_query`), the child's own step id or its call id. A parent is looked up first as a
  call id, then as a step at `depth - 1` (root steps are depth 0, their sub-calls depth 1), then as
  any step with that id; a call whose parent is unknown is listed under "other sub-calls".
- A recursive child's own steps are `CodeStarted`/`CodeFinished` with `depth` > 0 and `parent` =
  the child's call id; they are drawn nested under that call. Child step ids may repeat the root's
  ("1.1"); a child may prefix them with its call id ("s3/1.1") to stay unambiguous.
- Tokens are counted from every `RootMessage` and from every sub-call that has no events of its
  own beneath it (a recursive child's total would count its inner calls twice). `RunFinished`
  replaces the running totals with the engine's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.spinner import Spinner
from rich.syntax import Syntax
from rich.text import Text
from rich.tree import Tree

from rlm_cli.events import (
    CodeFinished,
    CodeStarted,
    Event,
    IterationStarted,
    Notice,
    RootDelta,
    RootMessage,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)
from rlm_cli.render.safe_text import safe

SUMMARY_CALLS = 12
SUMMARY_OUTPUT_LINES = 4
SUMMARY_CODE_LINES = 30
SUMMARY_PROSE_LINES = 8
PREVIEW_CHARS = 60
FENCE = re.compile(r"^\s*```+\s*([\w+-]*)\s*$")


@dataclass
class CallNode:
    """One sub-call (llm_query) or recursive child (rlm_query); children hold a child's own work."""

    call_id: str
    parent: str | None
    depth: int
    model: str
    kind: str
    prompt: str
    started: float
    done: bool = False
    response: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    cached: bool = False
    error: str | None = None
    cost: float | None = None
    own_tokens: int = 0
    steps: list[StepNode] = field(default_factory=list)
    calls: list[CallNode] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def is_leaf(self) -> bool:
        return not self.steps and not self.calls


@dataclass
class StepNode:
    """One code block the model ran, and every call made while it ran."""

    step_id: str
    iteration: int
    depth: int
    parent: str | None
    code: str
    started: float
    done: bool = False
    output: str = ""
    error: str | None = None
    seconds: float = 0.0
    final: bool = False
    calls: list[CallNode] = field(default_factory=list)


@dataclass
class CallCounts:
    """Calls under a node, nested ones included. `tokens` is what they used: a finished recursive
    child's own total (which already holds its inner calls), a running one's replies so far."""

    done: int = 0
    running: int = 0
    errors: int = 0
    cached: int = 0
    tokens: int = 0

    def add(self, call: CallNode) -> None:
        if call.done:
            self.done += 1
            self.errors += int(call.error is not None)
            self.cached += int(call.cached)
        else:
            self.running += 1
        inner_tokens = self.tokens
        for step in call.steps:
            for inner in step.calls:
                self.add(inner)
        for inner in call.calls:
            self.add(inner)
        if call.done:
            self.tokens = inner_tokens + call.tokens
        else:
            self.tokens += call.own_tokens


def count_calls(calls: Iterable[CallNode]) -> CallCounts:
    counts = CallCounts()
    for call in calls:
        counts.add(call)
    return counts


class RunTree:
    """The state of a run folded from its events in order; `apply` is cheap (no drawing)."""

    def __init__(self) -> None:
        self.run: RunStarted | None = None
        self.iteration = 0
        self.max_iterations = 0
        self.steps: list[StepNode] = []
        self.other_calls: list[CallNode] = []
        self.draft: list[str] = []
        self.current: StepNode | None = None
        self.calls_done = 0
        self.calls_running = 0
        self.tokens = 0
        self.cost: float | None = None
        self.cost_unknown = False
        self.result: dict[str, Any] | None = None
        self.finished_at: float | None = None
        self._calls: dict[str, CallNode] = {}
        self._steps: dict[tuple[str, int], StepNode] = {}
        self._steps_by_id: dict[str, StepNode] = {}

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> RunTree:
        tree = cls()
        for event in events:
            tree.apply(event)
        return tree

    @property
    def started(self) -> float | None:
        return self.run.ts if self.run else None

    def step(self, step_id: str, depth: int = 0) -> StepNode | None:
        return self._steps.get((step_id, depth))

    def apply(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.run = event
            self.max_iterations = event.max_iterations
        elif isinstance(event, IterationStarted):
            if event.depth == 0:
                self.iteration = event.iteration
                self.max_iterations = event.max_iterations
                self.draft = []
        elif isinstance(event, RootDelta):
            if event.depth == 0:
                self.draft.append(event.text)
        elif isinstance(event, RootMessage):
            self.tokens += event.input_tokens + event.output_tokens
            self._add_cost(event.cost)
            if event.depth == 0:
                self.draft = []
            elif event.parent in self._calls:
                self._calls[event.parent].own_tokens += event.input_tokens + event.output_tokens
        elif isinstance(event, CodeStarted):
            self._code_started(event)
        elif isinstance(event, CodeFinished):
            self._code_finished(event)
        elif isinstance(event, SubcallStarted):
            self._call_started(event)
        elif isinstance(event, SubcallFinished):
            self._call_finished(event)
        elif isinstance(event, RunFinished):
            self._run_finished(event)

    def _add_cost(self, cost: float | None, *, cached: bool = False) -> None:
        """Sum what calls cost; one call with no known price makes the total unknown (None). A
        cached call is free whatever the model, so it says nothing about whether a price is known."""
        if cached:
            return
        if cost is None:
            self.cost_unknown = True
            self.cost = None
        elif not self.cost_unknown:
            self.cost = (self.cost or 0.0) + cost

    def _code_started(self, event: CodeStarted) -> None:
        step = StepNode(
            step_id=event.step_id, iteration=event.iteration, depth=event.depth, parent=event.parent,
            code=event.code, started=event.ts,
        )
        self._steps[(event.step_id, event.depth)] = step
        self._steps_by_id[event.step_id] = step
        if event.parent is not None:
            self._steps[(f"{event.parent}/{event.step_id}", event.depth)] = step
        owner = self._calls.get(event.parent) if event.depth > 0 and event.parent else None
        if owner is not None:
            owner.steps.append(step)
        elif event.depth == 0:
            self.steps.append(step)
            self.current = step

    def _code_finished(self, event: CodeFinished) -> None:
        step = self._steps.get((event.step_id, event.depth))
        if step is None:
            self._code_started(
                CodeStarted(
                    step_id=event.step_id, iteration=event.iteration, code=event.code, depth=event.depth,
                    parent=event.parent, ts=event.ts - event.seconds,
                )
            )
            step = self._steps[(event.step_id, event.depth)]
        step.done = True
        step.output = event.output
        step.error = event.error
        step.seconds = event.seconds
        step.final = event.final
        if step is self.current:
            self.current = None

    def _find_parent(self, parent: str | None, depth: int) -> list[CallNode]:
        if parent is None:
            return self.other_calls
        if parent in self._calls:
            return self._calls[parent].calls
        step = self._steps.get((parent, depth - 1)) or self._steps_by_id.get(parent)
        return step.calls if step is not None else self.other_calls

    def _call_started(self, event: SubcallStarted) -> None:
        call = CallNode(
            call_id=event.call_id, parent=event.parent, depth=event.depth, model=event.model,
            kind=event.kind, prompt=event.prompt, started=event.ts,
        )
        self._find_parent(event.parent, event.depth).append(call)
        self._calls[event.call_id] = call
        self.calls_running += 1

    def _call_finished(self, event: SubcallFinished) -> None:
        call = self._calls.get(event.call_id)
        if call is None or call.done:
            self._call_started(
                SubcallStarted(
                    call_id=event.call_id, parent=event.parent, depth=event.depth, model=event.model,
                    kind=event.kind, prompt="", ts=event.ts - event.seconds,
                )
            )
            call = self._calls[event.call_id]
        call.done = True
        call.response = event.response
        call.input_tokens = event.input_tokens
        call.output_tokens = event.output_tokens
        call.seconds = event.seconds
        call.cached = event.cached
        call.error = event.error
        call.cost = event.cost
        self.calls_running -= 1
        self.calls_done += 1
        if call.is_leaf:
            self.tokens += call.tokens
            self._add_cost(None if event.cached else event.cost, cached=event.cached)

    def _run_finished(self, event: RunFinished) -> None:
        self.result = event.result
        self.finished_at = event.ts
        usage = event.result.get("usage") or {}
        if isinstance(usage.get("total_tokens"), int):
            self.tokens = usage["total_tokens"]
        self.cost = known_cost(event.result)
        self.cost_unknown = self.cost is None


# -- drawing -----------------------------------------------------------------------------------


def seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def known_cost(result: dict[str, Any]) -> float | None:
    """A finished run's cost, or None unless every model it called has a known price (a run that
    called no model at all has no known cost either)."""
    usage = result.get("usage") or {}
    by_model = result.get("usage_by_model")
    if usage.get("cost") is None:
        return None
    if isinstance(by_model, dict) and (not by_model or any(u.get("cost") is None for u in by_model.values())):
        return None
    return float(usage["cost"])


def cost_text(cost: float | None) -> str:
    return "" if cost is None else f"${cost:.4f}" if cost < 1 else f"${cost:.2f}"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def one_line(text: str, width: int = PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _fit(text: Text) -> Text:
    """One screen line however narrow the terminal: cut with an ellipsis, never wrapped."""
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def call_label(call: CallNode, *, now: float | None = None, verbosity: int = 1) -> RenderableType:
    """One line for a call; a spinner while it runs when `now` is given (the live view)."""
    text = Text()
    text.append(f"{call.kind}_query ", style="bold" if call.kind != "llm" else "")
    text.append(f"{call.call_id} ", style="dim")
    text.append(safe(call.model), style="cyan")
    if call.done:
        if call.error:
            text.append(f"  error: {safe(one_line(call.error, 80))}", style="red")
        else:
            text.append(f"  {call.tokens:,} tok", style="green")
        if call.cached:
            text.append("  cached", style="magenta")
        if call.cost:
            text.append(f"  {cost_text(call.cost)}", style="dim")
        text.append(f"  {seconds_text(call.seconds)}", style="dim")
    elif now is not None:
        text.append(f"  {seconds_text(max(0.0, now - call.started))}", style="dim")
    else:
        text.append("  unfinished", style="yellow")
    if call.prompt:
        text.append(f"  {safe(one_line(call.prompt))}", style="dim italic")
    if not call.done and now is not None:
        return Spinner("dots", text=_fit(text), style="cyan")
    mark = Text("✗ ", style="red") if call.error else Text("✓ ", style="green") if call.done else Text("… ")
    label = _fit(mark + text)
    if verbosity >= 2 and call.done and call.response and not call.error:
        return Group(label, Text(f"→ {safe(call.response.rstrip())}", style="dim"))
    return label


def _pick(calls: list[CallNode], limit: int | None) -> tuple[list[CallNode], list[CallNode]]:
    """Which calls to draw when there are too many: running and failed first, then the earliest."""
    if limit is None or len(calls) <= limit:
        return calls, []
    chosen = {id(c) for c in calls if c.error or not c.done}
    if len(chosen) > limit:
        chosen = set(list(chosen)[:limit])
    for call in calls:
        if len(chosen) >= limit:
            break
        chosen.add(id(call))
    shown = [c for c in calls if id(c) in chosen]
    return shown, [c for c in calls if id(c) not in chosen]


def _more_line(hidden: list[CallNode]) -> Text:
    counts = count_calls(hidden)
    parts = [f"… {len(hidden):,} more sub-calls: {counts.done:,} done"]
    if counts.running:
        parts.append(f"{counts.running:,} running")
    if counts.errors:
        parts.append(f"{counts.errors:,} failed")
    parts.append(f"{counts.tokens:,} tok")
    return _fit(Text(", ".join(parts), style="dim"))


def _add_calls(
    node: Tree, calls: list[CallNode], *, now: float | None, verbosity: int, limit: int | None
) -> None:
    shown, hidden = _pick(calls, None if verbosity >= 2 else limit)
    for call in shown:
        branch = node.add(call_label(call, now=now, verbosity=verbosity))
        for step in call.steps:
            _add_calls(branch.add(step_label(step, now=now)), step.calls, now=now, verbosity=verbosity, limit=limit)
        _add_calls(branch, call.calls, now=now, verbosity=verbosity, limit=limit)
    if hidden:
        node.add(_more_line(hidden))


def step_label(step: StepNode, *, now: float | None = None) -> RenderableType:
    text = Text()
    if step.done:
        mark, style = ("★ ", "bold green") if step.final else ("✗ ", "red") if step.error else ("✓ ", "green")
        text.append(mark, style=style)
    text.append(f"step {safe(step.step_id)}", style="bold")
    if step.done:
        status = "final" if step.final else "error" if step.error else "ok"
        text.append(f"  {status}  {seconds_text(step.seconds)}", style="dim")
    elif now is not None:
        text.append(f"  running  {seconds_text(max(0.0, now - step.started))}", style="dim")
    else:
        text.append("  unfinished", style="yellow")
    counts = count_calls(step.calls)
    if step.calls:
        text.append(f"  · {plural(counts.done + counts.running, 'sub-call')}", style="dim")
        if counts.running:
            text.append(f", {counts.running:,} {'running' if now is not None else 'unfinished'}", style="cyan")
        if counts.errors:
            text.append(f", {counts.errors:,} failed", style="red")
        text.append(f", {counts.tokens:,} tok", style="dim")
    text = _fit(text)
    if not step.done and now is not None:
        return Spinner("dots", text=text, style="cyan")
    return text


def output_view(output: str, error: str | None, verbosity: int = 1) -> list[Text]:
    """What the step printed: all of it with verbosity 2, else its first lines and the error's last."""
    output, error = safe(output), safe(error) if error else error
    lines = output.rstrip("\n").splitlines()
    shown: list[Text] = []
    if verbosity >= 2:
        shown.extend(Text(f"> {line}", style="dim") for line in lines)
        if error:
            shown.extend(Text(f"! {line}", style="red") for line in error.rstrip().splitlines())
        return shown
    shown.extend(_fit(Text(f"> {line}", style="dim")) for line in lines[:SUMMARY_OUTPUT_LINES])
    if len(lines) > SUMMARY_OUTPUT_LINES:
        shown.append(Text(f"… {len(lines) - SUMMARY_OUTPUT_LINES:,} more lines (-v shows all)", style="dim italic"))
    if error:
        last = next((line for line in reversed(error.strip().splitlines()) if line.strip()), error)
        shown.append(_fit(Text(f"! {last.strip()}", style="red")))
    return shown


def step_view(
    step: StepNode, *, now: float | None = None, verbosity: int = 1, limit: int | None = SUMMARY_CALLS
) -> Tree:
    """A step as a tree: its header, its output, then its sub-calls (nested for recursive children)."""
    tree = Tree(step_label(step, now=now), guide_style="dim")
    if step.done:
        for line in output_view(step.output, step.error, verbosity):
            tree.add(line)
    _add_calls(tree, step.calls, now=now, verbosity=verbosity, limit=limit)
    return tree


def split_fences(text: str) -> list[tuple[str, str]]:
    """A reply as (kind, text) segments: ("prose", ...) and ("code", ...); an unclosed fence is code."""
    segments: list[tuple[str, str]] = []
    kind, buf = "prose", []
    for line in text.splitlines():
        if FENCE.match(line):
            if buf and "".join(buf).strip():
                segments.append((kind, "\n".join(buf)))
            kind, buf = ("code" if kind == "prose" else "prose"), []
            continue
        buf.append(line)
    if buf and "".join(buf).strip():
        segments.append((kind, "\n".join(buf)))
    return segments


def _cut(lines: list[str], limit: int | None) -> tuple[list[str], int]:
    if limit is None or len(lines) <= limit:
        return lines, 0
    return lines[:limit], len(lines) - limit


def message_view(text: str, verbosity: int = 1, *, tail: int | None = None) -> Group:
    """The root model's reply: prose as text, code syntax-highlighted. `tail` keeps only the last
    lines (the live view's streaming draft); otherwise verbosity 1 cuts long prose and code."""
    segments = split_fences(safe(text))
    if tail is not None:
        kept: list[tuple[str, str]] = []
        room = tail
        for kind, body in reversed(segments):
            lines = body.splitlines()[-room:]
            kept.insert(0, (kind, "\n".join(lines)))
            room -= len(lines)
            if room <= 0:
                break
        segments = kept
    parts: list[RenderableType] = []
    for kind, body in segments:
        lines = body.strip("\n").splitlines()
        if kind == "code":
            lines, cut = _cut(lines, None if verbosity >= 2 or tail else SUMMARY_CODE_LINES)
            parts.append(Syntax("\n".join(lines), "python", theme="ansi_dark", background_color="default"))
            label = "code lines"
        else:
            limit = None if verbosity >= 2 or tail else SUMMARY_PROSE_LINES
            lines, cut = _cut([ln for ln in lines if ln.strip()], limit)
            parts.append(Text("\n".join(lines), style="italic"))
            label = "lines"
        if cut:
            parts.append(Text(f"… {cut:,} more {label} (-v shows all)", style="dim italic"))
    return Group(*parts)


def iteration_rule(iteration: int, max_iterations: int) -> Rule:
    return Rule(Text(f"iteration {iteration}/{max_iterations}", style="bold"), style="dim", align="left")


def notice_view(event: Notice) -> Text:
    style = {"error": "bold red", "warning": "yellow"}.get(event.level, "dim")
    return Text(f"rlm: {event.level}: {safe(event.message)}", style=style)


def summary_view(result: dict[str, Any]) -> Text:
    """The closing line: how the run ended and what it used."""
    status = safe(str(result.get("status", "?")))
    style = {"confirmed": "bold green", "interrupted": "bold yellow", "error": "bold red"}.get(status, "bold yellow")
    usage = result.get("usage") or {}
    text = Text("rlm: ")
    text.append(status, style=style)
    text.append(
        f" after {result.get('iterations', 0)} iteration(s), {result.get('subcalls', 0):,} sub-call(s), "
        f"{int(usage.get('total_tokens') or 0):,} tokens"
    )
    cost = known_cost(result)
    if cost is not None:
        text.append(f", {cost_text(cost)}")
    text.append(f", {seconds_text(float(result.get('duration') or 0.0))}")
    from rlm_cli.render.plain import per_model_lines

    for line in per_model_lines(result):
        text.append("\n" + line, style="dim")
    return text


def run_header(event: RunStarted, *, question: bool = False) -> Text:
    text = Text("rlm · ", style="dim")
    text.append(safe(event.model), style="cyan")
    if event.sub_model != event.model:
        text.append(" · sub-calls ", style="dim")
        text.append(safe(event.sub_model), style="cyan")
    text.append(f" · {event.documents:,} document(s), {event.chars:,} chars", style="dim")
    if question:
        text.append("\n")
        text.append(safe(event.question), style="bold")
    return text


def finished_blocks(tree: RunTree, event: Event, verbosity: int = 1) -> list[RenderableType]:
    """What becomes permanent once `event` has been applied to `tree`: the blocks the live view
    prints above its live region, and the blocks a replay shows, in order. Only the root's own
    events (depth 0) make blocks; a recursive child's work appears inside its call's tree."""
    if isinstance(event, IterationStarted) and event.depth == 0:
        return [iteration_rule(event.iteration, event.max_iterations)]
    if isinstance(event, RootMessage) and event.depth == 0 and event.text.strip():
        return [message_view(event.text, verbosity)]
    if isinstance(event, CodeFinished) and event.depth == 0:
        step = tree.step(event.step_id)
        return [step_view(step, verbosity=verbosity)] if step is not None else []
    if isinstance(event, Notice):
        return [notice_view(event)]
    if isinstance(event, RunFinished):
        cut_short = [step_view(tree.current, verbosity=verbosity)] if tree.current is not None else []
        return [*cut_short, summary_view(event.result)]
    return []


def render_run(events: Iterable[Event], *, verbosity: int = 1) -> Group:
    """A whole run, replayed from its events: header and question, each iteration's message and
    steps with their sub-call trees, notices, and the closing line. A run cut short (interrupted,
    crashed) still draws: a step that never finished is marked "unfinished"."""
    tree = RunTree()
    blocks: list[RenderableType] = []
    for event in events:
        tree.apply(event)
        if isinstance(event, RunStarted):
            blocks.append(run_header(event, question=True))
        blocks.extend(finished_blocks(tree, event, verbosity))
    if tree.current is not None and tree.result is None:
        blocks.append(step_view(tree.current, verbosity=verbosity))
    if tree.other_calls:
        other = Tree(Text("other sub-calls", style="bold"), guide_style="dim")
        _add_calls(other, tree.other_calls, now=None, verbosity=verbosity, limit=SUMMARY_CALLS)
        blocks.append(other)
    return Group(*blocks)
