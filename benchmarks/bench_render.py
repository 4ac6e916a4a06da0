"""The live view must not slow a run: what drawing 1,000 sub-calls costs.

Two measurements, each the median of REPEATS:
1. Events alone: one step whose 1,000 sub-calls start and finish (2,000 events, sent from 16
   threads like the sub-call pool does) pushed through each renderer. The live view draws on a
   terminal console (forced, written to /dev/null) with its refresh thread running, as on a real
   terminal; the plain and --jsonl renderers write to /dev/null.
2. The whole engine: a root turn that makes 1,000 llm_query calls (concurrency 16) against the
   loopback test server, then FINAL; wall time with no renderer vs with the live view. The
   difference is what the live view adds to a real run.

    python benchmarks/bench_render.py
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_openai import FakeOpenAI, scripted  # noqa: E402
from rich.console import Console  # noqa: E402

from rlm_cli.corpus import Corpus, Part  # noqa: E402
from rlm_cli.engine.loop import run  # noqa: E402
from rlm_cli.events import (  # noqa: E402
    CodeFinished,
    CodeStarted,
    Emit,
    Event,
    IterationStarted,
    RootMessage,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
    discard,
)
from rlm_cli.render.jsonl import JsonlRenderer  # noqa: E402
from rlm_cli.render.live import LiveRenderer  # noqa: E402
from rlm_cli.render.plain import PlainRenderer  # noqa: E402
from rlm_cli.settings import resolve_settings  # noqa: E402

CALLS = 1_000
THREADS = 16
REPEATS = 5


def terminal_console(sink: object) -> Console:
    return Console(file=sink, force_terminal=True, width=120, height=40, color_system="truecolor")


def call_events(first: int, count: int) -> list[Event]:
    events: list[Event] = []
    for i in range(first, first + count):
        events.append(
            SubcallStarted(call_id=f"s{i}", parent="1.1", depth=1, model="mini", kind="llm", prompt=f"part {i}")
        )
        events.append(
            SubcallFinished(
                call_id=f"s{i}", parent="1.1", depth=1, model="mini", kind="llm", response=f"answer {i}",
                input_tokens=300, output_tokens=20, seconds=0.1,
            )
        )
    return events


def push(emit: Emit) -> float:
    """Seconds to deliver one run with CALLS sub-calls to `emit`, calls sent from THREADS threads."""
    head: list[Event] = [
        RunStarted(run_id="b", question="q", model="big", sub_model="mini", max_iterations=20, documents=1, chars=1),
        IterationStarted(iteration=1, max_iterations=20),
        RootMessage(iteration=1, text="```repl\nllm_query_batched(parts)\n```", input_tokens=1, output_tokens=1,
                    seconds=0.1),
        CodeStarted(step_id="1.1", iteration=1, code="llm_query_batched(parts)"),
    ]
    share = CALLS // THREADS
    batches = [call_events(1 + t * share, share if t < THREADS - 1 else CALLS - t * share) for t in range(THREADS)]
    tail: list[Event] = [
        CodeFinished(step_id="1.1", iteration=1, code="", output="done", error=None, seconds=1.0, final=True),
        RunFinished(result={"status": "confirmed", "iterations": 1, "subcalls": CALLS, "duration": 1.0,
                            "usage": {"total_tokens": 320 * CALLS, "cost": None}}),
    ]
    started = time.perf_counter()
    for event in head:
        emit(event)
    threads = [threading.Thread(target=lambda b=b: [emit(e) for e in b]) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for event in tail:
        emit(event)
    return time.perf_counter() - started


def events_alone(sink: object) -> dict[str, float]:
    def live() -> float:
        with LiveRenderer(terminal_console(sink)) as renderer:
            return push(renderer)

    makers: dict[str, Callable[[], float]] = {
        "none (discard)": lambda: push(discard),
        "live view": live,
        "plain lines": lambda: push(PlainRenderer(sink, 1)),  # type: ignore[arg-type]
        "--jsonl": lambda: push(JsonlRenderer(sink)),  # type: ignore[arg-type]
    }
    return {name: statistics.median(make() for _ in range(REPEATS)) for name, make in makers.items()}


def one_frame(sink: object) -> float:
    """Seconds to draw the live region once while a step has CALLS sub-calls (half still running)."""
    console = terminal_console(sink)
    renderer = LiveRenderer(console)
    events = call_events(1, CALLS)
    for event in [
        RunStarted(run_id="b", question="q", model="big", sub_model="mini", max_iterations=20, documents=1, chars=1),
        IterationStarted(iteration=1, max_iterations=20),
        CodeStarted(step_id="1.1", iteration=1, code="x"),
        *events[0::2],
        *events[1::2][: CALLS // 2],
    ]:
        renderer(event)
    frames = 50
    started = time.perf_counter()
    for _ in range(frames):
        console.print(renderer.live_view())
    return (time.perf_counter() - started) / frames


def whole_engine(sink: object) -> dict[str, float]:
    code = f"```repl\nout = llm_query_batched([f'part {{i}}' for i in range({CALLS})])\nFINAL(str(len(out)))\n```"
    corpus = Corpus.from_parts([Part("doc.txt", "text", 5, "hello")])
    times: dict[str, list[float]] = {"none (discard)": [], "live view": []}
    for _ in range(REPEATS):
        for name in times:
            with FakeOpenAI(scripted([code], sub=lambda p: "ok")) as server:
                os.environ["RLM_BASE_URL"] = server.url
                settings = resolve_settings(
                    {"model": "bench", "concurrency": THREADS, "cache": False, "log": False}, env=os.environ
                )
                started = time.perf_counter()
                if name == "live view":
                    with LiveRenderer(terminal_console(sink)) as renderer:
                        result = run("q", corpus, settings, renderer)
                else:
                    result = run("q", corpus, settings, discard)
                times[name].append(time.perf_counter() - started)
                assert result.answer == str(CALLS), result
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    with open(os.devnull, "w", encoding="utf-8") as sink:
        alone = events_alone(sink)
        print(f"1. {CALLS:,} sub-calls ({2 * CALLS:,} events from {THREADS} threads), median of {REPEATS}:")
        for name, seconds in alone.items():
            print(f"   {name:<16} {seconds:7.3f} s")
        frame = one_frame(sink)
        print(f"   one frame of the live region with {CALLS:,} calls in the step: {frame * 1000:.1f} ms "
              f"(drawn 8 times a second: {frame * 8 * 100:.1f}% of one core)")
        engine = whole_engine(sink)
        print(f"2. the engine, {CALLS:,} llm_query calls at concurrency {THREADS}, median of {REPEATS}:")
        for name, seconds in engine.items():
            print(f"   {name:<16} {seconds:7.3f} s")
        added = engine["live view"] - engine["none (discard)"]
        print(f"   the live view adds {added:+.3f} s (target: under 1 s)")


if __name__ == "__main__":
    main()
