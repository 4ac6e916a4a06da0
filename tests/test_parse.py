"""Reading the root model's reply: code blocks and text FINAL edge cases."""

from __future__ import annotations

from rlm_cli.engine.parse import TextFinal, code_blocks, text_final


def test_repl_and_python_blocks_run_in_order() -> None:
    reply = "a\n```repl\nx = 1\n```\nthen\n```python\nprint(x)\n```\n```bash\nls\n```"
    assert code_blocks(reply) == ["x = 1\n", "print(x)\n"]


def test_an_unclosed_fence_from_a_cut_reply_is_not_run() -> None:
    assert code_blocks("```repl\nprint(1)\n```\n```repl\nwhile Tr") == ["print(1)\n"]


def test_final_keeps_nested_parentheses() -> None:
    assert text_final("FINAL(f(x) = (a + b) * (c))") == TextFinal("f(x) = (a + b) * (c)", False)


def test_final_may_span_lines() -> None:
    reply = "Done.\nFINAL(The causes were:\n1. a timeout\n2. a retry storm)\n"
    assert text_final(reply) == TextFinal("The causes were:\n1. a timeout\n2. a retry storm", False)


def test_final_with_a_trailing_period_keeps_the_answer_whole() -> None:
    assert text_final("FINAL(req-1234 failed at 10:34. It timed out).") == TextFinal(
        "req-1234 failed at 10:34. It timed out", False
    )


def test_final_with_a_quoted_literal_is_unquoted() -> None:
    assert text_final('FINAL("it\'s (probably) 42")') == TextFinal("it's (probably) 42", False)


def test_prose_apostrophes_do_not_break_parenthesis_matching() -> None:
    assert text_final("FINAL(the user's id is 7) and more") == TextFinal("the user's id is 7", False)


def test_final_var_names_a_variable() -> None:
    assert text_final("FINAL_VAR(result)") == TextFinal("result", True)
    assert text_final("FINAL_VAR('result')") == TextFinal("result", True)


def test_words_that_merely_contain_final_do_not_count() -> None:
    assert text_final("The SEMIFINAL(s) were played; x.FINAL(3)") is None


def test_an_empty_final_is_no_answer() -> None:
    assert text_final("FINAL()") is None
