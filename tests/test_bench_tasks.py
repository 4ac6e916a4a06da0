"""Bench task generators and scorers: reproducible for a seed, 1 for the true answer, less for near misses."""

from __future__ import annotations

import re

import pytest

from rlm_cli.bench import scoring, tasks
from rlm_cli.bench.sizes import parse_sizes
from rlm_cli.errors import UsageError

SIZE = 12_000


@pytest.mark.parametrize("family", list(tasks.FAMILIES))
def test_a_seed_gives_the_same_task_every_time(family: str) -> None:
    first, again = tasks.generate(family, 3, SIZE), tasks.generate(family, 3, SIZE)
    assert first.corpus().text == again.corpus().text
    assert (first.question, first.expected) == (again.question, again.expected)


@pytest.mark.parametrize("family", list(tasks.FAMILIES))
def test_another_seed_gives_another_task(family: str) -> None:
    assert tasks.generate(family, 1, SIZE).corpus().text != tasks.generate(family, 2, SIZE).corpus().text


@pytest.mark.parametrize("family", list(tasks.FAMILIES))
def test_the_input_is_about_the_requested_size(family: str) -> None:
    assert 0.9 * 40_000 <= tasks.generate(family, 1, 40_000).corpus().chars <= 1.1 * 40_000


@pytest.mark.parametrize("family", list(tasks.FAMILIES))
def test_the_true_answer_scores_one(family: str) -> None:
    task = tasks.generate(family, 5, SIZE)
    assert task.score(task.expected) == 1.0
    assert task.score(f"The answer is {task.expected}.") == 1.0


@pytest.mark.parametrize("family", list(tasks.FAMILIES))
def test_no_answer_scores_zero(family: str) -> None:
    assert tasks.generate(family, 5, SIZE).score(None) == 0.0


def test_niah_another_number_scores_zero_and_the_needle_is_in_the_text() -> None:
    task = tasks.generate("niah", 1, SIZE)
    assert f"is {task.expected}." in task.corpus().text
    assert task.score(str(int(task.expected) + 1)) == 0.0


def test_multi_niah_three_of_four_values_score_three_quarters() -> None:
    task = tasks.generate("multi-niah", 1, SIZE)
    values = task.expected.split(", ")
    assert len(values) == 4 and all(v in task.corpus().text for v in values)
    assert task.score(", ".join(values[:3])) == 0.75


def test_counting_is_scored_0_75_to_the_power_of_the_error() -> None:
    task = tasks.generate("counting", 1, SIZE)
    label = re.search(r"label '(\w+)'", task.question).group(1)  # type: ignore[union-attr]
    assert task.corpus().text.count(f"label: {label} ") == int(task.expected)
    assert task.score(str(int(task.expected) + 1)) == 0.75
    assert task.score(str(int(task.expected) - 2)) == pytest.approx(0.5625)


def test_pairs_missing_or_extra_pairs_lower_the_f1() -> None:
    task = tasks.generate("pairs", 1, SIZE)
    lines = task.expected.split("; ")
    assert len(lines) >= 2
    assert 0 < task.score("\n".join(lines[:-1])) < 1
    assert 0 < task.score("\n".join([*lines, "U10000, U10001"])) < 1
    assert task.score("U10000, U10001") == 0.0


def test_pairs_are_read_in_either_order_and_common_separators() -> None:
    found = scoring.pairs_in("(U22222 and U11111)\nU33333-U44444", r"U\d{5}")
    assert found == {("U11111", "U22222"), ("U33333", "U44444")}


def test_log_cause_a_downstream_service_scores_zero_and_hedging_halves() -> None:
    task = tasks.generate("log-cause", 1, SIZE)
    other = next(s for s in tasks.SERVICES if s != task.expected)
    assert task.score(other) == 0.0
    assert task.score(f"{task.expected} or {other}") == 0.5


def test_code_find_a_file_that_only_imports_the_function_scores_zero() -> None:
    task = tasks.generate("code-find", 1, SIZE)
    name = re.search(r"`(\w+)`", task.question).group(1)  # type: ignore[union-attr]
    definers = [p.path for p in task.parts if f"def {name}(" in p.text]
    importers = [p.path for p in task.parts if f"import {name}" in p.text]
    assert definers == [task.expected] and importers
    assert task.score(importers[0]) == 0.0
    assert task.score(tasks.FACADE) == 0.0


def test_code_find_no_other_file_names_the_defining_module() -> None:
    task = tasks.generate("code-find", 1, SIZE)
    module = task.expected[4:-3].replace("/", ".")
    naming = [p.path for p in task.parts if f"from {module} import" in p.text and p.path != tasks.FACADE]
    assert naming == []
    assert task.score(f"It is defined in {task.expected}") == 1.0


def test_numeric_score_uses_the_last_number() -> None:
    assert scoring.numeric_score("Out of 500 records, 12 match", 12) == 1.0


def test_sizes_take_characters_and_window_multiples() -> None:
    assert parse_sizes("8000,64k,0.5x,20x", 4000) == [("8000", 8000), ("64k", 64000), ("0.5x", 8000), ("20x", 320000)]


def test_window_multiples_without_a_window_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--window"):
        parse_sizes("5x", None)
