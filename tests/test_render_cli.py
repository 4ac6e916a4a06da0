"""`rlm ask` picks its renderer: plain lines on a non-terminal stderr, nothing with -q, events with --jsonl."""

from __future__ import annotations

import json
from pathlib import Path

from fake_openai import scripted
from typer.testing import CliRunner

from rlm_cli.cli import app

runner = CliRunner()
TURNS = [
    "Looking.\n```repl\nprint(llm_query('hi'))\n```",
    "```repl\nFINAL('done')\n```",
]


def ask(tmp_path: Path, *flags: str):
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    return runner.invoke(app, ["ask", str(doc), "q?", *flags])


def test_a_non_terminal_stderr_gets_plain_lines_without_escape_codes(serve, tmp_path: Path) -> None:
    serve(scripted(TURNS))
    result = ask(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "done\n"
    lines = result.stderr.splitlines()
    assert "[iteration 1/20]" in lines and "  model: Looking." in lines
    assert any(line.startswith("    └ llm_query s1 test-model: ") for line in lines)
    assert any(line.startswith("rlm: confirmed after 2 iteration(s), 1 sub-call(s)") for line in lines)
    assert "\x1b" not in result.stderr


def test_quiet_prints_only_the_answer(serve, tmp_path: Path) -> None:
    serve(scripted(TURNS))
    result = ask(tmp_path, "-q")
    assert result.exit_code == 0
    assert result.stdout == "done\n"
    assert result.stderr == ""


def test_jsonl_prints_every_event_as_json_and_nothing_else(serve, tmp_path: Path) -> None:
    serve(scripted(TURNS))
    result = ask(tmp_path, "--jsonl")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    types = [r["type"] for r in records]
    assert types[0] == "input_loaded" and types[-1] == "run_finished"
    assert {"run_started", "root_delta", "root_message", "code_started", "subcall_finished"} <= set(types)
    assert records[-1]["result"]["answer"] == "done"
    assert "rlm: confirmed" not in result.stderr


def test_a_model_with_no_price_gets_no_cost_in_the_summary(serve, tmp_path: Path) -> None:
    serve(scripted(TURNS))
    for flags in ((), ("--max-tokens", "100")):
        result = ask(tmp_path, *flags)
        summary = [line for line in result.stderr.splitlines() if line.startswith("rlm: ") and " after " in line]
        assert summary and "$" not in summary[0], result.stderr


def test_an_input_with_escape_sequences_reaches_stderr_visibly(serve, tmp_path: Path) -> None:
    serve(scripted(["```repl\nprint(context)\n```", "```repl\nFINAL('done')\n```"]))
    doc = tmp_path / "evil.txt"
    doc.write_text("a\x1b]0;PWNED\x07b\x1b[2J")
    result = runner.invoke(app, ["ask", str(doc), "q?"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stderr and "a\\x1b]0;PWNED\\x07b\\x1b[2J" in result.stderr
