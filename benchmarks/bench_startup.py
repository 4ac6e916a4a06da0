"""How long `rlm --help`, `rlm --version` and one TAB take, next to a bare `python -c pass`.

Every command runs as a fresh process, interleaved round-robin so machine noise hits all alike.
The table gives the wall time (median and minimum) and the CPU time the process used (user + sys,
median), each also as the difference to the bare interpreter. CPU time barely moves when other
work loads the machine, wall time does, so the verdict uses the CPU difference (and the minimum
wall difference is printed beside it). The target (under 150 ms above the bare interpreter) is for
`rlm --help` and `rlm --version`; the other rows show what a subcommand and a TAB cost.
Usage: python benchmarks/bench_startup.py [--runs N]
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
TARGETED = ("rlm --version", "rlm --help")


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


def time_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    child.returncode = 0
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


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
        walls: dict[str, list[float]] = {name: [] for name, _, _ in todo}
        cpus: dict[str, list[float]] = {name: [] for name, _, _ in todo}
        for _ in range(args.runs):
            for name, argv, extra in todo:
                wall, cpu = time_once(argv, {**base_env, **extra})
                walls[name].append(wall * 1000)
                cpus[name].append(cpu * 1000)
    bare = "python -c pass"
    bare_min, bare_cpu = min(walls[bare]), statistics.median(cpus[bare])
    python = sys.version.split()[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{args.runs} runs each, {os.cpu_count()} cores (load {load}), Python {python}, rlm: {' '.join(rlm_argv())}")
    print()
    print("| command | wall median | wall min | CPU median | CPU above bare | wall min above bare |")
    print("| --- | --- | --- | --- | --- | --- |")
    worst = 0.0
    for name in walls:
        wall, low, cpu = statistics.median(walls[name]), min(walls[name]), statistics.median(cpus[name])
        if name == bare:
            print(f"| `{name}` | {wall:.0f} ms | {low:.0f} ms | {cpu:.0f} ms | | |")
            continue
        if name in TARGETED:
            worst = max(worst, cpu - bare_cpu)
        print(f"| `{name}` | {wall:.0f} ms | {low:.0f} ms | {cpu:.0f} ms | {cpu - bare_cpu:+.0f} ms "
              f"| {low - bare_min:+.0f} ms |")
    print()
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    targeted = " and ".join(f"`{name}`" for name in TARGETED)
    print(f"{targeted}: at most {worst:.0f} ms CPU above the bare interpreter "
          f"({verdict} the {TARGET_MS:.0f} ms target)")


if __name__ == "__main__":
    main()
