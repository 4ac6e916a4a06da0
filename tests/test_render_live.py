"""The live view, drawn on a recording Rich console: what a user sees at each point of a scripted run."""

from __future__ import annotations

import io
import re

from render_script import closing, fan_out, finished, opening, run_started, started, whole_run
from rich.console import Console

from rlm_cli.events import CodeStarted, Event, IterationStarted, RootDelta, RunFinished
from rlm_cli.render.live import LiveRenderer
from rlm_cli.render.tree import render_run

ESC = "\x1b"


def recording(width: int = 100) -> Console:
    return Console(record=True, file=io.StringIO(), width=width)


def play(events: list[Event], width: int = 100, verbosity: int = 1) -> tuple[LiveRenderer, Console]:
    console = recording(width)
    with LiveRenderer(console, verbosity) as live:
        for event in events:
            live(event)
    return live, console


def region(live: LiveRenderer, width: int = 100) -> str:
    """The live region as it would be drawn now."""
    console = recording(width)
    console.print(live.live_view())
    return console.export_text()


def test_a_finished_step_shows_its_output_and_its_subcall_tree() -> None:
    _, console = play(whole_run())
    text = console.export_text()
    step = text[text.index("✓ step 1.1") :]
    lines = step.splitlines()
    assert lines[0].startswith("✓ step 1.1  ok  1.5s  · 5 sub-calls, 1 failed, 154 tok")
    assert lines[1] == "├── > ['answer s1', 'ERROR', 'answer s3']"
    assert lines[2] == "├── > second line"
    assert lines[3].startswith("├── ✓ llm_query s1 mini  33 tok  0.4s")
    assert lines[4].startswith("├── ✗ llm_query s2 mini  error: HTTP 500")
    assert lines[5].startswith("├── ✓ llm_query s3 mini")
    assert lines[6].startswith("└── ✓ rlm_query s4 mini  55 tok")
    assert lines[7].startswith("    └── ★ step s4/1.1  final  0.3s  · 1 sub-call, 15 tok")
    assert lines[8].startswith("        └── ✓ llm_query s5 mini  15 tok")


def test_the_run_reads_in_order_header_iteration_reply_step_notice_summary() -> None:
    _, console = play(whole_run())
    text = console.export_text()
    marks = [
        "rlm · big · sub-calls mini · 3 document(s), 12,345 chars",
        "iteration 1/20 ─",
        "I will split the log",
        "answers = llm_query_batched(parts)",
        "✓ step 1.1",
        "rlm: warning: rate limited; retrying in 2s",
        "rlm: confirmed after 1 iteration(s), 5 sub-call(s), 300 tokens, $0.0123, 3.2s",
    ]
    positions = [text.index(mark) for mark in marks]
    assert positions == sorted(positions)


def test_running_calls_show_in_the_live_region_with_the_footer() -> None:
    clock = iter([1_000.0] * 100)
    live = LiveRenderer(recording(), clock=lambda: next(clock))
    for event in opening() + fan_out()[:4]:
        event.ts = 990.0
        live(event)
    shown = region(live)
    assert "step 1.1  running  10.0s  · 4 sub-calls, 4 running, 0 tok" in shown
    assert re.search(r"llm_query s1 mini  10\.0s  part s1", shown)
    assert "rlm_query s4 mini" in shown
    assert shown.strip().splitlines()[-1] == (
        "iteration 1/20 · sub-calls 0 done, 4 running · 120 tokens · $0.0010 · 10.0s"
    )


def test_the_footer_counts_calls_as_they_finish_and_leaves_cost_out_when_unknown() -> None:
    live = LiveRenderer(recording())
    for event in opening(cost=None) + [started("s1", "1.1"), started("s2", "1.1"), finished("s1", "1.1")]:
        live(event)
    footer = live.footer().plain
    assert "sub-calls 1 done, 1 running" in footer
    assert "153 tokens" in footer
    assert "$" not in footer


def test_the_reply_streams_in_the_live_region_until_it_is_whole() -> None:
    live = LiveRenderer(recording())
    events = opening()
    deltas = [e for e in events if isinstance(e, RootDelta)]
    for event in events[:2] + deltas[: len(deltas) // 2 + 3]:
        live(event)
    streaming = region(live)
    assert "I will split the log" in streaming
    assert "parts = [context" in streaming
    for event in events[2 + len(deltas) // 2 + 3 :]:
        live(event)
    assert "I will split the log" not in region(live)


def test_a_step_with_many_calls_is_summarised_unless_verbose() -> None:
    calls = [started(f"s{i}", "1.1") for i in range(1, 101)] + [finished(f"s{i}", "1.1") for i in range(1, 101)]
    events = opening() + calls + closing()
    _, console = play(events)
    text = console.export_text()
    assert "… 88 more sub-calls: 88 done, 2,904 tok" in text
    assert text.count("✓ llm_query") == 12
    _, console = play(events, verbosity=2)
    assert console.export_text().count("✓ llm_query") == 100


def test_failed_calls_are_always_among_those_shown() -> None:
    calls = [started(f"s{i}", "1.1") for i in range(1, 51)]
    calls += [finished(f"s{i}", "1.1", error="boom" if i == 50 else None) for i in range(1, 51)]
    _, console = play(opening() + calls + closing())
    assert "✗ llm_query s50 mini  error: boom" in console.export_text()


def test_an_interrupted_run_shows_the_step_it_stopped_in_as_unfinished() -> None:
    events = opening() + [started("s1", "1.1"), RunFinished(result={"status": "interrupted", "usage": {}})]
    _, console = play(events)
    text = console.export_text()
    assert "step 1.1  unfinished" in text
    assert "… llm_query s1 mini  unfinished" in text
    assert "rlm: interrupted after" in text


def test_long_code_is_cut_at_normal_verbosity_and_whole_with_v() -> None:
    code = "\n".join(f"x{i} = {i}" for i in range(60))
    reply = f"Lots of code.\n```repl\n{code}\n```"
    _, console = play(opening(reply=reply))
    assert "… 30 more code lines (-v shows all)" in console.export_text()
    assert "x59 = 59" not in console.export_text()
    _, console = play(opening(reply=reply), verbosity=2)
    assert "x59 = 59" in console.export_text()


def test_a_replay_draws_the_same_step_tree_as_the_live_view() -> None:
    _, console = play(whole_run())
    replay = recording()
    replay.print(render_run(whole_run()))
    live_text, replay_text = console.export_text(), replay.export_text()
    block = live_text[live_text.index("✓ step 1.1") : live_text.index("rlm: warning")]
    assert block in replay_text
    assert "which ids failed?" in replay_text


def test_a_replay_of_a_run_cut_off_without_run_finished_still_draws() -> None:
    replay = recording()
    replay.print(render_run(opening() + [started("s1", "1.1")]))
    assert "step 1.1  unfinished" in replay.export_text()


def test_a_narrow_terminal_gets_lines_that_fit() -> None:
    _, console = play(whole_run(), width=40)
    lines = console.export_text().splitlines()
    assert lines and max(len(line) for line in lines) <= 40
    assert any(line.startswith("├── ✓ llm_query s1 mini") for line in lines)


def test_events_after_the_run_finished_are_dropped() -> None:
    live, console = play(whole_run())
    before = console.export_text()
    live(IterationStarted(iteration=9, max_iterations=20))
    assert console.export_text() == ""
    assert "iteration 9/20" not in before


def test_on_a_terminal_the_region_is_drawn_and_then_cleared() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, color_system="standard")
    with LiveRenderer(console, refresh_per_second=50) as live:
        for event in opening() + [started("s1", "1.1")]:
            live(event)
    text = out.getvalue()
    assert ESC in text
    assert "iteration 1/20 · sub-calls 0 done, 1 running" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert "\x1b[?25h" in text  # the cursor is shown again when the view stops


def test_no_color_leaves_colours_out_on_a_terminal(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    with LiveRenderer(console) as live:
        for event in whole_run():
            live(event)
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", out.getvalue())
    assert "✓ step 1.1" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())


def test_a_recursive_childs_steps_do_not_print_as_root_steps() -> None:
    _, console = play(whole_run())
    text = console.export_text()
    assert "iteration 1/20" in text
    assert not any(line.startswith("★ step s4/1.1") for line in text.splitlines())


def test_the_region_lists_no_step_between_steps() -> None:
    live = LiveRenderer(recording())
    for event in [run_started(), IterationStarted(iteration=1, max_iterations=20)]:
        live(event)
    shown = region(live).strip().splitlines()
    assert len(shown) == 1 and shown[0].startswith("iteration 1/20 · sub-calls 0 done · 0 tokens")
    live(CodeStarted(step_id="1.1", iteration=1, code="x"))
    assert "step 1.1  running" in region(live)


def test_the_closing_line_lists_usage_per_model() -> None:
    finished_run = RunFinished(
        result={
            "status": "confirmed", "iterations": 2, "subcalls": 3, "duration": 4.0,
            "usage": {"total_tokens": 900, "cost": None},
            "usage_by_model": {"big": {"calls": 2, "input_tokens": 800, "output_tokens": 40, "cost": None}},
        }
    )
    _, console = play([run_started(), finished_run])
    lines = console.export_text().splitlines()
    assert lines[-2] == "rlm: confirmed after 2 iteration(s), 3 sub-call(s), 900 tokens, 4.0s"
    assert lines[-1] == "rlm:   big: 2 call(s), 800 in + 40 out tokens"


def test_the_footer_says_starting_before_the_first_iteration() -> None:
    clock = iter([1_000.0] * 10)
    live = LiveRenderer(recording(), clock=lambda: next(clock))
    live(run_started())
    footer = live.footer().plain
    assert footer.startswith("starting · ") and "0/0" not in footer


def test_the_footer_shows_no_cost_once_a_call_has_no_known_price() -> None:
    live = LiveRenderer(recording())
    for event in opening(cost=None) + [started("s1", "1.1"), finished("s1", "1.1", cost=0.0, cached=True)]:
        live(event)
    assert "$" not in live.footer().plain


def test_a_running_recursive_child_counts_its_own_replies_in_its_step() -> None:
    from rlm_cli.events import RootMessage

    live = LiveRenderer(recording())
    child_reply = RootMessage(
        iteration=1, text="thinking", input_tokens=2_000, output_tokens=500, seconds=1.0, depth=1, parent="s4"
    )
    for event in [*opening(), started("s4", "1.1", kind="rlm"), child_reply]:
        live(event)
    assert "1 sub-call, 1 running, 2,500 tok" in region(live)
