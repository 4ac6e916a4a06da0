"""Run bench tasks with two methods and keep one Outcome per (task, method).

`direct` puts the input, cut to the declared window, into one prompt. `rlm` calls `rlm_cli.ask`
on the whole input. Both use the same Settings, so the same model and endpoint are compared.
A model fault in one task is recorded as that task's failure; the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rlm_cli.bench.sizes import CHARS_PER_TOKEN
from rlm_cli.bench.tasks import Task
from rlm_cli.errors import ExitCode, RlmError
from rlm_cli.settings import Settings

DIRECT_ANSWER_TOKENS = 512
DIRECT_PROMPT = (
    "Read the text below and answer the question at the end.\n\n<text>\n{text}\n</text>\n\n"
    "Question: {question}\nAnswer briefly."
)
METHODS = ("direct", "rlm")


@dataclass
class Outcome:
    """What one method did on one task."""

    family: str
    size_label: str
    size: int
    seed: int
    method: str
    score: float
    answer: str | None
    expected: str
    status: str
    input_tokens: int
    output_tokens: int
    calls: int
    seconds: float
    cost: float | None = None
    truncated_to: int | None = None
    error: str | None = None
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def direct_budget(window_tokens: int, question: str) -> int:
    """Characters of input that fit the window beside the prompt frame and the answer."""
    frame = len(DIRECT_PROMPT) + len(question)
    return max(0, (window_tokens - DIRECT_ANSWER_TOKENS) * CHARS_PER_TOKEN - frame)


def run_direct(task: Task, settings: Settings, window_tokens: int, size_label: str) -> Outcome:
    from rlm_cli.models.client import ModelClient
    from rlm_cli.models.pricing import PriceTable

    text = task.corpus().text
    budget = direct_budget(window_tokens, task.question)
    cut = text[:budget]
    prompt = DIRECT_PROMPT.format(text=cut, question=task.question)
    started = time.monotonic()
    outcome = _outcome(task, "direct", size_label, truncated_to=len(cut) if len(cut) < len(text) else None)
    try:
        completion = ModelClient(settings).complete(
            [{"role": "user", "content": prompt}], max_tokens=DIRECT_ANSWER_TOKENS
        )
    except RlmError as exc:
        outcome.status, outcome.error = "error", str(exc)
    else:
        outcome.answer = completion.text
        outcome.status = "answered"
        outcome.input_tokens, outcome.output_tokens, outcome.calls = (
            completion.input_tokens, completion.output_tokens, 1,
        )
        outcome.score = task.score(completion.text)
        outcome.cost = PriceTable(settings.prices).cost(
            completion.model, completion.input_tokens, completion.output_tokens
        )
    outcome.seconds = time.monotonic() - started
    return outcome


def run_rlm(task: Task, settings: Settings, size_label: str, timeout: float | None) -> Outcome:
    from rlm_cli.api import ask

    outcome = _outcome(task, "rlm", size_label)
    started = time.monotonic()
    try:
        result = ask(task.question, task.corpus(), **{**_flags(settings), "timeout": timeout})
    except RlmError as exc:
        outcome.status, outcome.error = "error", str(exc)
        outcome.seconds = time.monotonic() - started
        return outcome
    outcome.answer, outcome.run_id = result.answer, result.run_id
    outcome.status = "timeout" if result.exit_code == ExitCode.TIMEOUT else result.status
    outcome.error = result.error
    outcome.input_tokens = int(result.usage.get("input_tokens", 0))
    outcome.output_tokens = int(result.usage.get("output_tokens", 0))
    outcome.calls = int(result.usage.get("calls", 0))
    cost = result.usage.get("cost")
    outcome.cost = float(cost) if isinstance(cost, int | float) else None
    outcome.score = task.score(result.answer)
    outcome.seconds = time.monotonic() - started
    return outcome


def _flags(settings: Settings) -> dict[str, Any]:
    """The resolved settings as keyword arguments for `ask`, the key included (it was already
    resolved for this base URL)."""
    from rlm_cli.settings import SETTING_NAMES

    return {name: getattr(settings, name) for name in SETTING_NAMES}


def _outcome(task: Task, method: str, size_label: str, truncated_to: int | None = None) -> Outcome:
    return Outcome(
        family=task.family, size_label=size_label, size=task.size, seed=task.seed, method=method, score=0.0,
        answer=None, expected=task.expected, status="", input_tokens=0, output_tokens=0, calls=0,
        seconds=0.0, truncated_to=truncated_to,
    )


@dataclass(frozen=True)
class Plan:
    """What to run: families x sizes x seeds, each with the chosen methods."""

    families: Sequence[str]
    sizes: Sequence[tuple[str, int]]
    seeds: Sequence[int]
    methods: Sequence[str]
    window: int | None
    timeout: float | None


def run_plan(
    plan: Plan, settings: Settings, generate: Callable[[str, int, int], Task],
    progress: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for label, size in plan.sizes:
        for family in plan.families:
            for seed in plan.seeds:
                task = generate(family, seed, size)
                for method in plan.methods:
                    if method == "direct":
                        assert plan.window is not None
                        outcome = run_direct(task, settings, plan.window, label)
                    else:
                        outcome = run_rlm(task, settings, label, plan.timeout)
                    outcomes.append(outcome)
                    progress(outcome)
    return outcomes
