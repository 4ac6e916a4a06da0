"""The first search a small model is shown: shaped by the question and the input."""

from __future__ import annotations

import re

import pytest

from rlm_cli.engine import feedback, first_search

LOG = "08:00 INFO service=api ok\n08:01 ERROR service=queue broker lost leader\n"


@pytest.mark.parametrize(
    ("question", "text", "word"),
    [
        ("Which service failed first and took the others down?", LOG, "ERROR"),
        ("Why did the rollout fail?", "Traceback (most recent call last):\n", "Traceback"),
        ("Which service failed first?", "no levels here\n", "service"),
        ("How many records have the label 'billing'?", LOG, "billing"),
        ("Which request failed with error E42?", LOG, "E42"),
        ("Which user logged in last?", LOG, "logged"),
    ],
)
def test_the_first_search_for_a_failure_question_over_a_log_is_its_error_level(
    question: str, text: str, word: str
) -> None:
    assert first_search.first_search_word(question, text) == word


def test_a_which_file_defines_question_searches_for_the_definition_not_every_use() -> None:
    search = first_search.definition_search("Which file defines `load_ledger`?", "load_ledger")
    assert search is not None and r"\s+load_ledger\b" in search and "def|class" in search


@pytest.mark.parametrize(
    ("question", "word"),
    [("Where is ledger used?", "ledger"), ("Which file calls `load_ledger`?", "load_ledger"),
     ("Which file defines the ledger?", "ledger")],
)
def test_other_questions_get_no_definition_search(question: str, word: str) -> None:
    assert first_search.definition_search(question, word) is None


def test_a_how_many_distinct_question_counts_the_values_written_after_the_word() -> None:
    search = first_search.first_search("How many distinct users appear in the records?", "user=al user=bo user=al\n")
    assert search is not None
    code = search.removeprefix("```repl\n").removesuffix("\n```")
    printed: list[object] = []
    exec(code, {"re": re, "context": "1 user=al x\n2 user: bo y\n3 user=al z\n", "print": printed.append})
    assert printed == [2, "al", "bo"]


def test_a_how_many_question_without_distinct_counts_lines() -> None:
    search = first_search.first_search("How many records have the label 'billing'?", "label: billing\n")
    assert search == feedback.plain_search("billing")
