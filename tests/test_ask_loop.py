"""`rlm ask` end to end: the real CLI, the real worker process, the loopback model server."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fake_openai import Reply, scripted
from typer.testing import CliRunner

from rlm_cli.cli import app

runner = CliRunner()


def ask(*args: str, input: str | None = None):
    return runner.invoke(app, ["ask", *args], input=input)


def write_log(tmp_path: Path) -> Path:
    lines = [f"2026-11-01T10:{i % 60:02d}:00 INFO request id=req-{i} ok" for i in range(2000)]
    lines[1234] = "2026-11-01T10:34:00 ERROR request id=req-1234 failed: upstream timeout"
    log = tmp_path / "app.log"
    log.write_text("\n".join(lines) + "\n")
    return log


SEARCH = """I will search the log.
```repl
import re
failed = re.findall(r"id=(req-\\d+) failed", context)
print(failed)
```"""


def test_searches_context_in_code_and_answers_with_final_var(serve, tmp_path: Path) -> None:
    log = write_log(tmp_path)
    server = serve(scripted([SEARCH, "```repl\nresult = ', '.join(failed)\nFINAL_VAR('result')\n```"]))
    result = ask(str(log), "which request ids failed?")
    assert result.exit_code == 0, result.output
    assert result.stdout == "req-1234\n"
    second_turn = server.root_requests()[1]["messages"][-1]["content"]
    assert "['req-1234']" in second_turn
    assert "which request ids failed?" in second_turn and "Turn 2 of 20" in second_turn


def test_the_input_never_reaches_the_root_prompt(serve, tmp_path: Path) -> None:
    log = write_log(tmp_path)
    server = serve(scripted(['```repl\nFINAL("done")\n```']))
    assert ask(str(log), "q?").exit_code == 0
    sent = json.dumps(server.requests)
    assert "req-1234 failed" not in sent
    assert "2,000 lines" in sent or "2000" in sent


def test_batched_subcalls_run_concurrently_and_keep_order(serve, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("x" * 1000)
    code = (
        "```repl\nanswers = llm_query_batched([f'item {i}' for i in range(20)])\n"
        "FINAL(' '.join(a.split()[-1] for a in answers))\n```"
    )
    serve(scripted([code], sub=lambda p: Reply(f"answer {p.split()[-1]}", delay=0.2)))
    started = time.monotonic()
    result = ask(str(doc), "q", "--concurrency", "20")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [str(i) for i in range(20)]
    assert elapsed < 20 * 0.2 / 2


def test_a_failed_subcall_becomes_an_error_string(serve, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    code = "```repl\nout = llm_query_batched(['good', 'bad'])\nFINAL(repr(out))\n```"
    serve(scripted([code], sub=lambda p: Reply("fine") if p == "good" else Reply("boom", status=400)))
    result = ask(str(doc), "q")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("['fine', 'ERROR: ")


def test_max_iterations_asks_once_more_and_reports_unconfirmed(serve, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    turns = ["```repl\nprint(len(context))\n```"] * 3 + ["FINAL(it has 5 characters)"]
    server = serve(scripted(turns))
    result = ask(str(doc), "how long?", "--max-iterations", "3", "--json")
    assert result.exit_code == 6
    data = json.loads(result.stdout)
    assert data["status"] == "unconfirmed"
    assert data["answer"] == "it has 5 characters"
    assert len(server.root_requests()) == 4


def test_an_exception_in_model_code_is_shown_and_the_run_recovers(serve, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("alpha beta")
    server = serve(scripted(["```repl\nx = context.split()[5]\n```", "```repl\nFINAL(context.split()[1])\n```"]))
    result = ask(str(doc), "second word?")
    assert result.exit_code == 0
    assert result.stdout == "beta\n"
    feedback = server.root_requests()[1]["messages"][-1]["content"]
    assert "IndexError: list index out of range" in feedback
    assert "x = context.split()[5]" in feedback


def test_a_model_error_mid_run_is_one_line_and_exit_5(serve, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    serve(scripted(["```repl\nprint(1)\n```", Reply("overloaded", status=500)]))
    result = ask(str(doc), "q")
    assert result.exit_code == 5
    assert "rlm: error:" in result.stderr
    assert "Traceback" not in result.output


def test_stdin_is_the_input_when_no_path_is_given(serve) -> None:
    serve(scripted(["```repl\nFINAL(context.strip().upper())\n```"]))
    result = ask("shout it", input="piped text\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "PIPED TEXT\n"


def test_json_document_has_answer_usage_and_inputs(serve, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    serve(scripted(["```repl\nFINAL(llm_query('hi'))\n```"], sub=lambda p: "sub says hi"))
    result = ask(str(doc), "q", "--json")
    data = json.loads(result.stdout)
    assert data["answer"] == "sub says hi"
    assert data["status"] == "confirmed" and data["exit_code"] == 0
    assert data["subcalls"] == 1 and data["iterations"] == 1
    assert data["usage"]["total_tokens"] > 0
    assert data["inputs"]["documents"] == 1 and data["inputs"]["paths"] == [str(doc)]
    assert data["model"] == "test-model"
