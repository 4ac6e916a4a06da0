"""`rlm bench` end to end against the loopback model server, scripted from the tasks' known answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fake_openai import Reply, is_root, last_user
from typer.testing import CliRunner

from rlm_cli.bench import tasks
from rlm_cli.cli import app

runner = CliRunner()
SIZE = 2000
ARGS = ["bench", "--window", "1024", "--sizes", str(SIZE), "--families", "niah,counting", "--seeds", "1"]


def _question(body: dict[str, Any]) -> str:
    if is_root(body):
        return body["messages"][1]["content"]
    return last_user(body)


def knowing_handler(body: dict[str, Any]) -> Reply | str:
    """rlm (root requests) is right on niah and one off on counting; direct is the other way round."""
    text = _question(body)
    niah, counting = tasks.generate("niah", 1, SIZE), tasks.generate("counting", 1, SIZE)
    if is_root(body):
        answer = niah.expected if niah.question in text else str(int(counting.expected) + 1)
        return f'```repl\nFINAL("{answer}")\n```'
    if counting.question in text:
        return counting.expected
    return "I could not find it."


def table_rows(stdout: str) -> dict[str, list[str]]:
    """family -> cells; the first line groups the columns by method, the second names them."""
    lines = stdout.strip().splitlines()
    return {line.split()[0]: line.split() for line in lines[2:]}


def test_bench_prints_accuracy_per_family_and_method(serve) -> None:
    serve(knowing_handler)
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    groups, header = result.stdout.splitlines()[:2]
    assert groups.split() == ["------direct------", "-------rlm--------"]
    assert header.split() == ["family", "size", "chars", "acc", "tokens", "time", "acc", "tokens", "time"]
    rows = table_rows(result.stdout)
    assert list(rows) == ["counting", "niah"]
    assert (rows["niah"][3], rows["niah"][6]) == ("0.00", "1.00")
    assert (rows["counting"][3], rows["counting"][6]) == ("1.00", "0.75")


def test_cost_is_shown_when_the_model_has_a_price(serve, monkeypatch) -> None:
    serve(knowing_handler)
    monkeypatch.setenv("RLM_MODEL", "gpt-4.1-mini")
    result = runner.invoke(app, [*ARGS, "--families", "niah", "--json"])
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)["summary"][0]
    assert cells["direct"]["cost"] > 0 and cells["rlm"]["cost"] > 0
    table = runner.invoke(app, [*ARGS, "--families", "niah"]).stdout
    assert table.splitlines()[1].split() == [
        "family", "size", "chars", "acc", "tokens", "cost", "time", "acc", "tokens", "cost", "time"
    ]


def test_bench_json_has_every_task_and_the_summary(serve) -> None:
    serve(knowing_handler)
    result = runner.invoke(app, [*ARGS, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["complete"] is True
    assert {(t["family"], t["method"]) for t in doc["tasks"]} == {
        (f, m) for f in ("niah", "counting") for m in ("direct", "rlm")
    }
    niah_rlm = next(t for t in doc["tasks"] if (t["family"], t["method"]) == ("niah", "rlm"))
    assert niah_rlm["answer"] == niah_rlm["expected"] and niah_rlm["score"] == 1.0
    assert niah_rlm["input_tokens"] > 0 and niah_rlm["calls"] == 1
    assert [row["family"] for row in doc["summary"]] == ["counting", "niah"]


def test_bench_results_are_saved_under_the_data_dir(serve, isolated_env: Path) -> None:
    serve(knowing_handler)
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    saved = list((isolated_env / "data" / "bench").glob("*.json"))
    assert len(saved) == 1
    assert json.loads(saved[0].read_text())["summary"]
    assert str(saved[0]) in result.stderr


def test_direct_sees_only_the_window_and_says_where_it_was_cut(serve) -> None:
    server = serve(knowing_handler)
    result = runner.invoke(app, [*ARGS[:4], "20000", "--families", "niah", "--methods", "direct", "--json"])
    assert result.exit_code == 0, result.output
    task = json.loads(result.stdout)["tasks"][0]
    assert task["truncated_to"] is not None and task["truncated_to"] < 4000
    assert len(server.requests[0]["messages"][0]["content"]) < 4000 + 500


def test_an_rlm_task_over_its_timeout_is_recorded_as_timed_out(serve) -> None:
    serve(lambda body: Reply("```repl\nprint(1)\n```", delay=0.6))
    args = ["bench", "--methods", "rlm", "--sizes", "2000", "--families", "niah", "--timeout", "1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    task = doc["tasks"][0]
    assert task["status"] == "timeout" and task["score"] == 0.0
    assert task["error"] == "--timeout 1s ran out"
    assert doc["summary"][0]["rlm"]["failures"] == 1


def test_when_every_task_fails_the_exit_code_is_5(serve) -> None:
    serve(lambda body: Reply("bad request", status=400))
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 5
    assert result.stderr.splitlines()[-1].startswith("rlm: error: every task failed")


def test_direct_without_a_window_is_a_usage_error() -> None:
    result = runner.invoke(app, ["bench", "--sizes", "8000"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "rlm: error: the direct method needs the model's window: give --window TOKENS (or --methods rlm)"
    )


def test_an_unknown_family_is_a_usage_error() -> None:
    result = runner.invoke(app, ["bench", "--window", "4000", "--families", "haystack"])
    assert result.exit_code == 2
    assert "unknown family 'haystack'" in result.stderr
