"""The question is restated to the root model every turn, so it must stay short: text to work on
belongs in the input, where only code reads it."""

from __future__ import annotations

from rlm_cli.errors import InputError

MAX_QUESTION_CHARS = 4000


def check_question(question: str) -> str:
    """The question as given; InputError when it is too long to resend every turn."""
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is {len(question):,} characters (the limit is {MAX_QUESTION_CHARS:,}; it is resent "
            "to the model every turn): put the long text in a file or pipe it on stdin as the input, "
            "and ask a short question about it"
        )
    return question
