"""Run history at scale: a 200-step run with 2,000 sub-calls, logged, listed and replayed.

The run is synthetic but shaped like a real one: each of 200 iterations has a root reply
(~1,000 chars), one code step (~300 chars of code, ~1,500 chars of output) and 10 sub-calls whose
prompts are a ~200-char instruction plus an 8,000-char chunk of input, answered in ~300 chars.
Every event goes through the real TraceStore (JSON-encoded, written and flushed one by one), with
20 streamed pieces per reply that the log must drop. Then it measures the log's size, `rlm show`
(load, rebuild the events, draw the tree into a 120-column console), the HTML report, and
`rlm logs` over 300 such logs, and the input manifest's hashing over 100 MB.
Targets: log under 5 MB, the whole `rlm show` command under 1 s. The work is single-threaded, so
on an idle machine its wall time is its CPU time; on a busy one the wall time swings with the load,
so PASS is judged on CPU time and both are printed.

Usage: python benchmarks/bench_history.py
"""

from __future__ import annotations

import io
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rlm_cli import trace
from rlm_cli.events import (
    CodeFinished,
    CodeStarted,
    Event,
    InputLoaded,
    IterationStarted,
    RootDelta,
    RootMessage,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)

STEPS = 200
CALLS_PER_STEP = 10
MAX_LOG_BYTES = 5_000_000
MAX_SHOW_SECONDS = 1.0
WORDS = "the of request id failed timeout upstream error retry user cache db query latency ok".split()


def prose(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:chars]


def synthetic_run(rng: random.Random) -> list[Event]:
    events: list[Event] = [
        InputLoaded(documents=40, chars=50_000_000, bytes=50_000_000),
        RunStarted(
            run_id="20261127-000000-bench0", question="which requests failed and why?", model="gpt-4.1-mini",
            sub_model="gpt-4.1-nano", max_iterations=STEPS, documents=40, chars=50_000_000,
            settings={"model": "gpt-4.1-mini", "max_iterations": STEPS},
        ),
    ]
    call = 0
    for it in range(1, STEPS + 1):
        events.append(IterationStarted(iteration=it, max_iterations=STEPS))
        code = f"chunks = [context[i:i+8000] for i in range({it} * 80000, {it + 1} * 80000, 8000)]\n" + (
            "answers = llm_query_batched([f'Which request ids failed in this log excerpt, and why? {c}' "
            "for c in chunks])\nprint(answers)\n"
        )
        reply = prose(rng, 700) + "\n```repl\n" + code + "```"
        events.extend(RootDelta(iteration=it, text=reply[i : i + 50]) for i in range(0, 1000, 50))
        events.append(RootMessage(iteration=it, text=reply, input_tokens=9000, output_tokens=250, seconds=2.1))
        step = f"{it}.1"
        events.append(CodeStarted(step_id=step, iteration=it, code=code))
        for _ in range(CALLS_PER_STEP):
            call += 1
            prompt = "Which request ids failed in this log excerpt, and why? Answer briefly.\n" + prose(rng, 8000)
            events.append(SubcallStarted(call_id=f"s{call}", parent=step, depth=1, model="gpt-4.1-nano",
                                         kind="llm", prompt=prompt))
            events.append(SubcallFinished(call_id=f"s{call}", parent=step, depth=1, model="gpt-4.1-nano",
                                          kind="llm", response=prose(rng, 300), input_tokens=2100,
                                          output_tokens=80, seconds=1.3))
        events.append(CodeFinished(step_id=step, iteration=it, code=code, output=prose(rng, 1500), error=None,
                                   seconds=3.2, final=False))
    events.append(RunFinished(result={
        "answer": prose(rng, 600), "status": "confirmed", "iterations": STEPS, "subcalls": call,
        "usage": {"total_tokens": STEPS * 9250 + call * 2180}, "duration": 1234.5,
    }))
    return events


def best_of(fn: Callable[[], object], runs: int = 3) -> tuple[float, float]:
    """The best wall time and the best CPU time of `runs` calls (CPU time shrugs off a busy machine)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def command_seconds(argv: list[str], env: dict[str, str], runs: int = 3) -> tuple[float, float]:
    """Best wall and CPU (user + system) time of a whole command (interpreter start, imports,
    work), stdout to /dev/null."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main() -> int:
    rng = random.Random(6)
    events = synthetic_run(rng)
    with tempfile.TemporaryDirectory(prefix="rlm-bench-history-") as tmp:
        env = {**os.environ, "RLM_CONFIG_DIR": tmp}
        os.environ["RLM_CONFIG_DIR"] = tmp
        runs = trace.runs_dir()
        started = time.perf_counter()
        store = trace.TraceStore(runs, keep=1000, inputs=[{"path": f"logs/app-{i}.log", "size": 1_250_000,
                                                          "chars": 1_250_000, "blake2b": "0" * 32} for i in range(40)])
        for event in events:
            store(event)
        store.close()
        write_s = time.perf_counter() - started
        assert store.path is not None
        log_path = store.path
        size = log_path.stat().st_size
        lines = sum(1 for _ in log_path.open("rb"))

        def show() -> None:
            from rich.console import Console

            from rlm_cli.commands.history import replay

            replay(trace.load(trace.resolve("last", runs)), Console(file=io.StringIO(), width=120), verbosity=1)

        def html() -> None:
            log = trace.load(log_path)
            trace.write_html(Path(tmp) / "report.html", log.records, log.inputs)

        show_s, show_cpu = best_of(show)
        html_s, html_cpu = best_of(html)
        html_size = (Path(tmp) / "report.html").stat().st_size
        rlm = [sys.executable, "-m", "rlm_cli"]
        command_s, command_cpu = command_seconds([*rlm, "show", "last"], env)
        version_s, _ = command_seconds([*rlm, "--version"], env)
        for i in range(299):
            os.link(log_path, runs / f"20261126-{i:06d}-bench{i % 10}.jsonl")
        listed = trace.list_runs(runs)
        assert len(listed) == 300
        logs_s = statistics.median(best_of(lambda: trace.list_runs(runs), 1)[0] for _ in range(5))
        logs_command_s, _ = command_seconds([*rlm, "logs"], env)

    from rlm_cli.corpus import Corpus, Part

    text = prose(rng, 1_000_000) * 100
    corpus = Corpus.from_parts([Part(f"part-{i}.log", "text", len(text) // 10, text[i::10]) for i in range(10)])
    hash_s, _ = best_of(lambda: trace.manifest(corpus), 1)

    raw = sum(len(str(e.to_dict())) for e in events)
    print(f"events: {len(events):,} ({STEPS} steps, {STEPS * CALLS_PER_STEP:,} sub-calls), "
          f"{raw / 1e6:.1f} MB as Python reprs before compaction")
    print(f"log: {size / 1e6:.2f} MB, {lines:,} lines, written in {write_s:.2f} s "
          f"({write_s / len(events) * 1e6:.0f} µs per event)  target < {MAX_LOG_BYTES / 1e6:.0f} MB")
    print(f"rlm show in-process (load + tree into a 120-column console): {show_s:.3f} s wall, "
          f"{show_cpu:.3f} s CPU")
    print(f"`rlm show last > /dev/null` as a command: {command_s:.3f} s wall, {command_cpu:.3f} s CPU "
          f"(`rlm --version`: {version_s:.3f} s)  target < {MAX_SHOW_SECONDS:.0f} s")
    print(f"HTML report (load + render + write): {html_s:.3f} s wall, {html_cpu:.3f} s CPU, {html_size / 1e6:.2f} MB")
    print(f"rlm logs over 300 logs: {logs_s * 1000:.1f} ms in-process, {logs_command_s:.3f} s as a command")
    print(f"input manifest of a 100 MB input (10 documents, blake2b): {hash_s:.3f} s")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    ok = size < MAX_LOG_BYTES and command_cpu < MAX_SHOW_SECONDS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
