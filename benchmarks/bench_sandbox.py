"""What the sandbox costs: per-cell round trip and worker start-up, with the sandbox on and off.

Two workers over the same 1 MB context run the same cells, interleaved so machine noise hits both
alike. Cells: a trivial expression, a regex search over `context`, and a file-heavy cell (create,
read, list and remove 20 files in scratch, import a module) that makes the audit hook work hardest.
The per-cell overhead is the median of the paired differences (run i on minus run i off), which a
busy machine disturbs less than a difference of medians; the target is under 5 ms.
Start-up (spawn, namespaces, seccomp, hook, context load) is measured separately.
Usage: python benchmarks/bench_sandbox.py [--cells N] [--starts N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from rlm_cli.corpus import Corpus, Part
from rlm_cli.repl.host import QueryRequest, ReplHost

TARGET_MS = 5.0
CELLS = {
    "expression": "len(context)",
    "regex over 1 MB": "n = len(re.findall(r'ERROR \\w+', context))",
    "files and imports": (
        "import os, json, importlib\n"
        "for i in range(20):\n"
        "    with open(f'f{i}.txt', 'w') as fh:\n"
        "        fh.write('x' * 100)\n"
        "total = sum(len(open(f'f{i}.txt').read()) for i in range(20))\n"
        "names = sorted(os.listdir('.'))\n"
        "for i in range(20):\n"
        "    os.remove(f'f{i}.txt')\n"
        "importlib.import_module('textwrap')"
    ),
}


def corpus() -> Corpus:
    line = "2026-11-01T10:00:00 INFO request ok id=123456\n"
    text = line * (1_000_000 // len(line)) + "2026-11-01T10:00:01 ERROR upstream timeout\n"
    return Corpus.from_parts([Part("bench.log", "text", len(text), text)])


def answer(request: QueryRequest) -> list[str]:
    return ["" for _ in request.prompts]


def time_cells(runs: int) -> dict[str, dict[bool, list[float]]]:
    times: dict[str, dict[bool, list[float]]] = {name: {True: [], False: []} for name in CELLS}
    data = corpus()
    with ReplHost(data, answer, sandbox=True) as on, ReplHost(data, answer, sandbox=False) as off:
        for _ in range(runs):
            for name, code in CELLS.items():
                for sandboxed, host in ((True, on), (False, off)):
                    started = time.perf_counter()
                    cell = host.execute(code)
                    times[name][sandboxed].append(time.perf_counter() - started)
                    assert cell.error is None, cell.error
    return times


def time_starts(runs: int) -> dict[bool, list[float]]:
    starts: dict[bool, list[float]] = {True: [], False: []}
    data = corpus()
    for _ in range(runs):
        for sandboxed in (True, False):
            started = time.perf_counter()
            with ReplHost(data, answer, sandbox=sandboxed) as host:
                host.execute("1")
            starts[sandboxed].append(time.perf_counter() - started)
    return starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=300, help="runs of each cell per worker")
    parser.add_argument("--starts", type=int, default=10, help="worker start-ups per mode")
    args = parser.parse_args()
    times = time_cells(args.cells)
    print(f"{'cell':<20} {'off median':>11} {'on median':>10} {'off min':>8} {'on min':>7} {'overhead':>9}"
          f"   (ms, {args.cells} runs each)")
    worst = 0.0
    for name, by_mode in times.items():
        off, on = by_mode[False], by_mode[True]
        paired = statistics.median(b - a for a, b in zip(off, on, strict=True)) * 1e3
        worst = max(worst, paired)
        print(f"{name:<20} {statistics.median(off) * 1e3:>11.3f} {statistics.median(on) * 1e3:>10.3f} "
              f"{min(off) * 1e3:>8.3f} {min(on) * 1e3:>7.3f} {paired:>+9.3f}")
    starts = time_starts(args.starts)
    off, on = statistics.median(starts[False]) * 1e3, statistics.median(starts[True]) * 1e3
    print(f"{'worker start-up':<20} {off:>12.1f} {on:>12.1f} {on - off:>+10.1f}   (median ms, {args.starts} runs)")
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(f"worst per-cell overhead {worst:.3f} ms: {verdict} the {TARGET_MS:g} ms target")


if __name__ == "__main__":
    main()
