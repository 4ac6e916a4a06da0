"""Per-iteration cost does not grow with the input: 1 MB vs 100 MB through the whole loop.

Runs the real engine (real worker process, real openai client) against the loopback test server,
scripted for 11 iterations. The time between consecutive root requests is one iteration (parse the
reply, run the cell in the worker, build the next prompt, send it); its median is compared across
input sizes, next to the one-off start-up cost (ingest to first request) and the largest request.

    python benchmarks/bench_context.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_openai import FakeOpenAI, scripted  # noqa: E402

from rlm_cli.corpus import Corpus, Part  # noqa: E402
from rlm_cli.engine.loop import run  # noqa: E402
from rlm_cli.settings import resolve_settings  # noqa: E402

ITERATIONS = 11
STEP = "```repl\nn = len(context)\nprint(n, context[:20])\n```"
DONE = "```repl\nFINAL(str(n))\n```"


def measure(corpus: Corpus) -> tuple[float, float, int]:
    stamps: list[float] = []
    handler = scripted([STEP] * (ITERATIONS - 1) + [DONE])

    def timed(body: dict[str, Any]) -> Any:
        stamps.append(time.perf_counter())
        return handler(body)

    with FakeOpenAI(timed) as server:
        os.environ["RLM_BASE_URL"] = server.url
        settings = resolve_settings({"model": "bench", "max_iterations": ITERATIONS + 1}, env=os.environ)
        started = time.perf_counter()
        result = run("how long?", corpus, settings)
        assert result.answer == str(corpus.chars), result
        biggest = max(len(str(r)) for r in server.requests)
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return stamps[0] - started, statistics.median(gaps), biggest


def main() -> None:
    measure(Corpus.from_parts([Part("warm.txt", "text", 1, "x")]))
    print(f"{'input':>7} {'start-up':>10} {'per iteration (median)':>23} {'largest request':>16}")
    for mb in (1, 100):
        corpus = Corpus.from_parts([Part("big.log", "text", mb * 1_000_000, ("x" * 99 + "\n") * (mb * 10_000))])
        startup, per, biggest = measure(corpus)
        print(f"{mb:>5}MB {startup:>9.3f}s {per * 1000:>21.1f}ms {biggest:>14,}B")


if __name__ == "__main__":
    main()
