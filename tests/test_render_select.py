"""Which renderer a run gets, and how the answer is printed."""

from __future__ import annotations

import io
import re

import pytest

from rlm_cli.render import JSONL, LIVE, PLAIN, QUIET, pick, renderer
from rlm_cli.render.answer import print_answer
from rlm_cli.render.jsonl import JsonlRenderer
from rlm_cli.render.live import LiveRenderer
from rlm_cli.render.plain import PlainRenderer


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def xterm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")


def test_jsonl_wins_over_everything() -> None:
    assert pick(True, 0, Tty()) == JSONL
    assert pick(True, 2, io.StringIO()) == JSONL


def test_quiet_comes_next() -> None:
    assert pick(False, 0, Tty()) == QUIET


def test_an_interactive_stderr_gets_the_live_view_anything_else_plain_lines() -> None:
    assert pick(False, 1, Tty()) == LIVE
    assert pick(False, 1, io.StringIO()) == PLAIN


def test_a_dumb_terminal_gets_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert pick(False, 1, Tty()) == PLAIN


def test_force_color_does_not_turn_a_log_file_into_a_live_view(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert pick(False, 1, io.StringIO()) == PLAIN


def test_the_context_manager_yields_the_chosen_renderer_and_stops_the_live_view() -> None:
    with renderer(True, 1, stdout=io.StringIO(), stderr=Tty()) as emit:
        assert isinstance(emit, JsonlRenderer)
    with renderer(False, 0, stderr=Tty()) as emit:
        assert isinstance(emit, PlainRenderer) and emit.verbosity == 0
    with renderer(False, 1, stderr=io.StringIO()) as emit:
        assert isinstance(emit, PlainRenderer)
    with renderer(False, 1, stderr=Tty()) as emit:
        assert isinstance(emit, LiveRenderer)
    assert emit._live is None


def test_a_piped_answer_is_the_exact_text() -> None:
    out = io.StringIO()
    print_answer("# Title\n\n**bold** `x`  \n", out)
    assert out.getvalue() == "# Title\n\n**bold** `x`  \n"


def test_an_answer_on_a_terminal_is_rendered_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "60")
    out = Tty()
    print_answer("# Deadlines\n\n- **March 3**: filing\n- April 1: review\n", out)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", out.getvalue())
    assert "Deadlines" in text and "**" not in text and "# Deadlines" not in text
    assert "• March 3: filing" in text
