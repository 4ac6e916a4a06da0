"""Scripted runs as lists of events, for the renderer tests: no engine, no model, exact figures."""

from __future__ import annotations

from typing import Any

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

REPLY = (
    "I will split the log and ask about each part.\n"
    "```repl\n"
    "parts = [context[i:i + 1000] for i in range(0, len(context), 1000)]\n"
    "answers = llm_query_batched(parts)\n"
    "print(answers)\n"
    "```"
)


def started(call_id: str, parent: str, depth: int = 1, kind: str = "llm", prompt: str = "") -> SubcallStarted:
    return SubcallStarted(
        call_id=call_id, parent=parent, depth=depth, model="mini", kind=kind, prompt=prompt or f"part {call_id}"
    )


def finished(
    call_id: str, parent: str, depth: int = 1, kind: str = "llm", tokens: tuple[int, int] = (30, 3),
    error: str | None = None, cost: float | None = None, cached: bool = False,
) -> SubcallFinished:
    return SubcallFinished(
        call_id=call_id, parent=parent, depth=depth, model="mini", kind=kind, response=f"answer {call_id}",
        input_tokens=tokens[0], output_tokens=tokens[1], seconds=0.4, error=error, cost=cost, cached=cached,
    )


def run_started(max_iterations: int = 20) -> RunStarted:
    return RunStarted(
        run_id="r1", question="which ids failed?", model="big", sub_model="mini",
        max_iterations=max_iterations, documents=3, chars=12_345,
    )


def result(status: str = "confirmed", tokens: int = 300, cost: float | None = 0.0123) -> dict[str, Any]:
    return {
        "status": status, "iterations": 1, "subcalls": 5, "duration": 3.2,
        "usage": {"total_tokens": tokens, "cost": cost},
    }


def opening(reply: str = REPLY, cost: float | None = 0.001) -> list[Event]:
    """Run started, iteration 1, the reply streamed in pieces, then whole."""
    events: list[Event] = [run_started(), IterationStarted(iteration=1, max_iterations=20)]
    events += [RootDelta(iteration=1, text=reply[i : i + 10]) for i in range(0, len(reply), 10)]
    events.append(RootMessage(iteration=1, text=reply, input_tokens=100, output_tokens=20, seconds=1.0, cost=cost))
    events.append(CodeStarted(step_id="1.1", iteration=1, code="parts = ..."))
    return events


def fan_out() -> list[Event]:
    """Step 1.1 makes three llm_query calls (one fails) and one rlm_query child with its own step."""
    events = [started(f"s{i}", "1.1") for i in (1, 2, 3)]
    events += [
        started("s4", "1.1", kind="rlm", prompt="a deeper question"),
        CodeStarted(step_id="s4/1.1", iteration=1, code="x = 1", depth=1, parent="s4"),
        started("s5", "s4/1.1", depth=2, prompt="inner question"),
        finished("s5", "s4/1.1", depth=2, tokens=(10, 5)),
        CodeFinished(
            step_id="s4/1.1", iteration=1, code="x = 1", output="inner out", error=None, seconds=0.3, final=True,
            depth=1, parent="s4",
        ),
        finished("s4", "1.1", kind="rlm", tokens=(50, 5)),
    ]
    events += [finished(f"s{i}", "1.1", error="HTTP 500" if i == 2 else None) for i in (1, 2, 3)]
    return events


def closing(status: str = "confirmed") -> list[Event]:
    return [
        CodeFinished(
            step_id="1.1", iteration=1, code="parts = ...", output="['answer s1', 'ERROR', 'answer s3']\nsecond line",
            error=None, seconds=1.5, final=False,
        ),
        Notice(level="warning", message="rate limited; retrying in 2s"),
        RunFinished(result=result(status)),
    ]


def whole_run() -> list[Event]:
    return opening() + fan_out() + closing()
