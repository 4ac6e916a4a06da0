"""Run history: every run kept as an append-only log, listed by `rlm logs`, replayed by `rlm show`."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from fake_openai import Reply, scripted
from typer.testing import CliRunner

from rlm_cli import paths, trace
from rlm_cli.cli import app
from rlm_cli.events import RootDelta, RunStarted, SubcallStarted, event_from_dict

runner = CliRunner()

STEP = "```repl\nparts = llm_query_batched(['alpha', 'beta'])\nprint(parts)\n```"
FINISH = "```repl\nFINAL(' & '.join(parts))\n```"


def run_ask(tmp_path: Path, *extra: str, question: str = "what do the parts say?"):
    doc = tmp_path / "doc.txt"
    doc.write_text("the parts are alpha and beta\n")
    return runner.invoke(app, ["ask", str(doc), question, *extra])


def test_a_run_is_logged_with_question_settings_manifest_steps_and_answer(serve, tmp_path: Path) -> None:
    serve(scripted([STEP, FINISH], sub=lambda p: Reply(f"said {p}")))
    assert run_ask(tmp_path).exit_code == 0
    [path] = trace.log_files()
    log = trace.load(path)
    assert log.complete
    assert log.header["question"] == "what do the parts say?"
    [doc] = log.inputs
    assert doc["path"].endswith("doc.txt") and doc["size"] == 29 and len(doc["blake2b"]) == 32
    types = [r["type"] for r in log.records]
    assert types[:2] == ["input_loaded", "run_started"] and types[-1] == "run_finished"
    assert "root_delta" not in types
    assert log.records[1]["settings"]["model"] == "test-model"
    prompts = sorted(r["prompt"] for r in log.records if r["type"] == "subcall_started")
    responses = sorted(r["response"] for r in log.records if r["type"] == "subcall_finished")
    assert prompts == ["alpha", "beta"] and responses == ["said alpha", "said beta"]
    assert any(r["type"] == "code_finished" and "said alpha" in r["output"] for r in log.records)
    assert log.result is not None and log.result["answer"] == "said alpha & said beta"


def test_the_log_replays_the_same_events_the_run_streamed(serve, tmp_path: Path) -> None:
    serve(scripted([STEP, FINISH], sub=lambda p: Reply(f"said {p}")))
    result = run_ask(tmp_path, "--jsonl")
    assert result.exit_code == 0
    streamed = [json.loads(line) for line in result.stdout.splitlines()]
    streamed = [e for e in streamed if e["type"] != "root_delta"]
    logged = trace.load(trace.resolve("last")).records
    assert logged == json.loads(json.dumps(streamed))


def draw(events: list) -> str:
    from rich.console import Console

    from rlm_cli.render.tree import render_run

    console = Console(record=True, width=100, file=io.StringIO())
    console.print(render_run(events, verbosity=2))
    return console.export_text()


def test_the_log_draws_the_same_tree_as_the_events_the_run_streamed(serve, tmp_path: Path) -> None:
    serve(scripted([STEP, FINISH], sub=lambda p: Reply(f"said {p}")))
    result = run_ask(tmp_path, "--jsonl")
    assert result.exit_code == 0
    streamed = [event_from_dict(json.loads(line)) for line in result.stdout.splitlines()]
    replayed = trace.load(trace.resolve("last")).events()
    drawn = draw(replayed)
    assert drawn == draw(streamed)
    assert "llm_query s1" in drawn and "said alpha" in drawn


def test_logged_records_become_the_same_typed_events_again(serve, tmp_path: Path) -> None:
    serve(scripted([STEP, FINISH], sub=lambda p: Reply(f"said {p}")))
    assert run_ask(tmp_path).exit_code == 0
    log = trace.load(trace.resolve("last"))
    events = log.events()
    assert len(events) == len(log.records)
    assert [e.to_dict() for e in events] == log.records


def test_no_log_flag_and_log_setting_turn_logging_off(serve, tmp_path: Path, monkeypatch) -> None:
    serve(scripted([FINISH.replace("' & '.join(parts)", "'x'")]))
    assert run_ask(tmp_path, "--no-log").exit_code == 0
    assert trace.log_files() == []
    monkeypatch.setenv("RLM_LOG", "false")
    assert run_ask(tmp_path).exit_code == 0
    assert trace.log_files() == []


def test_old_runs_are_pruned_to_log_keep(serve, tmp_path: Path, isolated_env: Path) -> None:
    isolated_env.mkdir(parents=True, exist_ok=True)
    (isolated_env / "config.toml").write_text("log_keep = 2\n")
    serve(scripted(['```repl\nFINAL("x")\n```']))
    for n in range(3):
        assert run_ask(tmp_path, question=f"question {n}").exit_code == 0
    kept = [trace.load(p).header["question"] for p in trace.log_files()]
    assert kept == ["question 1", "question 2"]


def test_the_api_key_never_reaches_the_data_dir(serve, tmp_path: Path, monkeypatch) -> None:
    secret = "sk-planted-secret-0123456789abcdef"
    monkeypatch.setenv("RLM_API_KEY", secret)
    echo = "```repl\nprint('" + secret + "')\nFINAL(llm_query('say " + secret + "'))\n```"
    serve(scripted([echo], sub=lambda p: Reply(f"you said {p}")))
    report = tmp_path / "report.html"
    assert run_ask(tmp_path, "--html", str(report)).exit_code == 0
    files = [p for p in paths.data_dir().rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" for p in files)
    for path in [*files, report]:
        assert secret not in path.read_text(errors="replace"), path
    assert "[redacted]" in trace.resolve("last").read_text()


def test_a_long_subcall_prompt_keeps_head_tail_length_and_hash() -> None:
    prompt = "instruction: summarise\n" + "x" * 50_000 + "\nend of chunk"
    record = trace.compact(SubcallStarted(call_id="s1", parent="1.1", depth=1, model="m", kind="llm", prompt=prompt))
    assert record is not None
    kept = record["prompt"]
    assert kept.startswith("instruction: summarise") and kept.endswith("end of chunk")
    assert len(kept) < 4200 and "50,036 characters" in kept and trace.blake2b_text(prompt) in kept


def test_streaming_pieces_are_not_stored() -> None:
    assert trace.compact(RootDelta(iteration=1, text="par")) is None


def write_interrupted_log(directory: Path, run_id: str = "20260101-000000-dead00") -> Path:
    """A log as a killed process leaves it: no run_finished, and a last line cut in half."""
    started = RunStarted(
        run_id=run_id, question="half done?", model="m", sub_model="m", max_iterations=5, documents=1, chars=3,
    )
    store = trace.TraceStore(directory, keep=10, inputs=[])
    store(started)
    store.close()
    path = directory / f"{run_id}.jsonl"
    with path.open("a") as fh:
        fh.write('{"type": "iteration_started", "iteration": 1, "max_iterations": 5, "ts": 1}\n')
        fh.write('{"type": "code_started", "step_id": "1.1", "iteration": 1, "code": "print(1)"}\n')
        fh.write('{"type": "code_fini')
    header = json.loads(path.read_text().splitlines()[0])
    header["pid"] = 2**22 + 12345
    lines = path.read_text().split("\n")
    lines[0] = json.dumps(header)
    path.write_text("\n".join(lines))
    return path


def test_an_interrupted_log_lists_as_incomplete_and_still_shows() -> None:
    path = write_interrupted_log(trace.runs_dir())
    [summary] = trace.list_runs()
    assert summary.status == "incomplete" and summary.question == "half done?"
    log = trace.load(path)
    assert not log.complete and [r["type"] for r in log.records][-1] == "code_started"
    listed = runner.invoke(app, ["logs"])
    assert listed.exit_code == 0 and "incomplete" in listed.stdout
    shown = runner.invoke(app, ["show", "20260101"])
    assert shown.exit_code == 0, shown.output
    assert "half done?" in shown.stdout and "step 1.1  unfinished" in shown.stdout
    assert "incomplete" in shown.stdout


def test_logs_lists_newest_first_with_json(serve, tmp_path: Path) -> None:
    serve(scripted(['```repl\nFINAL("x")\n```']))
    for n in range(2):
        assert run_ask(tmp_path, question=f"question {n}").exit_code == 0
    result = runner.invoke(app, ["logs", "--json"])
    assert result.exit_code == 0
    runs = json.loads(result.stdout)
    assert [r["question"] for r in runs] == ["question 1", "question 0"]
    first = runs[0]
    assert first["status"] == "confirmed" and first["tokens"] > 0 and first["duration"] >= 0
    assert set(first) >= {"run_id", "started", "question", "status", "tokens", "cost", "duration"}
    table = runner.invoke(app, ["logs"])
    assert table.stdout.splitlines()[0].split()[:3] == ["ID", "WHEN", "STATUS"]
    assert first["run_id"] in table.stdout.splitlines()[1]


def test_logs_with_no_runs_says_where_logs_live() -> None:
    result = runner.invoke(app, ["logs"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "no runs logged yet" in result.stderr


def test_show_replays_the_last_run_with_code_outputs_and_answer(serve, tmp_path: Path) -> None:
    serve(scripted([STEP, FINISH], sub=lambda p: Reply(f"said {p}")))
    assert run_ask(tmp_path).exit_code == 0
    result = runner.invoke(app, ["show"])
    assert result.exit_code == 0, result.output
    for expected in ("what do the parts say?", "llm_query_batched", "said alpha & said beta"):
        assert expected in result.stdout


def test_show_accepts_a_unique_prefix_and_rejects_ambiguous_or_unknown_ones() -> None:
    for run_id in ("20260101-000000-aaaaaa", "20260101-000000-aaaabb", "20260101-000000-bbbbbb"):
        write_interrupted_log(trace.runs_dir(), run_id)
    assert runner.invoke(app, ["show", "20260101-000000-b"]).exit_code == 0
    ambiguous = runner.invoke(app, ["show", "20260101-000000-aaaa"])
    assert ambiguous.exit_code == 2 and "matches 2 runs" in ambiguous.stderr
    unknown = runner.invoke(app, ["show", "1999"])
    assert unknown.exit_code == 3 and unknown.stderr.startswith("rlm: error: no run matches")


def test_show_with_no_runs_is_an_input_error() -> None:
    result = runner.invoke(app, ["show"])
    assert result.exit_code == 3 and "no runs logged yet" in result.stderr


def test_a_failing_disk_warns_once_and_never_breaks_the_run(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the runs directory should be")
    warnings: list[str] = []
    store = trace.TraceStore(blocked, keep=5, inputs=[], on_error=warnings.append)
    started = RunStarted(run_id="r1", question="q", model="m", sub_model="m", max_iterations=1, documents=0, chars=0)
    store(started)
    store(started)
    assert len(warnings) == 1 and "run log not written" in warnings[0]


@pytest.mark.skipif(os.name != "posix", reason="reading a log while its writer runs is checked on POSIX")
def test_a_running_log_is_listed_as_running() -> None:
    store = trace.TraceStore(trace.runs_dir(), keep=5, inputs=[])
    store(RunStarted(run_id="r-live", question="q", model="m", sub_model="m", max_iterations=1, documents=0, chars=0))
    [summary] = trace.list_runs()
    store.close()
    assert summary.status == "running"


def test_records_with_unknown_fields_or_types_still_read() -> None:
    notice = trace.to_event({"type": "notice", "level": "info", "message": "m", "ts": 1.0, "added_later": 3})
    assert notice is not None and notice.to_dict()["message"] == "m"
    assert trace.to_event({"type": "from_a_newer_version", "ts": 1.0}) is None
    assert trace.to_event({"type": "code_started", "ts": 1.0}) is None


def test_log_keep_below_one_is_a_config_error(serve, tmp_path: Path, monkeypatch) -> None:
    serve(scripted(['```repl\nFINAL("x")\n```']))
    monkeypatch.setenv("RLM_LOG_KEEP", "0")
    result = run_ask(tmp_path)
    assert result.exit_code == 4 and "log_keep must be at least 1" in result.stderr


def test_logs_limit_shows_only_the_newest(serve, tmp_path: Path) -> None:
    serve(scripted(['```repl\nFINAL("x")\n```']))
    for n in range(3):
        assert run_ask(tmp_path, question=f"question {n}").exit_code == 0
    result = runner.invoke(app, ["logs", "-n", "2"])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and len(lines) == 3
    assert "question 2" in lines[1] and "question 1" in lines[2]
