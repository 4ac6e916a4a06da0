"""Escape sequences from the input, the models or the REPL never reach a terminal raw: every
renderer draws them visibly; the piped answer stays exact."""

from __future__ import annotations

import io

from render_script import finished, started
from rich.console import Console

from rlm_cli.events import (
    CodeFinished,
    CodeStarted,
    Event,
    IterationStarted,
    Notice,
    RootMessage,
    RunFinished,
    RunStarted,
)
from rlm_cli.render.answer import print_answer
from rlm_cli.render.live import LiveRenderer
from rlm_cli.render.plain import PlainRenderer
from rlm_cli.render.safe_text import safe

HOSTILE = "title\x1b]0;PWNED\x07 clear\x1b[2J"
SHOWN = "title\\x1b]0;PWNED\\x07 clear\\x1b[2J"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def hostile_run() -> list[Event]:
    """A run where the question, the reply, a sub-call's prompt and answer, the step's output and
    error, and a notice all carry escape sequences."""
    begin = RunStarted(
        run_id="r1", question=f"q {HOSTILE}", model="big", sub_model="mini", max_iterations=3, documents=1, chars=9,
    )
    call = finished("s1", "1.1")
    call.response = f"resp {HOSTILE}"
    return [
        begin,
        IterationStarted(iteration=1, max_iterations=3),
        RootMessage(
            iteration=1, text=f"reply {HOSTILE}\n```repl\nprint('{HOSTILE}')\n```", input_tokens=1, output_tokens=1,
            seconds=0.1,
        ),
        CodeStarted(step_id="1.1", iteration=1, code=f"print('{HOSTILE}')"),
        started("s1", "1.1", prompt=f"prompt {HOSTILE}"),
        call,
        CodeFinished(
            step_id="1.1", iteration=1, code="x", output=f"out {HOSTILE}", error=f"Error {HOSTILE}", seconds=0.1,
            final=False,
        ),
        Notice(level="warning", message=f"note {HOSTILE}"),
        RunFinished(result={"status": "confirmed", "iterations": 1, "usage": {"total_tokens": 1}}),
    ]


def test_safe_shows_control_characters_and_escape_sequences_but_keeps_newlines_tabs_and_unicode() -> None:
    assert safe(HOSTILE) == SHOWN
    assert safe("a\tb\nc é ✓") == "a\tb\nc é ✓"
    assert safe("\x00\r\x08\x7f\x9b") == "\\x00\\x0d\\x08\\x7f\\x9b"


def test_plain_lines_show_escape_sequences_instead_of_sending_them() -> None:
    out = io.StringIO()
    plain = PlainRenderer(out, verbosity=2)
    for event in hostile_run():
        plain(event)
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    for where in ("model: reply", "> out", "! Error", "→ resp", "| print", "warning: note"):
        assert any(where in line and SHOWN in line for line in text.splitlines()), where


def test_the_live_view_shows_escape_sequences_instead_of_sending_them() -> None:
    console = Console(file=io.StringIO(), width=400, color_system=None)
    with LiveRenderer(console, verbosity=2) as live:
        for event in hostile_run():
            live(event)
    text = console.file.getvalue()
    assert "\x1b]0;" not in text and "\x1b[2J" not in text and "\x07" not in text
    assert text.count(SHOWN) >= 5


def test_the_markdown_answer_on_a_terminal_shows_escape_sequences() -> None:
    tty = Tty()
    print_answer(f"the answer {HOSTILE}", tty)
    assert "\x1b]0;PWNED" not in tty.getvalue() and "\x1b[2J" not in tty.getvalue()
    assert "PWNED" in tty.getvalue()


def test_the_piped_answer_stays_exact() -> None:
    pipe = io.StringIO()
    print_answer(f"the answer {HOSTILE}", pipe)
    assert pipe.getvalue() == f"the answer {HOSTILE}\n"


def test_the_header_draws_a_hostile_question_visibly() -> None:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    from rlm_cli.render.tree import render_run

    console.print(render_run(hostile_run()[:1]))
    assert SHOWN in console.file.getvalue() and "\x1b]" not in console.file.getvalue()


def test_bidi_overrides_and_isolates_are_shown_not_applied() -> None:
    assert safe("admin\u202e\u2066txt.exe") == "admin\\u202e\\u2066txt.exe"


def test_an_error_line_quoting_a_hostile_file_name_reaches_stderr_escaped(tmp_path) -> None:
    import os
    import subprocess
    import sys

    missing = tmp_path / "logs\x1b[2J\u202e.txt"
    env = {**os.environ, "RLM_BASE_URL": "http://127.0.0.1:9/v1", "RLM_MODEL": "m"}
    done = subprocess.run(
        [sys.executable, "-m", "rlm_cli", "ask", str(missing), "q?"], capture_output=True, text=True, timeout=60,
        env=env,
    )
    assert done.returncode != 0
    assert done.stderr.startswith("rlm: error: ") and "\x1b" not in done.stderr and "\u202e" not in done.stderr
    assert "logs\\x1b[2J\\u202e.txt" in done.stderr
