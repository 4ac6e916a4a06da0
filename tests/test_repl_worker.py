"""The REPL worker process driven through ReplHost: persistence, helpers, FINAL, output limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rlm_cli.corpus import Corpus, Part
from rlm_cli.repl.host import QueryRequest, ReplHost


def echo(request: QueryRequest) -> list[str]:
    return [f"{request.kind}:{p}" for p in request.prompts]


@pytest.fixture
def repl() -> Iterator[ReplHost]:
    corpus = Corpus.from_parts([Part("a.txt", "text", 11, "hello world")])
    with ReplHost(corpus, echo, output_limit=400) as host:
        yield host


def test_variables_persist_between_cells(repl: ReplHost) -> None:
    repl.execute("words = context.split()")
    assert repl.execute("print(len(words))").output == "2\n"


def test_a_trailing_expression_is_shown_like_a_notebook(repl: ReplHost) -> None:
    assert repl.execute("context[:5]").output == "'hello'\n"


def test_rebinding_context_is_undone_and_reported(repl: ReplHost) -> None:
    cell = repl.execute("context = 'gone'")
    assert cell.restored == ["context"]
    assert repl.execute("print(context)").output == "hello world\n"


def test_final_ends_the_cell_at_once(repl: ReplHost) -> None:
    cell = repl.execute("FINAL('yes')\nprint('not reached')")
    assert cell.final == "yes" and cell.output == ""


def test_final_spelled_final_or_final_in_lower_case_is_accepted(repl: ReplHost) -> None:
    assert repl.execute("Final('a')").final == "a"
    assert repl.execute("final('b')").final == "b"


def test_a_variable_named_final_shadows_the_alias_and_is_listed(repl: ReplHost) -> None:
    repl.execute("final = 3")
    assert "final" in repl.execute("print(SHOW_VARS())").output


def test_final_var_takes_a_name_or_a_value(repl: ReplHost) -> None:
    assert repl.execute("n = 42\nFINAL_VAR('n')").final == "42"
    assert repl.execute("FINAL_VAR([1, 2])").final == "[\n  1,\n  2\n]"


def test_the_answer_dict_protocol_finishes_when_ready(repl: ReplHost) -> None:
    cell = repl.execute("answer['content'] = 'draft'")
    assert cell.final is None and cell.partial == "draft"
    assert repl.execute("answer['ready'] = True").final == "draft"


def test_show_vars_lists_only_the_models_variables(repl: ReplHost) -> None:
    repl.execute("total = 3")
    assert repl.execute("SHOW_VARS()").output == "{'total': 'int'}\n"


def test_model_calls_go_through_the_host(repl: ReplHost) -> None:
    assert repl.execute("llm_query('q1')").output == "'llm:q1'\n"
    assert repl.execute("llm_query_batched(['a', 'b'])").output == "['llm:a', 'llm:b']\n"


def test_batched_call_with_one_string_is_a_clear_error(repl: ReplHost) -> None:
    cell = repl.execute("llm_query_batched('abc')")
    assert cell.error is not None and "not one string" in cell.error


def test_long_output_keeps_head_and_tail_so_the_traceback_survives(repl: ReplHost) -> None:
    cell = repl.execute("print('start')\nfor i in range(10000): print(i)\nraise ValueError('at the end')")
    assert cell.output.startswith("start\n")
    assert "characters cut" in cell.output and cell.output.rstrip().endswith("9999")
    assert cell.error is not None and cell.error.endswith("ValueError: at the end")


def test_a_syntax_error_is_reported_not_raised(repl: ReplHost) -> None:
    cell = repl.execute("def f(:\n  pass")
    assert cell.error is not None and "SyntaxError" in cell.error


def test_a_cell_sends_only_its_code_never_the_context() -> None:
    """The context is handed over once at start; per-cell traffic does not grow with the input."""
    sent: list[int] = []
    big = Corpus.from_parts([Part("big.txt", "text", 5_000_000, "x" * 5_000_000)])
    with ReplHost(big, echo) as host:
        original = host._send

        def counting(message: dict) -> None:
            sent.append(len(repr(message)))
            original(message)

        host._send = counting  # type: ignore[method-assign]
        assert host.execute("print(len(context))").output == "5000000\n"
    assert max(sent) < 1000
