"""What a model is told after its code ran: short errors and hints for the common mistakes."""

from __future__ import annotations

import re

import pytest

from rlm_cli.engine import feedback, prompts

GROUP_ERROR = """Traceback (most recent call last):
  File "<cell>", line 3, in <module>
    print(m.group(1))
IndexError: no such group"""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (GROUP_ERROR, "no (...) group"),
        ("AttributeError: 'NoneType' object has no attribute 'group'", "returned None"),
        ("TypeError: 'NoneType' object is not subscriptable", "returned None"),
        ("IndexError: list index out of range", "Print len(...)"),
        ("NameError: name 'hits' is not defined", "`hits` does not exist now"),
        ("NameError: name 'Final' is not defined", 'capitals: FINAL("the answer")'),
        ("RuntimeError: worker died; the REPL was restarted and ALL your variables were lost", "restarted"),
        ('  File "<cell>", line 1\n    The answer\n      ^\nSyntaxError: invalid syntax', "only Python"),
        ("re.error: unterminated character set at position 0", "regex is invalid"),
        ("FileNotFoundError: [Errno 2] No such file or directory: 'app.log'", "variable `context`"),
        ("ModuleNotFoundError: No module named 'pandas'", "standard library"),
        ("TypeError: expected string or bytes-like object, got 'list'", "not a list"),
        ("KeyboardInterrupt: the cell ran past its time limit and was interrupted", "too slow"),
    ],
)
def test_common_errors_get_a_hint(error: str, expected: str) -> None:
    hint = feedback.error_hint(error)
    assert hint is not None and expected in hint


def test_an_unknown_error_gets_no_hint() -> None:
    assert feedback.error_hint("ZeroDivisionError: division by zero") is None


def test_the_summary_names_the_failing_line_and_the_error() -> None:
    summary = feedback.summarise(GROUP_ERROR)
    assert summary == feedback.ErrorSummary("IndexError: no such group", 3, "print(m.group(1))")


def test_compact_errors_are_two_lines_with_the_failing_source() -> None:
    shown = feedback.describe_error(GROUP_ERROR, compact=True)
    assert shown == "Error in line 3: print(m.group(1))\nIndexError: no such group"


def test_full_errors_keep_the_whole_cell_traceback() -> None:
    assert feedback.describe_error(GROUP_ERROR, compact=False) == "Error:\n" + GROUP_ERROR


@pytest.mark.parametrize(
    "output", ["[]\n", "0 []\n", "0\n", "None\n", "no match\n", "set()\n", "No error found.\n"]
)
def test_an_empty_result_calls_for_a_broader_search(output: str) -> None:
    assert feedback.output_hint(output) == feedback.EMPTY_HINT


def test_output_cut_for_length_says_to_print_less() -> None:
    output = "line\n" * 10 + "\n... [52000 characters cut: print less, or slice] ...\nmore\n"
    assert feedback.output_hint(output) == feedback.CUT_HINT


def test_nothing_printed_says_to_print() -> None:
    assert feedback.output_hint("") == feedback.SILENT_HINT


def test_a_useful_output_gets_no_hint() -> None:
    assert feedback.output_hint("1\n['10:02 ERROR E42 user=bob']\n") is None


def test_repeat_keys_ignore_whitespace_and_comments() -> None:
    a = feedback.repeat_key("x = 1  # first\nprint(x)\n", "1\n", None)
    b = feedback.repeat_key("# try again\nx = 1\n\n    print(x)\n", " 1", None)
    assert a == b


def test_repeat_nudges_get_stronger_and_stay_at_the_strongest() -> None:
    assert feedback.repeat_nudge(1) == feedback.REPEAT_NUDGES[0]
    assert feedback.repeat_nudge(2) == feedback.REPEAT_NUDGES[1]
    assert feedback.repeat_nudge(9) == feedback.REPEAT_NUDGES[-1]
    assert feedback.repeat_nudge(1, failed=False) == feedback.REPEAT_OUTPUT_NUDGES[0]


def test_a_step_report_carries_output_error_and_hint() -> None:
    report = prompts.step_report(1, 1, "", GROUP_ERROR, [], style=prompts.COMPACT)
    assert report.splitlines() == [
        "Code block output:",
        "(nothing printed)",
        "Error in line 3: print(m.group(1))",
        "IndexError: no such group",
        "Hint: " + feedback.error_hint(GROUP_ERROR),
    ]


def test_an_empty_regex_search_gets_a_plain_word_search_to_copy() -> None:
    code = 'pattern = r"ERROR request id=(\\w+) took \\d+ms"\nprint(re.findall(pattern, context))'
    hint = feedback.empty_hint(code, "Which request id failed with an ERROR?")
    assert 'lines = [line for line in context.splitlines() if "ERROR" in line]' in hint


def test_an_empty_plain_word_search_is_made_case_insensitive() -> None:
    code = 'lines = [line for line in context.splitlines() if "Timeout" in line]\nprint(lines)'
    assert '"timeout" in line.lower()' in feedback.empty_hint(code, "why the timeout?")


def test_without_a_search_word_the_empty_hint_is_general() -> None:
    assert feedback.empty_hint("print(len(context))", "how many?") == feedback.EMPTY_HINT


def test_output_cut_after_printing_everything_suggests_a_search_from_the_question() -> None:
    hint = feedback.cut_hint("print(context)", "Which request id failed with an ERROR?")
    assert feedback.plain_search("ERROR") in hint


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("Which request id failed with an ERROR?", "ERROR"),
        ("Which file defines the function reconcile_ledger?", "reconcile_ledger"),
        ("How many distinct users appear in the records?", "user"),
        ("What is the secret passphrase?", "passphrase"),
        ("How many records have the label 'feedback'? Answer like U12345.", "feedback"),
        ("Which file defines `render_ledger`?", "render_ledger"),
        ("how many?", None),
    ],
)
def test_the_question_word_is_the_one_most_likely_written_in_the_text(question: str, word: str | None) -> None:
    assert feedback.question_word(question) == word


@pytest.mark.parametrize(
    ("code", "bare"),
    [('FINAL("4")', True), ("FINAL_VAR('x')", True), ("FINAL(len(set(users)))", False), ("print(1)", False)],
)
def test_a_final_on_a_literal_is_an_answer_typed_in(code: str, bare: bool) -> None:
    assert feedback.is_bare_final(code) is bare


def test_with_several_files_the_plain_search_uses_grep_for_path_and_line() -> None:
    assert 'hits = grep("reconcile")' in feedback.plain_search("reconcile", several_files=True)


@pytest.mark.parametrize(
    ("code", "typed"),
    [("10\n['a.py', 'b.py']", True), ("'req-1'", True), ("print(10)", False), ("x = 10", False), ("", False)],
)
def test_a_block_of_bare_values_is_typed_output(code: str, typed: bool) -> None:
    assert feedback.is_typed_output(code) is typed


@pytest.mark.parametrize(("answer", "placeholder"), [("the answer", True), ("<answer>", True), ("", True),
                                                      ("bob", False), ("The answer is 42", False)])
def test_placeholders_copied_from_instructions_are_recognised(answer: str, placeholder: bool) -> None:
    assert feedback.is_placeholder(answer) is placeholder


def test_matches_that_only_echo_the_search_word_ask_for_whole_lines() -> None:
    output = "9\n" + "archive_catalog_report\n" * 9
    assert feedback.output_hint(output) == feedback.ECHO_HINT


def test_the_plain_search_prints_whole_lines_one_per_line() -> None:
    code = feedback.plain_search("ERROR")
    assert "for line in lines[:10]:\n    print(line)" in code


def test_a_value_printed_on_a_line_of_its_own_counts_as_printed_alone() -> None:
    outputs = ["116\nrecord 1 | label: billing"]
    assert feedback.printed_alone(" 116 ", outputs)
    assert not feedback.printed_alone("billing", outputs)


@pytest.mark.parametrize("several_files", [False, True])
def test_the_plain_search_for_a_word_with_backslashes_or_regex_characters_is_valid_code_that_finds_it(
    several_files: bool,
) -> None:
    import ast

    word = "C:\\Users\\x (copy)"
    code = feedback.plain_search(word, several_files).removeprefix("```repl\n").removesuffix("\n```")
    ast.parse(code)
    literal = code.split("grep(")[1].split(")\n")[0] if several_files else code.split(" if ")[1].split(" in line")[0]
    value = ast.literal_eval(literal)
    assert (re.search(value, f"a {word} b") is not None) if several_files else value == word
