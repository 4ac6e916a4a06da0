"""`rlm show` says how a run ended: its error, or that it is still running, as `rlm logs` does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fake_openai import Reply, scripted
from typer.testing import CliRunner

from rlm_cli import trace
from rlm_cli.cli import app
from rlm_cli.events import RunStarted

runner = CliRunner()


def test_show_prints_the_error_a_run_ended_with(serve, tmp_path: Path) -> None:
    serve(scripted([Reply("no", status=401)]))
    doc = tmp_path / "doc.txt"
    doc.write_text("text\n")
    assert runner.invoke(app, ["ask", str(doc), "what?"]).exit_code != 0
    error = trace.load(trace.resolve("last")).result["error"]
    shown = runner.invoke(app, ["show", "last"])
    assert shown.exit_code == 0, shown.output
    assert error and f"rlm: error: {error}" in " ".join(shown.stdout.split())


@pytest.mark.skipif(os.name != "posix", reason="reading a log while its writer runs is checked on POSIX")
def test_show_of_a_running_run_says_running_like_logs() -> None:
    store = trace.TraceStore(trace.runs_dir(), keep=5, inputs=[])
    store(RunStarted(run_id="r-live", question="q", model="m", sub_model="m", max_iterations=1, documents=0, chars=0))
    try:
        listed = runner.invoke(app, ["logs"])
        shown = runner.invoke(app, ["show", "last"])
    finally:
        store.close()
    assert "running" in listed.stdout
    assert "rlm: running:" in shown.stdout and "incomplete" not in shown.stdout


def test_logs_and_show_draw_escape_sequences_in_a_question_visibly() -> None:
    store = trace.TraceStore(trace.runs_dir(), keep=5, inputs=[])
    question = "q \x1b]0;PWNED\x07\x1b[2J"
    store(
        RunStarted(run_id="r-esc", question=question, model="m", sub_model="m", max_iterations=1, documents=0, chars=1)
    )
    store.close()
    for args in (["logs"], ["show", "last"]):
        out = runner.invoke(app, args).stdout
        assert "\x1b]0;" not in out and "\x1b[2J" not in out and "\\x1b]0;PWNED" in out, args
