"""The first search suggested to a small model, shaped by the question and the input.

Small models copy the first step they are shown, so the step decides most runs: "which file
defines `name`?" needs the definition, not every use; "how many distinct users?" needs distinct
values, not lines; a question about failures over a log needs its error lines, not every line
with "service". Anything else searches for the word of the question most likely in the text.
"""

from __future__ import annotations

import re

from rlm_cli.engine.feedback import QUOTED, looks_like_code, plain_search, question_word

DEFINERS = r"(?:def|class|function|func|fn|struct|interface|enum|trait|type|const|let|var)\s+"
_DEFINITION_QUESTION = re.compile(r"\bdefin(?:e|es|ed|ing|ition)\b|\bdeclar(?:e|es|ed|ation)\b", re.IGNORECASE)


def is_identifier(word: str) -> bool:
    """A name as code writes it: snake_case, camelCase or with digits (not a plain English word)."""
    return bool(re.fullmatch(r"[A-Za-z_]\w*", word)) and (
        "_" in word or any(c.isdigit() for c in word) or bool(re.search(r"[a-z][A-Z]", word))
    )


def definition_search(question: str, word: str | None) -> str | None:
    """For "which file defines `name`?": a grep for where it is defined, not every place it is used
    (callers and imports outnumber the definition, and a small model answers with the first hit)."""
    if word is None or not is_identifier(word) or not _DEFINITION_QUESTION.search(question):
        return None
    return (
        f'```repl\nhits = grep(r"{DEFINERS}{word}\\b")\nprint(len(hits))\nfor hit in hits[:10]:\n    print(hit)\n```'
    )


_DISTINCT_QUESTION = re.compile(
    r"\b(?:how many|number of|count(?: of)?(?: the)?)\s+(?:distinct|unique|different)\b", re.IGNORECASE
)


def distinct_search(question: str, word: str | None) -> str | None:
    """For "how many distinct users?": the values written after the word (user=alice, user: bob),
    counted once each (the set is made in the first line: a small model rewrites the rest into the
    worked example's shape). Counting the lines that mention the word answers a different question."""
    if word is None or not re.fullmatch(r"[A-Za-z_][\w-]*", word) or not _DISTINCT_QUESTION.search(question):
        return None
    return (
        f'```repl\ndistinct = sorted(set(re.findall(r"\\b{word}\\W{{1,3}}([\\w.:@/-]+)", context)))\n'
        "print(len(distinct))\nfor value in distinct[:10]:\n    print(value)\n```"
    )


_FAILURE_QUESTION = re.compile(
    r"\b(?:fail\w*|error\w*|crash\w*|outage|exception\w*|broke\w*|went wrong|root cause|go(?:ne|es)? down)\b",
    re.IGNORECASE,
)
LOG_LEVELS = ("ERROR", "FATAL", "CRITICAL", "Traceback", "Exception")


def failure_word(question: str, text: str) -> str | None:
    """For a question about failures over a log: the error level the text uses ("ERROR", ...), which
    finds the failing lines where a word of the question ("failed", "service") finds noise or nothing."""
    if not _FAILURE_QUESTION.search(question):
        return None
    return next((level for level in LOG_LEVELS if level in text), None)


def first_search_word(question: str, text: str) -> str | None:
    """The word a good first search looks for: a quoted word or code in the question first, then the
    error level of a log for a question about failures, then the question's likeliest word."""
    word = question_word(question)
    if word is not None and (QUOTED.search(question) or looks_like_code(word)):
        return word
    return failure_word(question, text) or word


def first_search(question: str, text: str, several_files: bool = False) -> str | None:
    """The code suggested as a first step: shaped by the question (a definition, a distinct count),
    else every line with the word the text most likely uses."""
    word = first_search_word(question, text)
    if word is None:
        return None
    return definition_search(question, word) or distinct_search(question, word) or plain_search(word, several_files)
