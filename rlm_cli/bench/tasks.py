"""Task families with known answers, after the published long-context benchmarks.

Every generator is a pure function of (seed, size): the same pair always gives the same input,
question and answer, so a bench run can be repeated and compared. `size` is the input's length
in characters (the generators land within a few percent of it).

- niah        one needle in a haystack (RULER S-NIAH): a magic number for a key
- multi-niah  several values for one key scattered through the haystack (RULER MV-NIAH); recall
- counting    labelled records, count one label (OOLONG); 0.75 ** |error|
- pairs       users in the same city who are both escalated (OOLONG-Pairs); F1 over pairs
- log-cause   a cascading outage in a service log: which service failed first and took the rest down
- code-find   a generated codebase: which file defines a function that several others import
              through a facade module (so an import line does not give the answer away)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from rlm_cli.bench import scoring
from rlm_cli.corpus import Corpus, Part

WORDS = (
    "river stone lantern harbor meadow copper signal garden winter ledger violet anchor orbit canyon "
    "thunder marble pepper willow falcon cedar ember glacier velvet prairie summit quartz saddle "
    "tunnel beacon cobalt maple island jasper kettle lagoon mirror nectar oasis pebble quiver raven "
    "silver timber umbra valley walnut yarrow zephyr basket candle drift echo fable grove hollow"
).split()
VERBS = "walks finds keeps builds paints carries watches follows measures gathers sorts mends".split()


@dataclass(frozen=True)
class Task:
    """One generated task: the documents, the question, the known answer and how to score a reply."""

    family: str
    seed: int
    size: int
    question: str
    parts: tuple[Part, ...]
    expected: str
    scorer: Callable[[str], float]

    def corpus(self) -> Corpus:
        return Corpus.from_parts(list(self.parts))

    def score(self, answer: str | None) -> float:
        return self.scorer(answer or "")


def _rng(family: str, seed: int, size: int) -> random.Random:
    return random.Random(f"{family}:{seed}:{size}")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 12))]
    words.insert(2, rng.choice(VERBS))
    return " ".join(words).capitalize() + "."


def _haystack(rng: random.Random, size: int) -> list[str]:
    """Lines of filler prose totalling about `size` characters."""
    lines: list[str] = []
    total = 0
    while total < size:
        line = " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))
        lines.append(line)
        total += len(line) + 1
    return lines


def _insert(rng: random.Random, lines: list[str], needle: str) -> None:
    lines.insert(rng.randint(0, len(lines)), needle)


def _key(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{rng.randint(10, 99)}"


def _text_task(family: str, seed: int, size: int, question: str, lines: list[str], expected: str,
               scorer: Callable[[str], float], name: str = "input.txt") -> Task:
    text = "\n".join(lines) + "\n"
    return Task(family, seed, size, question, (Part(name, "text", len(text.encode()), text),), expected, scorer)


def niah(seed: int, size: int) -> Task:
    rng = _rng("niah", seed, size)
    key, value = _key(rng), str(rng.randint(1_000_000, 9_999_999))
    lines = _haystack(rng, size - 80)
    _insert(rng, lines, f"The special magic number for {key} is {value}.")
    question = f"What is the special magic number for {key} mentioned in the text? Answer with the number only."
    return _text_task("niah", seed, size, question, lines, value, lambda a: scoring.contains_score(a, value))


def multi_niah(seed: int, size: int) -> Task:
    rng = _rng("multi-niah", seed, size)
    key = _key(rng)
    values = [str(v) for v in rng.sample(range(1_000_000, 9_999_999), 4)]
    lines = _haystack(rng, size - 4 * 80)
    for value in values:
        _insert(rng, lines, f"One of the special magic numbers for {key} is {value}.")
    question = (
        f"The text mentions several special magic numbers for {key}. "
        "List all of them, separated by commas."
    )
    return _text_task(
        "multi-niah", seed, size, question, lines, ", ".join(values), lambda a: scoring.recall_score(a, values)
    )


LABELS = ("billing", "shipping", "returns", "account", "technical", "feedback")


def _message(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10)))


def counting(seed: int, size: int) -> Task:
    rng = _rng("counting", seed, size)
    target = rng.choice(LABELS)
    lines: list[str] = []
    total, count = 0, 0
    while total < size:
        label = rng.choice(LABELS)
        count += label == target
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        user = f"U{rng.randint(1000, 9999)}"
        line = f"record {len(lines) + 1:06d} | {day} | user {user} | label: {label} | {_message(rng)}"
        lines.append(line)
        total += len(line) + 1
    question = (
        f"Each line is a support record with a label. How many records have the label '{target}'? "
        "Answer with a single number."
    )
    return _text_task(
        "counting", seed, size, question, lines, str(count), lambda a: scoring.numeric_score(a, count),
        "records.txt",
    )


CITIES = ("Lisbon", "Oslo", "Quito", "Hanoi", "Dakar", "Perth", "Lima", "Riga", "Accra", "Tunis", "Cusco", "Sofia")
STATUSES = ("open", "closed", "pending", "resolved", "waiting")
ESCALATED = "escalated"


def _user_line(record: list[str]) -> str:
    uid, city, status, note = record
    return f"user {uid} | city: {city} | status: {status} | note: {note}"


def pairs(seed: int, size: int) -> Task:
    rng = _rng("pairs", seed, size)
    ids = rng.sample(range(10000, 99999), max(12, size // 50))
    cities = rng.sample(CITIES, 3)
    planted = [cities[0]] * 2 + [cities[1]] * 3 + [cities[2]]
    records: list[list[str]] = []
    total = 0
    for uid in ids:
        if total >= size and len(records) >= len(planted) * 2:
            break
        record = [f"U{uid}", rng.choice(CITIES), rng.choice(STATUSES), _message(rng)]
        records.append(record)
        total += len(_user_line(record)) + 1
    slots = rng.sample(range(len(records)), len(planted))
    for slot, city in zip(slots, planted, strict=True):
        records[slot][1:3] = [city, ESCALATED]
    escalated = [(uid, city) for uid, city, status, _ in records if status == ESCALATED]
    truth = {
        (min(a, b), max(a, b)) for (a, ca), (b, cb) in combinations(escalated, 2) if ca == cb
    }
    lines = [_user_line(record) for record in records]
    question = (
        f"Each line is a user record. List every pair of user ids where both users have status '{ESCALATED}' "
        "and live in the same city. Write one pair per line as: U12345, U67890"
    )
    expected = "; ".join(f"{a}, {b}" for a, b in sorted(truth))
    return _text_task(
        "pairs", seed, size, question, lines, expected,
        lambda a: scoring.pair_f1(scoring.pairs_in(a, r"U\d{5}"), truth), "users.txt",
    )


SERVICES = ("api-gateway", "checkout", "payments", "inventory", "auth", "search", "db-primary", "cache",
            "queue", "notifications")
BACKENDS = ("db-primary", "cache", "queue", "auth", "inventory")
FAILURES = {
    "db-primary": "disk full on /var/lib/postgres, refusing writes",
    "cache": "out of memory, evicting all keys and rejecting connections",
    "queue": "broker partition lost leader, producers blocked",
    "auth": "signing key rotation failed, every token rejected",
    "inventory": "schema migration 0142 crashed the service on startup",
}
ROUTINE = ("request served in {n}ms", "health check ok", "cache hit ratio 0.{n}", "flushed {n} metrics",
           "connection pool size {n}", "processed batch of {n} items")
WARNINGS = ("slow request took {n}ms", "retrying call to {other} (attempt 1)", "queue depth {n}")


def _log_time(second: int) -> str:
    hours, rest = divmod(second, 3600)
    minutes, secs = divmod(rest, 60)
    return f"2026-11-01T{8 + hours:02d}:{minutes:02d}:{secs:02d}Z"


def log_cause(seed: int, size: int) -> Task:
    rng = _rng("log-cause", seed, size)
    root = rng.choice(BACKENDS)
    others = [s for s in SERVICES if s != root]
    n_lines = max(40, size // 86)
    start = rng.randint(n_lines // 4, n_lines * 2 // 3)
    lines: list[str] = []
    for i in range(n_lines):
        service = rng.choice(SERVICES)
        if i == start:
            level, msg, service = "ERROR", FAILURES[root], root
        elif i > start and rng.random() < 0.25:
            service = rng.choice(others)
            level, msg = "ERROR", f"call to {root} failed: dependency unavailable, returning 503"
        elif i < start and rng.random() < 0.01:
            level, msg = "ERROR", f"timeout calling {rng.choice(others)}, retry succeeded"
        elif rng.random() < 0.08:
            level, msg = "WARN", rng.choice(WARNINGS).format(n=rng.randint(100, 999), other=rng.choice(SERVICES))
        else:
            level, msg = "INFO", rng.choice(ROUTINE).format(n=rng.randint(10, 999))
        lines.append(f"{_log_time(i * 2)} {level:<5} service={service} req={rng.randint(10**7, 10**8 - 1)} {msg}")
    question = (
        "An outage began in this service log: many services started failing. Which service was the root "
        "cause, the one that failed first and took the others down? Answer with the service name only."
    )
    return _text_task(
        "log-cause", seed, size, question, lines, root,
        lambda a: scoring.one_of_score(a, root, SERVICES), "service.log",
    )


NOUNS = ("ledger", "invoice", "cart", "session", "token", "report", "budget", "order", "shipment", "refund",
         "profile", "metric", "batch", "schedule", "catalog", "voucher")
ACTIONS = ("compute", "load", "build", "merge", "validate", "render", "sync", "parse", "archive", "apply")


def _function(rng: random.Random, name: str) -> str:
    arg = rng.choice(NOUNS)
    body = [f"    {rng.choice(NOUNS)}_{i} = {arg}.get('{rng.choice(WORDS)}', {rng.randint(0, 99)})"
            for i in range(rng.randint(2, 5))]
    return f"def {name}({arg}: dict) -> int:\n    \"\"\"{_sentence(rng)}\"\"\"\n" + "\n".join(body) + \
        f"\n    return len({arg})\n"


FACADE = "src/app.py"


def code_find(seed: int, size: int) -> Task:
    rng = _rng("code-find", seed, size)
    names = [f"{a}_{n}_{m}" for a in ACTIONS for n in NOUNS for m in NOUNS if n != m]
    rng.shuffle(names)
    n_files = max(6, size // 1500)
    modules: list[str] = []
    seen: set[str] = set()
    while len(modules) < n_files:
        name = f"{rng.choice(NOUNS)}_{rng.choice(WORDS)}"
        if name not in seen:
            seen.add(name)
            modules.append(name)
    paths = [f"src/pkg{i % 7}/{m}.py" for i, m in enumerate(modules)]
    target, definer = names.pop(), rng.randrange(n_files)
    users = set(rng.sample([i for i in range(n_files) if i != definer], min(4, n_files - 1)))
    parts: list[Part] = []
    per_file = max(1, size // n_files // 300)
    for i, path in enumerate(paths):
        chunks = [f'"""{_sentence(rng)}"""\n']
        if i in users:
            chunks.append(f"from app import {target}\n")
        for _ in range(per_file):
            chunks.append(_function(rng, names.pop()))
        if i == definer:
            chunks.insert(rng.randint(1, len(chunks)), _function(rng, target))
        if i in users:
            caller = names.pop()
            chunks.append(f"def {caller}(data: dict) -> int:\n    return {target}(data) + 1\n")
        text = "\n\n".join(chunks)
        parts.append(Part(path, "text", len(text.encode()), text))
    facade = '"""Everything the app exports, in one place."""\n' + "".join(
        f"from {p[4:-3].replace('/', '.')} import *\n" for p in paths
    )
    parts.append(Part(FACADE, "text", len(facade.encode()), facade))
    basenames = [p.rsplit("/", 1)[1] for p in [*paths, FACADE]]
    question = f"Which file defines the function `{target}`? Answer with the file path."
    expected = paths[definer]
    return Task(
        "code-find", seed, size, question, tuple(parts), expected,
        lambda a: scoring.one_of_score(a, basenames[definer], basenames),
    )


FAMILIES: dict[str, Callable[[int, int], Task]] = {
    "niah": niah,
    "multi-niah": multi_niah,
    "counting": counting,
    "pairs": pairs,
    "log-cause": log_cause,
    "code-find": code_find,
}


def generate(family: str, seed: int, size: int) -> Task:
    """The task of `family` for this seed and size (KeyError for an unknown family)."""
    return FAMILIES[family](seed, size)


def describe(task: Task) -> dict[str, Any]:
    return {"family": task.family, "seed": task.seed, "size": task.size, "question": task.question,
            "expected": task.expected, "documents": len(task.parts)}
