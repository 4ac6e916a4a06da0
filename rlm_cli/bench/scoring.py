"""Scorers: each maps (model answer, known answer) to a score in [0, 1]; 1 only for the true answer."""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def contains_score(answer: str, expected: str) -> float:
    """1 when the expected token appears in the answer as a whole word (case-insensitive), else 0."""
    pattern = r"(?<![\w-])" + re.escape(expected) + r"(?![\w-])"
    return 1.0 if re.search(pattern, answer, re.IGNORECASE) else 0.0


def recall_score(answer: str, expected: Iterable[str]) -> float:
    """The share of the expected values that the answer names (several needles)."""
    wanted = list(expected)
    if not wanted:
        return 1.0
    return sum(contains_score(answer, value) for value in wanted) / len(wanted)


def numeric_score(answer: str, expected: float) -> float:
    """OOLONG's numeric scoring: 0.75 ** |error| on the last number in the answer (0 with none)."""
    numbers = _NUMBER.findall(answer.replace(",", ""))
    if not numbers:
        return 0.0
    return 0.75 ** abs(float(numbers[-1]) - expected)


def pair_f1(found: set[tuple[str, str]], expected: set[tuple[str, str]]) -> float:
    """F1 of the pairs named against the true pairs (OOLONG-Pairs); 1 when both are empty."""
    if not found and not expected:
        return 1.0
    hits = len(found & expected)
    if not hits:
        return 0.0
    precision = hits / len(found)
    recall = hits / len(expected)
    return 2 * precision * recall / (precision + recall)


def pairs_in(answer: str, id_pattern: str) -> set[tuple[str, str]]:
    """Pairs of ids written next to each other ("U1 and U2", "(U1, U2)", "U1-U2"), order ignored."""
    joined = rf"({id_pattern})\s*(?:,|-|&|/|\band\b|\+|:)?\s*({id_pattern})"
    out: set[tuple[str, str]] = set()
    for line in answer.splitlines():
        for a, b in re.findall(joined, line, re.IGNORECASE):
            a, b = a.upper(), b.upper()
            if a != b:
                out.add((min(a, b), max(a, b)))
    return out


def one_of_score(answer: str, expected: str, candidates: Iterable[str]) -> float:
    """1 when the answer names the expected item alone; naming other candidates too divides the
    credit among them (so listing every service or file scores low); 0 when it is missing."""
    if not contains_score(answer, expected):
        return 0.0
    named = {c for c in candidates if c != expected and contains_score(answer, c)}
    return 1.0 / (1 + len(named))
