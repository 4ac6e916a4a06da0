"""Run-wide budgets end to end: each limit ends the run with its exit code and the best answer so far."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fake_openai import Reply, is_root, scripted
from test_recursion import block, question_of, tree
from typer.testing import CliRunner

from rlm_cli.cli import app

runner = CliRunner()


def doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.txt"
    path.write_text("some input\n")
    return path


def ask(tmp_path: Path, *args: str):
    return runner.invoke(app, ["ask", str(doc(tmp_path)), "q", *args])


PARTIAL_THEN_FAN_OUT = block(
    "answer['content'] = 'partial'\nout = llm_query_batched([f'item {i}' for i in range(10)])\nprint(out)"
)


def test_max_subcalls_ends_the_run_with_exit_7_and_the_best_answer(serve, tmp_path: Path) -> None:
    server = serve(scripted([PARTIAL_THEN_FAN_OUT, block("FINAL('never asked')")]))
    result = ask(tmp_path, "--max-subcalls", "3")
    assert result.exit_code == 7, result.output
    assert result.stdout == "partial\n"
    assert "rlm: warning: --max-subcalls 3 ran out; best answer so far follows" in result.stderr
    assert len(server.sub_requests()) == 3
    assert len(server.root_requests()) == 1


def test_max_subcalls_holds_across_sixteen_concurrent_children(serve, tmp_path: Path) -> None:
    children = {f"part {i}": [block("print(llm_query_batched(['a', 'b', 'c']))")] for i in range(16)}
    server = serve(tree({"q": [block("print(rlm_query_batched([f'part {i}' for i in range(16)]))")], **children}))
    result = ask(tmp_path, "--max-depth", "2", "--concurrency", "16", "--max-subcalls", "30", "--json")
    assert result.exit_code == 7, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "exhausted" and data["exit_code"] == 7
    children_started = {question_of(r) for r in server.root_requests()} - {"q"}
    assert len(children_started) + len(server.sub_requests()) <= 30
    assert data["subcalls"] <= 30


def test_max_tokens_overshoots_by_no_more_than_the_calls_in_flight(serve, tmp_path: Path) -> None:
    children = {f"part {i}": [block("print(llm_query('hi'))")] for i in range(16)}
    serve(tree({"q": [block("print(rlm_query_batched([f'part {i}' for i in range(16)]))")], **children}))
    limit = 30_000
    result = ask(tmp_path, "--max-depth", "2", "--concurrency", "16", "--max-tokens", str(limit), "--json")
    assert result.exit_code == 8, result.output
    data = json.loads(result.stdout)
    largest_reply = 20
    assert data["usage"]["total_tokens"] <= limit + 16 * largest_reply
    assert "--max-tokens 30,000 ran out" in data["error"]


def test_max_cost_ends_the_run_with_exit_9_and_reports_cost_per_model(serve, tmp_path: Path) -> None:
    serve(scripted([block("answer['content'] = 'so far'\nprint(llm_query('x' * 4000))")]))
    result = ask(tmp_path, "-m", "gpt-4.1-mini", "--max-cost", "0.002", "--json")
    assert result.exit_code == 9, result.output
    data = json.loads(result.stdout)
    assert data["answer"] == "so far"
    assert 0.001 < data["usage"]["cost"] <= 0.002 + 0.0001
    assert data["usage_by_model"]["gpt-4.1-mini"]["cost"] == data["usage"]["cost"]


def test_max_cost_on_a_model_with_no_known_price_is_a_config_error(serve, tmp_path: Path) -> None:
    server = serve(scripted([block("FINAL('x')")]))
    result = ask(tmp_path, "--max-cost", "1")
    assert result.exit_code == 4
    assert 'rlm: error: --max-cost needs a price for model \'test-model\'' in result.stderr
    assert '[prices."test-model"]' in result.stderr
    assert server.requests == []


def test_a_price_in_the_config_file_prices_the_model(serve, tmp_path: Path, isolated_env: Path) -> None:
    isolated_env.mkdir(parents=True, exist_ok=True)
    (isolated_env / "config.toml").write_text('[prices."test-model"]\ninput = 1000\noutput = 2000\n')
    serve(scripted([block("FINAL(llm_query('hello'))")]))
    result = ask(tmp_path, "--max-cost", "100", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    usage = data["usage_by_model"]["test-model"]
    assert usage["cost"] == round((usage["input_tokens"] * 1000 + usage["output_tokens"] * 2000) / 1e6, 6)


def test_the_summary_on_stderr_gives_cost_and_usage_per_model(serve, tmp_path: Path) -> None:
    serve(scripted([block("FINAL(llm_query('hello', model='gpt-4.1-nano'))")]))
    result = ask(tmp_path, "-m", "gpt-4.1-mini")
    assert result.exit_code == 0, result.output
    summary = result.stderr.splitlines()
    assert any(line.startswith("rlm: confirmed after 1 iteration(s), 1 sub-call(s)") and "$0.0" in line
               for line in summary)
    assert any(line.startswith("rlm:   gpt-4.1-nano: 1 call(s)") for line in summary)


def test_timeout_cuts_a_slow_request_and_exits_10(serve, tmp_path: Path) -> None:
    serve(scripted([block("answer['content'] = 'so far'\nprint(llm_query('slow'))")],
                   sub=lambda p: Reply("late", delay=5)))
    started = time.monotonic()
    result = ask(tmp_path, "--timeout", "1")
    assert result.exit_code == 10, result.output
    assert time.monotonic() - started < 2.5
    assert result.stdout == "so far\n"
    assert "rlm: warning: --timeout 1s ran out; best answer so far follows" in result.stderr


def test_timeout_interrupts_a_runaway_cell(serve, tmp_path: Path) -> None:
    serve(scripted([block("answer['content'] = 'so far'\nwhile True:\n    pass")]))
    started = time.monotonic()
    result = ask(tmp_path, "--timeout", "1")
    assert result.exit_code == 10, result.output
    assert time.monotonic() - started < 4
    assert result.stdout == "so far\n"


def test_a_budget_that_runs_out_before_any_answer_says_so(serve, tmp_path: Path) -> None:
    serve(lambda body: Reply(block("print(1)")) if is_root(body) else "x")
    result = ask(tmp_path, "--max-tokens", "10")
    assert result.exit_code == 8
    assert result.stdout == ""
    assert "rlm: warning: --max-tokens 10 is too small: the first request alone needs about " in result.stderr
    assert "tokens (estimate), so raise it; no answer yet" in result.stderr


def test_a_limit_that_can_never_be_met_is_a_config_error(serve, tmp_path: Path, monkeypatch) -> None:
    server = serve(scripted([block("FINAL('x')")]))
    assert "--max-cost must be positive" in ask(tmp_path, "--max-cost", "0").stderr
    monkeypatch.setenv("RLM_MAX_TOKENS", "lots")
    result = ask(tmp_path)
    assert result.exit_code == 4
    assert "RLM_MAX_TOKENS: max_tokens must be int, got 'lots'" in result.stderr
    assert server.requests == []


def test_timeout_stops_sixteen_children_in_flight(serve, tmp_path: Path) -> None:
    children = {f"part {i}": [Reply(block("FINAL('late')"), delay=10)] for i in range(16)}
    fan_out = "answer['content'] = 'so far'\nprint(rlm_query_batched([f'part {i}' for i in range(16)]))"
    serve(tree({"q": [block(fan_out)], **children}))
    started = time.monotonic()
    result = ask(tmp_path, "--max-depth", "2", "--concurrency", "16", "--timeout", "2")
    assert result.exit_code == 10, result.output
    assert time.monotonic() - started < 5
    assert result.stdout == "so far\n"


def test_max_cost_holds_across_sixteen_concurrent_children(serve, tmp_path: Path) -> None:
    children = {f"part {i}": [block(f"print(llm_query('hi {i}' * 50))")] for i in range(16)}
    serve(tree({"q": [block("print(rlm_query_batched([f'part {i}' for i in range(16)]))")], **children}))
    limit = 0.01
    result = ask(tmp_path, "-m", "gpt-4.1-mini", "--max-depth", "2", "--concurrency", "16", "--max-cost", str(limit),
                 "--no-cache", "--json")
    assert result.exit_code == 9, result.output
    data = json.loads(result.stdout)
    largest_reply_cost = 100 * 1.60 / 1e6
    assert data["usage"]["cost"] <= limit + 16 * largest_reply_cost
