"""How long `rlm --help`, `rlm --version` and one TAB take, next to a bare `python -c pass`.

Every command runs as a fresh process, interleaved round-robin so machine noise hits all alike;
the table gives the median and the minimum wall time, and the median above the bare interpreter
(target: under 150 ms). Usage: python benchmarks/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 150.0


def rlm_argv() -> list[str]:
    """The installed console script beside this interpreter, else `python -m rlm_cli`."""
    script = Path(sys.executable).with_name("rlm")
    if script.exists():
        return [str(script)]
    found = shutil.which("rlm")
    return [found] if found else [sys.executable, "-m", "rlm_cli"]


def cases(config_dir: str) -> list[tuple[str, list[str], dict[str, str]]]:
    rlm = rlm_argv()
    tab = {"_RLM_COMPLETE": "complete_bash", "COMP_WORDS": "rlm ask --model ", "COMP_CWORD": "3"}
    return [
        ("python -c pass", [sys.executable, "-c", "pass"], {}),
        ("rlm --version", [*rlm, "--version"], {}),
        ("rlm --help", [*rlm, "--help"], {}),
        ("rlm ask --help", [*rlm, "ask", "--help"], {}),
        ("TAB: rlm ask --model <TAB>", rlm, tab),
    ]


def time_once(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as config_dir:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("RLM_", "_RLM"))}
        base_env["RLM_CONFIG_DIR"] = config_dir
        todo = cases(config_dir)
        for _, argv, extra in todo:  # warm the OS file cache and .pyc files
            time_once(argv, {**base_env, **extra})
        samples: dict[str, list[float]] = {name: [] for name, _, _ in todo}
        for _ in range(args.runs):
            for name, argv, extra in todo:
                samples[name].append(time_once(argv, {**base_env, **extra}))
    bare = statistics.median(samples["python -c pass"]) * 1000
    python = sys.version.split()[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{args.runs} runs each, {os.cpu_count()} cores (load {load}), Python {python}, rlm: {' '.join(rlm_argv())}")
    print()
    print("| command | median | min | median above `python -c pass` |")
    print("| --- | --- | --- | --- |")
    worst = 0.0
    for name, values in samples.items():
        median, low = statistics.median(values) * 1000, min(values) * 1000
        above = median - bare
        if name != "python -c pass":
            worst = max(worst, above)
        extra = "" if name == "python -c pass" else f"{above:+.0f} ms"
        print(f"| `{name}` | {median:.0f} ms | {low:.0f} ms | {extra} |")
    print()
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(f"worst median above the bare interpreter: {worst:.0f} ms ({verdict} the {TARGET_MS:.0f} ms target)")


if __name__ == "__main__":
    main()
