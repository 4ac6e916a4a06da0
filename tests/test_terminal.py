"""The real `rlm ask` in a real terminal (tmux), against the loopback model server: the screen a
user sees, and Ctrl-C stopping a run with sub-calls in flight."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai import Reply, scripted

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

TURNS = [
    "Let me look.\n```repl\nanswer['content'] = 'so far: ' + str(len(context)) + ' chars'\nprint(len(context))\n```",
    "Now split it.\n```repl\nout = llm_query_batched([f'part {i}' for i in range(6)])\nprint(out)\n```",
    "```repl\nFINAL('The **answer** is 42.')\n```",
]


class Terminal:
    """One tmux server on a private socket, one 100x30 window running a script."""

    def __init__(self) -> None:
        self.socket = f"rlm-test-{uuid.uuid4().hex[:8]}"

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10)
        return done.stdout

    def start(self, script: Path) -> None:
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "-s", "t", f"bash {script}")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never showed; the screen was:\n{self.screen()}")

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal()
    yield term
    term.close()


def ask_script(tmp_path: Path, question: str) -> Path:
    """A script that runs `rlm ask` in the test's environment, then prints its exit code."""
    doc = tmp_path / "doc.txt"
    doc.write_text("hello world\n")
    env = {k: v for k, v in os.environ.items() if k.startswith("RLM_")}
    env["TERM"] = "xterm-256color"
    exports = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in env.items())
    command = shlex.join([sys.executable, "-m", "rlm_cli", "ask", str(doc), question])
    script = tmp_path / "run.sh"
    script.write_text(f"{exports}\nunset COLUMNS LINES NO_COLOR FORCE_COLOR\n{command}\necho \"EXIT=$?\"\nsleep 60\n")
    return script


def processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line), read from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found[int(entry.name)] = (ppid, cmdline)
    return found


def rlm_and_workers(question: str) -> tuple[int, list[int]]:
    procs = processes()
    rlm = next(pid for pid, (_, cmd) in procs.items() if "rlm_cli ask" in cmd and question in cmd)
    return rlm, [pid for pid, (ppid, cmd) in procs.items() if ppid == rlm and "worker.py" in cmd]


def test_the_live_view_shows_steps_the_subcall_tree_and_a_markdown_answer(serve, tmp_path, terminal) -> None:
    serve(scripted(TURNS, sub=lambda p: Reply(f"ans {p}", delay=2.0)))
    terminal.start(ask_script(tmp_path, "what is it?"))
    running = terminal.wait_for("6 running")
    assert "⠋" in running or any(ch in running for ch in "⠙⠹⠸⠼⠴⠦⠧⠇⠏")
    assert "iteration 2/20 · sub-calls 0 done, 6 running" in running
    screen = terminal.wait_for("EXIT=")
    assert "EXIT=0" in screen
    assert "✓ step 1.1  ok" in screen
    assert "✓ step 2.1  ok" in screen and "· 6 sub-calls" in screen
    assert "├── ✓ llm_query s1 test-model" in screen
    assert "rlm: confirmed after 3 iteration(s), 6 sub-call(s)" in screen
    assert "The answer is 42." in screen and "**" not in screen.split("rlm: confirmed")[-1]
    assert "running" not in screen.split("rlm: confirmed")[-1]


def test_ctrl_c_stops_subcalls_and_the_worker_prints_the_partial_answer_and_exits_130(
    serve, tmp_path, terminal
) -> None:
    serve(scripted(TURNS, sub=lambda p: Reply(f"ans {p}", delay=30)))
    terminal.start(ask_script(tmp_path, "slow question?"))
    terminal.wait_for("6 running")
    rlm, workers = rlm_and_workers("slow question?")
    assert workers, "the REPL worker should be running"
    pressed = time.monotonic()
    terminal.tmux("send-keys", "-t", "t", "C-c")
    screen = terminal.wait_for("EXIT=", timeout=10)
    assert time.monotonic() - pressed < 8, "Ctrl-C waited for the sub-calls in flight"
    assert "EXIT=130" in screen
    assert "rlm: interrupted: the best partial answer follows (not confirmed)" in screen
    assert "so far: 12 chars" in screen
    assert "step 2.1  unfinished" in screen
    alive = processes()
    assert rlm not in alive
    assert not [pid for pid in workers if pid in alive and "worker.py" in alive[pid][1]]
