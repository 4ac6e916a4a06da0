"""Does a small local model answer with `rlm ask`? Generated long inputs with one known answer each.

    python benchmarks/small_models.py make DIR [--seed N]
    python benchmarks/small_models.py run DIR [--tasks a,b] [--tries N] [-- extra rlm ask flags]

`make` writes the inputs and DIR/tasks.json; `run` calls `rlm ask --json` on each task (the model and
endpoint come from RLM_MODEL / RLM_BASE_URL) and prints one line per try plus the accuracy. A try
counts as solved when the expected string appears in the answer (case-insensitive).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

WORDS = (
    "alpha beta gamma delta cache queue worker shard token session index buffer socket retry "
    "parser vector ledger report budget stream batch record signal metric".split()
)


def make_log(root: Path, rng: random.Random) -> dict[str, str]:
    lines = []
    failing = rng.randrange(1000, 5000)
    for i in range(5000):
        minute, second = divmod(i, 60)
        rid = f"req-{i:05d}"
        ms = rng.randrange(3, 400)
        status = "INFO" if rng.random() > 0.1 else "WARN"
        lines.append(f"2026-11-01T{9 + minute // 60:02d}:{minute % 60:02d}:{second:02d} {status} "
                     f"request id={rid} path=/api/{rng.choice(WORDS)} took {ms}ms")
    lines[failing] = (f"2026-11-01T10:12:{failing % 60:02d} ERROR request id=req-{failing:05d} "
                      "path=/api/checkout failed: upstream timeout after 30000ms")
    path = root / "app.log"
    path.write_text("\n".join(lines) + "\n")
    return {"name": "log-failing-id", "paths": [str(path)], "expected": f"req-{failing:05d}",
            "question": "Which request id failed with an ERROR?"}


def make_codebase(root: Path, rng: random.Random) -> dict[str, str]:
    base = root / "code"
    target = rng.randrange(80)
    for i in range(80):
        pkg = base / f"pkg{i // 10}"
        pkg.mkdir(parents=True, exist_ok=True)
        body = []
        for j in range(25):
            name = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}_{j}"
            body.append(f"def {name}(x, y):\n    \"\"\"Helper {j} of module {i}.\"\"\"\n"
                        f"    total = x + y * {j}\n    return total\n")
        if i == target:
            body.insert(rng.randrange(25), "def reconcile_ledger(entries):\n    \"\"\"Match entries.\"\"\"\n"
                        "    return sorted(entries)\n")
        else:
            body.append("def uses_it(entries):\n    return reconcile_ledger(entries)\n" if i % 7 == 0 else "")
        (pkg / f"module_{i}.py").write_text("\n\n".join(body))
    return {"name": "code-defines", "paths": [str(base)], "expected": f"module_{target}.py",
            "question": "Which file defines the function reconcile_ledger?"}


def make_records(root: Path, rng: random.Random) -> dict[str, str]:
    users = [f"user{n:03d}" for n in rng.sample(range(1000), rng.randrange(30, 60))]
    lines = [f"{i:06d} user={rng.choice(users)} action={rng.choice(['login', 'view', 'buy', 'logout'])} "
             f"item={rng.choice(WORDS)}" for i in range(6000)]
    for u in users:
        lines[rng.randrange(len(lines))] = f"{rng.randrange(10**6):06d} user={u} action=login item=home"
    path = root / "records.txt"
    path.write_text("\n".join(lines) + "\n")
    return {"name": "records-distinct", "paths": [str(path)], "expected": str(len(set(
        line.split()[1] for line in lines))), "question": "How many distinct users appear in the records?"}


def make_needle(root: Path, rng: random.Random) -> dict[str, str]:
    code = f"{rng.choice(WORDS)}-{rng.randrange(1000, 9999)}"
    paras = [" ".join(rng.choice(WORDS) for _ in range(60)) + "." for _ in range(3000)]
    paras.insert(rng.randrange(len(paras)), f"The secret passphrase is {code}.")
    path = root / "notes.txt"
    path.write_text("\n\n".join(paras) + "\n")
    return {"name": "needle", "paths": [str(path)], "expected": code,
            "question": "What is the secret passphrase?"}


def make(root: Path, seed: int) -> None:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    tasks = [make_log(root, rng), make_codebase(root, rng), make_records(root, rng), make_needle(root, rng)]
    (root / "tasks.json").write_text(json.dumps(tasks, indent=2))
    for t in tasks:
        size = sum(p.stat().st_size for path in t["paths"] for p in ([Path(path)] if Path(path).is_file()
                                                                      else Path(path).rglob("*.py")))
        print(f"{t['name']}: {size:,} bytes, expected {t['expected']!r}")


def run(root: Path, names: list[str] | None, tries: int, extra: list[str]) -> None:
    tasks = json.loads((root / "tasks.json").read_text())
    solved = total = 0
    for task in tasks:
        if names and task["name"] not in names:
            continue
        for attempt in range(1, tries + 1):
            started = time.monotonic()
            proc = subprocess.run(
                ["rlm", "ask", *task["paths"], task["question"], "--json", *extra],
                capture_output=True, text=True,
            )
            try:
                data = json.loads(proc.stdout)
            except json.JSONDecodeError:
                data = {"answer": None, "status": f"exit {proc.returncode}", "iterations": 0}
            answer = data.get("answer") or ""
            ok = task["expected"].lower() in answer.lower()
            solved += ok
            total += 1
            print(f"{task['name']} try {attempt}: {'SOLVED' if ok else 'wrong'} status={data.get('status')} "
                  f"iterations={data.get('iterations')} {time.monotonic() - started:.0f}s "
                  f"answer={' '.join(answer.split())[:80]!r}", flush=True)
    print(f"solved {solved}/{total}")


def main(argv: list[str]) -> None:
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    command, root = argv[0], Path(argv[1])
    opts = dict(zip(argv[2::2], argv[3::2], strict=False))
    if command == "make":
        make(root, int(opts.get("--seed", "1")))
    elif command == "run":
        names = opts["--tasks"].split(",") if "--tasks" in opts else None
        run(root, names, int(opts.get("--tries", "1")), extra)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
