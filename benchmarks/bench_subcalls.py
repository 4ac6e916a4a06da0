"""Concurrent sub-calls against one OpenAI-compatible URL, cold and with a warm sub-call cache.

One root turn makes CALLS llm_query calls (one llm_query_batched) and finishes; the loopback test
server, in its own process like a real serving layer, answers each sub-call after DELAY seconds.
For each concurrency the time of that cell (the whole batch, from the REPL's call to the last
answer, through the worker pipe, the sub-call pool, the ledger, the cache and the openai client) is
compared with the ideal ceil(CALLS / c) x DELAY. Then the same run is repeated with the cache the
first run filled, and once more with the cache off. Medians of REPEATS, each cold run on a fresh
cache directory. "CPU per sub-call" is this process's CPU time for a cold run (engine, pool,
ledger, cache, openai client) over CALLS: the GIL makes it a serial cost, so CALLS x that is a
floor under the batch time at any concurrency.

    python benchmarks/bench_subcalls.py
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rlm_cli.corpus import Corpus, Part
from rlm_cli.engine.loop import run
from rlm_cli.events import CodeFinished, Event
from rlm_cli.settings import resolve_settings

CALLS = 256
DELAY = 0.1
CONCURRENCY = (16, 32, 64)
REPEATS = 3
TESTS = Path(__file__).resolve().parent.parent / "tests"
SERVER = f"""
import sys, time
sys.path.insert(0, {str(TESTS)!r})
from fake_openai import FakeOpenAI, Reply, scripted
code = "```repl\\nout = llm_query_batched([f'part {{i}}' for i in range({CALLS})])\\nFINAL(str(len(out)))\\n```"
with FakeOpenAI(scripted([code], sub=lambda p: Reply('answer to ' + p, delay={DELAY}))) as server:
    print(server.url, flush=True)
    sys.stdin.read()
"""


def batch_seconds(url: str, concurrency: int, cache_dir: str, cache: bool = True) -> tuple[float, float, float]:
    """(seconds of the batch cell, seconds of the whole run, CPU seconds of this process) for one run."""
    os.environ["RLM_CONFIG_DIR"] = cache_dir
    env = {"RLM_BASE_URL": url, "RLM_MODEL": "bench-model", "RLM_API_KEY": "x"}
    settings = resolve_settings({"concurrency": concurrency, "cache": cache}, env=env)
    corpus = Corpus.from_parts([Part("doc.txt", "text", 5, "hello")])
    cells: list[float] = []

    def emit(event: Event) -> None:
        if isinstance(event, CodeFinished):
            cells.append(event.seconds)

    started, cpu = time.perf_counter(), time.process_time()
    result = run("q", corpus, settings, emit)
    whole, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.answer == str(CALLS), (result.status, result.error, result.answer)
    return cells[0], whole, cpu


def main() -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None and server.stdin is not None
    url = server.stdout.readline().strip()
    try:
        print(f"{CALLS} sub-calls, server delay {DELAY * 1000:.0f} ms, median of {REPEATS}")
        print(
            "| concurrency | ideal | cold batch | cold / ideal | no-cache batch | warm batch | warm / cold "
            "| cold whole run | CPU per sub-call |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for c in CONCURRENCY:
            ideal = math.ceil(CALLS / c) * DELAY
            cold, warm, whole, cpu, uncached = [], [], [], [], []
            for _ in range(REPEATS):
                with tempfile.TemporaryDirectory(prefix="rlm-bench-cache-") as cache_dir:
                    cell, run_seconds, cpu_seconds = batch_seconds(url, c, cache_dir)
                    cold.append(cell)
                    whole.append(run_seconds)
                    cpu.append(cpu_seconds / CALLS)
                    warm.append(batch_seconds(url, c, cache_dir)[0])
                    uncached.append(batch_seconds(url, c, cache_dir, cache=False)[0])
            cold_s, warm_s = statistics.median(cold), statistics.median(warm)
            print(
                f"| {c} | {ideal:.2f} s | {cold_s:.3f} s | {cold_s / ideal:.2f}x | "
                f"{statistics.median(uncached):.3f} s | {warm_s:.3f} s | "
                f"{warm_s / cold_s:.1%} | {statistics.median(whole):.3f} s | "
                f"{statistics.median(cpu) * 1000:.2f} ms |"
            )
    finally:
        server.stdin.close()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
