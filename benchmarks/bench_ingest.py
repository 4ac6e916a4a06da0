"""Ingestion speed and memory: `rlm ask --dry-run` against `cat` and `files-to-prompt` on the same files.

Generates, in a temporary directory that is deleted afterwards, a tree of --files files totalling
--size-mb (nested directories, a few .gitignore files, all files kept by every tool) and one log of
--size-mb. Each command runs --repeat times after one warm-up (so all read from the page cache);
the best wall time and the peak RSS of the command's process tree are reported. `rlm` is
`rlm ask --dry-run`, which makes every decision of a load but keeps only lengths; "rlm load" is
the load a real run does (`load_corpus`, which builds `context`). "python floor" is the least a
loader that builds one Python str can do (read, decode, join; no walk rules, no checks).

    python benchmarks/bench_ingest.py                      # 50,000 files / 1 GiB, and a 1 GiB log
    python benchmarks/bench_ingest.py --files 5000 --size-mb 100   # quick

files-to-prompt is not a dependency: install it next to rlm (`pip install files-to-prompt`) or pass
--files-to-prompt PATH. It also times the directory walk alone (ours with pathspec, rignore's Rust
walker if installed, `git ls-files`), which is how the ignore matcher was chosen.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"code": code, "seconds": seconds, "peak": peak}))
"""
# The least any loader that hands the model one Python str can do: read every file, decode, join once.
FLOOR = """
import os, sys
root = sys.argv[1]
paths = [root] if os.path.isfile(root) else sorted(
    os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f != ".gitignore")
parts = []
for p in paths:
    with open(p, "rb", buffering=0) as fh:
        parts.append(str(fh.read(), "utf-8"))
text = parts[0] if len(parts) == 1 else "".join(parts)
"""
# What `rlm ask` does before the first model call: the same walk and decisions, then one `context`.
LOAD = """
import sys
from rlm_cli.ingest import IngestOptions, load_corpus
corpus = load_corpus([sys.argv[1]], IngestOptions(max_input_size=100 << 30))
"""
WORDS = (
    "error warning info debug request response user session timeout retry upstream database cache "
    "def class return import self value config handler server client token parse render write read"
).split()


def text_pool(size: int, seed: int = 1) -> bytes:
    """ASCII lines that look like logs and code, to slice files from."""
    rng = random.Random(seed)
    lines = []
    total = 0
    while total < size:
        line = f"{rng.randrange(10**6):06d} " + " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 16)))
        lines.append(line)
        total += len(line) + 1
    return ("\n".join(lines) + "\n").encode()[:size]


def make_tree(root: Path, files: int, size: int) -> int:
    """`files` files in nested directories, sizes varying around size/files; returns the bytes written."""
    rng = random.Random(2)
    pool = text_pool(4 << 20)
    mean = size // files
    written = 0
    per_dir = 250
    (root / ".gitignore").write_text("*.tmp\n/coverage/\nnode_modules/\n")
    for i in range(files):
        d = root / f"pkg{i // (per_dir * 20):03d}" / f"mod{(i // per_dir) % 20:02d}"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
            if i % (per_dir * 4) == 0:
                (d / ".gitignore").write_text("*.bak\n!keep.bak\n")
        n = max(1, int(mean * rng.uniform(0.2, 1.8))) if i < files - 1 else max(1, size - written)
        start = rng.randrange(0, len(pool) - min(n, len(pool)) + 1)
        chunk = pool[start : start + n] if n <= len(pool) else (pool * (n // len(pool) + 1))[:n]
        (d / f"file{i:05d}.txt").write_bytes(chunk)
        written += len(chunk)
    return written


def make_log(path: Path, size: int) -> int:
    pool = text_pool(8 << 20, seed=3)
    with path.open("wb") as fh:
        left = size
        while left > 0:
            piece = pool[: min(left, len(pool))]
            fh.write(piece)
            left -= len(piece)
    return size


def measure(cmd: list[str], repeat: int) -> dict[str, float]:
    """Best wall time and highest peak RSS over `repeat` runs, after one warm-up run."""
    runs = []
    for _ in range(repeat + 1):
        out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout))
    timed = runs[1:]
    if any(r["code"] != 0 for r in timed):
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return {"seconds": min(r["seconds"] for r in timed), "peak": max(r["peak"] for r in timed)}


def walkers(tree: Path) -> dict[str, float]:
    """The directory walk alone (no reading), for choosing the ignore matcher."""
    from rlm_cli.ingest.walk import Filters, walk

    times: dict[str, float] = {}
    started = time.perf_counter()
    found: list = []
    walk(str(tree), Filters(), found, [])
    times["pathspec walker (ours)"] = time.perf_counter() - started
    try:
        import rignore

        started = time.perf_counter()
        count = sum(1 for p in rignore.walk(str(tree)) if p.is_file())
        times["rignore.walk"] = time.perf_counter() - started
        assert count == len(found), (count, len(found))
    except ImportError:
        pass
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(tree)], check=True)
        started = time.perf_counter()
        subprocess.run(["git", "-C", str(tree), "ls-files", "-o", "--exclude-standard", "-z"],
                       stdout=subprocess.DEVNULL, check=True)
        times["git ls-files -o --exclude-standard"] = time.perf_counter() - started
        shutil.rmtree(tree / ".git")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where to build the inputs (default: a temp dir)")
    parser.add_argument("--files-to-prompt", default=shutil.which("files-to-prompt")
                        or str(Path(sys.executable).with_name("files-to-prompt")))
    args = parser.parse_args()
    size = args.size_mb << 20
    work = Path(tempfile.mkdtemp(prefix="rlm-bench-ingest-", dir=args.dir))
    rlm = [sys.executable, "-m", "rlm_cli", "ask", "--dry-run", "--max-input-size", "100G"]
    ftp = [args.files_to_prompt] if Path(args.files_to_prompt).exists() else None
    try:
        tree, log = work / "tree", work / "big.log"
        tree.mkdir()
        started = time.perf_counter()
        tree_bytes = make_tree(tree, args.files, size)
        make_log(log, size)
        print(f"generated {args.files:,} files / {tree_bytes / 2**20:,.0f} MiB and a {size / 2**20:,.0f} MiB log "
              f"in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        results = []
        for label, target, nbytes in (("tree", tree, tree_bytes), ("log", log, size)):
            cat = ["sh", "-c", f"find '{target}' -type f ! -name .gitignore -print0 | xargs -0 cat"]
            row = {"input": label, "bytes": nbytes, "rlm": measure([*rlm, str(target)], args.repeat),
                   "rlm load": measure([sys.executable, "-c", LOAD, str(target)], args.repeat),
                   "cat": measure(cat, args.repeat),
                   "python floor": measure([sys.executable, "-c", FLOOR, str(target)], args.repeat)}
            if ftp:
                row["files-to-prompt"] = measure([*ftp, str(target)], args.repeat)
            results.append(row)
        walk_times = walkers(tree)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, walk_times, args)


def report(results: list[dict], walk_times: dict[str, float], args: argparse.Namespace) -> None:
    print(f"\n{args.files:,} files / {args.size_mb:,} MiB tree, {args.size_mb:,} MiB log; best of {args.repeat}\n")
    print("| input | tool | time | peak RSS | peak / input |")
    print("| --- | --- | --- | --- | --- |")
    for row in results:
        for tool in ("rlm", "rlm load", "cat", "python floor", "files-to-prompt"):
            if tool in row:
                m = row[tool]
                print(f"| {row['input']} | {tool} | {m['seconds']:.2f} s | {m['peak'] / 2**20:,.0f} MiB "
                      f"| {m['peak'] / row['bytes']:.2f}x |")
    print("\n| input | rlm / cat (target <= 3) | rlm / files-to-prompt (target <= 1.5) | rlm peak / input (<= 2.5) "
          "| rlm / python floor |")
    print("| --- | --- | --- | --- | --- |")
    for row in results:
        rlm = row["rlm"]
        vs_ftp = f"{rlm['seconds'] / row['files-to-prompt']['seconds']:.2f}" if "files-to-prompt" in row else "n/a"
        print(f"| {row['input']} | {rlm['seconds'] / row['cat']['seconds']:.2f} | {vs_ftp} "
              f"| {rlm['peak'] / row['bytes']:.2f} | {rlm['seconds'] / row['python floor']['seconds']:.2f} |")
    print("\n| directory walk only (tree) | time |\n| --- | --- |")
    for name, seconds in walk_times.items():
        print(f"| {name} | {seconds:.2f} s |")


if __name__ == "__main__":
    main()
