"""QA fixes: FINAL_VAR on an unknown name, the last call's answer, budget and question limits, the
Python API's errors, and --max-input-size counting only what is loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_openai import scripted
from ingest_helpers import tree
from typer.testing import CliRunner

import rlm_cli
from rlm_cli.cli import app
from rlm_cli.errors import ExitCode, InputError, ModelError
from rlm_cli.ingest import IngestOptions, load_corpus

runner = CliRunner()
NO_VARIABLE = "FINAL_VAR: no variable named 'nonexistent'; define it first or use FINAL(value)"


def block(code: str) -> str:
    return f"```repl\n{code}\n```"


def ask(*args: str):
    return runner.invoke(app, ["ask", *args])


def doc(tmp_path: Path) -> str:
    path = tmp_path / "doc.txt"
    path.write_text("some input\n")
    return str(path)


def test_final_var_on_an_unknown_name_is_an_error_fed_back_to_the_model(serve, tmp_path: Path) -> None:
    server = serve(scripted([block('FINAL_VAR("nonexistent")'), block('FINAL("real")')]))
    result = ask(doc(tmp_path), "q?")
    assert result.exit_code == 0, result.output
    assert result.stdout == "real\n"
    assert NO_VARIABLE in server.root_requests()[1]["messages"][-1]["content"]


def test_final_var_still_accepts_a_value_that_is_not_a_name(serve, tmp_path: Path) -> None:
    serve(scripted([block('FINAL_VAR(42)'), block('FINAL("never")')]))
    assert ask(doc(tmp_path), "q?").stdout == "42\n"


def test_a_prose_final_var_on_an_unknown_name_does_not_confirm(serve, tmp_path: Path) -> None:
    server = serve(scripted([block("print(1)"), "Done: FINAL_VAR(nonexistent)", block('FINAL("real")')]))
    result = ask(doc(tmp_path), "q?")
    assert result.exit_code == 0, result.output
    assert result.stdout == "real\n"
    assert NO_VARIABLE in server.root_requests()[2]["messages"][-1]["content"]


def test_out_of_iterations_the_last_reply_s_code_is_never_printed_as_the_answer(serve, tmp_path: Path) -> None:
    serve(scripted([block("print(len(context))")]))
    result = ask(doc(tmp_path), "q?", "--max-iterations", "2")
    assert result.exit_code == ExitCode.MAX_ITERATIONS
    assert result.stdout == ""
    assert "no answer" in result.stderr
    assert "print(len(context))" not in result.stderr


def test_out_of_iterations_the_best_partial_answer_beats_the_last_reply_s_code(serve, tmp_path: Path) -> None:
    serve(scripted([block("answer['content'] = 'partial'"), block("print(1)")]))
    result = ask(doc(tmp_path), "q?", "--max-iterations", "2")
    assert result.exit_code == ExitCode.MAX_ITERATIONS
    assert result.stdout == "partial\n"


def test_out_of_iterations_the_last_reply_s_prose_is_kept_without_its_code(serve, tmp_path: Path) -> None:
    serve(scripted([block("print(1)"), block("print(2)"), "It is 11 bytes.\n" + block("print(len(context))")]))
    result = ask(doc(tmp_path), "q?", "--max-iterations", "2")
    assert result.exit_code == ExitCode.MAX_ITERATIONS
    assert result.stdout == "It is 11 bytes.\n"


def test_out_of_iterations_a_prose_final_in_the_last_reply_wins(serve, tmp_path: Path) -> None:
    serve(scripted([block("answer['content'] = 'partial'"), block("print(2)"), "FINAL(eleven)\n" + block("print(1)")]))
    result = ask(doc(tmp_path), "q?", "--max-iterations", "2")
    assert result.stdout == "eleven\n"


def test_a_token_budget_below_the_first_request_says_how_much_it_needs(serve, tmp_path: Path) -> None:
    server = serve(scripted([block('FINAL("x")')]))
    result = ask(doc(tmp_path), "q?", "--max-tokens", "100")
    assert result.exit_code == ExitCode.MAX_TOKENS
    assert "--max-tokens 100 is too small: the first request alone needs about " in result.stderr
    assert "(0 tokens used)" not in result.stderr
    assert server.requests == []


def test_a_question_over_the_limit_is_an_input_error_before_any_request(serve, tmp_path: Path) -> None:
    server = serve(scripted([block('FINAL("x")')]))
    result = ask(doc(tmp_path), "x" * 120_000)
    assert result.exit_code == ExitCode.INPUT
    assert result.stderr.startswith("rlm: error: the question is 120,000 characters (the limit is 4,000")
    assert "put the long text in a file or pipe it on stdin" in result.stderr
    assert server.requests == []


def test_the_api_refuses_a_question_over_the_limit() -> None:
    with pytest.raises(InputError, match="the question is 5,000 characters"):
        rlm_cli.ask("q" * 5000, "text", base_url="http://127.0.0.1:9/v1", api_key="k")


def test_the_api_raises_a_model_error_when_the_endpoint_is_down() -> None:
    with pytest.raises(ModelError) as caught:
        rlm_cli.ask("q", "x", base_url="http://127.0.0.1:9/v1", api_key="k", retries=0, log=False)
    assert caught.value.exit_code == ExitCode.MODEL
    assert caught.value.result.status == "error"


def test_the_api_still_returns_a_result_when_a_budget_runs_out(serve) -> None:
    serve(scripted([block("print(1)")]))
    result = rlm_cli.ask("q", "x", max_tokens=100, log=False)
    assert (result.status, result.exit_code) == ("exhausted", ExitCode.MAX_TOKENS)


def text_and_binary(tmp_path: Path) -> Path:
    return tree(tmp_path / "p", {"a.txt": "t" * 60, "blob.bin": bytes(range(256)) * 8})


def test_files_skipped_as_binary_do_not_count_towards_max_input_size(tmp_path: Path) -> None:
    corpus = load_corpus([str(text_and_binary(tmp_path))], IngestOptions(max_input_size=1024))
    assert [d.path.rsplit("/", 1)[1] for d in corpus.documents] == ["a.txt"]
    assert [s.reason for s in corpus.skipped] == ["binary"]


def test_a_dry_run_ignores_skipped_binary_files_in_the_limit(tmp_path: Path) -> None:
    result = ask("--dry-run", "--max-input-size", "1K", str(text_and_binary(tmp_path)))
    assert result.exit_code == 0, result.output


def test_a_dry_run_over_the_limit_lists_the_manifest_then_fails(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x" * 700, "b.txt": "y" * 700})
    result = ask("--dry-run", "--json", "--max-input-size", "1K", str(root))
    assert result.exit_code == ExitCode.INPUT
    manifest = json.loads(result.stdout)
    assert manifest["totals"]["files"] == 2
    assert result.stderr.startswith("rlm: error: the input is over --max-input-size (1.4 KiB > 1.0 KiB)")
