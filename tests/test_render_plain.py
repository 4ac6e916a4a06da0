"""Plain progress lines (stderr that is not a terminal, e.g. CI logs): append-only, no escape codes."""

from __future__ import annotations

import io

from render_script import closing, finished, opening, started, whole_run

from rlm_cli.events import CodeFinished, CodeStarted, Event, Notice, RunFinished
from rlm_cli.render.plain import CALL_LINES_PER_STEP, PlainRenderer


def lines(events: list[Event], verbosity: int = 1) -> list[str]:
    out = io.StringIO()
    render = PlainRenderer(out, verbosity)
    for event in events:
        render(event)
    return out.getvalue().splitlines()


def test_no_escape_codes_at_any_verbosity() -> None:
    for verbosity in (0, 1, 2):
        assert not any("\x1b" in line for line in lines(whole_run(), verbosity))


def test_one_line_per_iteration_step_and_sub_call() -> None:
    shown = lines(whole_run())
    assert shown[0] == "rlm: model big, sub-calls mini"
    assert shown[1] == "[iteration 1/20]"
    assert shown[2] == "  model: I will split the log and ask about each part."
    assert "      └ llm_query s5 mini: 15 tok 0.4s" in shown
    assert "    step s4/1.1 final 0.30s, 1 sub-call(s), 15 tok: inner out" in shown
    assert "    └ llm_query s2 mini: error: HTTP 500 0.4s" in shown
    assert (
        "  step 1.1 ok 1.50s, 5 sub-call(s) (1 failed), 154 tok: ['answer s1', 'ERROR', 'answer s3'] second line"
        in shown
    )
    assert shown[-2] == "rlm: warning: rate limited; retrying in 2s"
    assert shown[-1] == "rlm: confirmed after 1 iteration(s), 5 sub-call(s), 300 tokens, $0.0123, 3.2s"


def test_verbose_adds_full_code_outputs_and_responses() -> None:
    shown = lines(whole_run(), verbosity=2)
    assert "  code 1.1:" in shown and "    | parts = ..." in shown
    assert "  step 1.1 ok 1.50s, 5 sub-call(s) (1 failed), 154 tok:" in shown
    assert "    > second line" in shown
    assert "      → answer s1" in shown


def test_quiet_shows_only_errors() -> None:
    events = whole_run() + [Notice(level="error", message="the worker died")]
    assert lines(events, verbosity=0) == ["rlm: error: the worker died"]


def test_a_step_with_many_calls_gets_a_few_lines_and_a_sum() -> None:
    calls = [started(f"s{i}", "1.1") for i in range(1, 41)]
    calls += [finished(f"s{i}", "1.1", error="boom" if i == 40 else None) for i in range(1, 41)]
    shown = lines(opening() + calls + closing())
    call_lines = [line for line in shown if "└ llm_query" in line]
    assert len(call_lines) == CALL_LINES_PER_STEP + 1
    assert call_lines[-1] == "    └ llm_query s40 mini: error: boom 0.4s"
    assert sum("more sub-calls of 1.1" in line for line in shown) == 1
    assert any(line.startswith("  step 1.1 ok 1.50s, 40 sub-call(s) (1 failed), 1,320 tok") for line in shown)


def test_each_write_is_whole_lines_and_flushed() -> None:
    class Recorder(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            Recorder.flushes += 1

    out = Recorder()
    render = PlainRenderer(out, 1)
    for event in whole_run():
        before = out.getvalue()
        render(event)
        assert out.getvalue() == before or out.getvalue().endswith("\n")
    assert Recorder.flushes >= len(out.getvalue().splitlines()) // 3


def test_the_summary_shows_no_cost_when_a_model_called_has_no_price() -> None:
    from render_script import result

    out = io.StringIO()
    plain = PlainRenderer(out)
    unpriced = {**result("exhausted", cost=0.0), "usage_by_model": {"test-model": {"calls": 1, "cost": None}}}
    nothing_called = {**result("exhausted", cost=0.0), "usage_by_model": {}}
    plain(RunFinished(result=unpriced))
    plain(RunFinished(result=nothing_called))
    assert "$" not in out.getvalue()
    assert "exhausted after 1 iteration(s), 5 sub-call(s), 300 tokens, 3.2s" in out.getvalue()


def test_a_steps_tokens_include_what_its_recursive_children_used() -> None:
    out = io.StringIO()
    plain = PlainRenderer(out)
    events = [
        CodeStarted(step_id="1.1", iteration=1, code="x"),
        started("s1", "1.1", kind="rlm"),
        CodeStarted(step_id="s1/1.1", iteration=1, code="y", depth=1, parent="s1"),
        started("s2", "s1/1.1", depth=2),
        finished("s2", "s1/1.1", depth=2, tokens=(10, 4)),
        finished("s1", "1.1", kind="rlm", tokens=(2_000, 500)),
        CodeFinished(step_id="1.1", iteration=1, code="x", output="", error=None, seconds=1.0, final=False),
    ]
    for event in events:
        plain(event)
    assert "  step 1.1 ok 1.00s, 2 sub-call(s), 2,500 tok" in out.getvalue().splitlines()
