"""A run that is interrupted (Ctrl-C) or killed outright still leaves a log that lists and replays."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_openai import Reply, scripted

from rlm_cli import trace

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals to a process group are POSIX")

WAITS = "```repl\nprint('asking')\nanswer_part = llm_query('take your time')\n```"


def start_rlm(tmp_path: Path) -> subprocess.Popen[bytes]:
    doc = tmp_path / "doc.txt"
    doc.write_text("some text\n")
    return subprocess.Popen(
        [sys.executable, "-m", "rlm_cli", "ask", str(doc), "a slow question?"],
        env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def wait_for_subcall(timeout: float = 20.0) -> Path:
    """The log path, once it shows the sub-call in flight (the run is mid-step)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in trace.log_files():
            if '"subcall_started"' in path.read_text():
                return path
        time.sleep(0.05)
    raise AssertionError("the run never reached its sub-call")


def rlm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rlm_cli", *args], env=dict(os.environ), capture_output=True, text=True, timeout=60
    )


def test_a_killed_run_leaves_a_readable_incomplete_log(serve, tmp_path: Path) -> None:
    serve(scripted([WAITS], sub=lambda p: Reply("late", delay=20)))
    process = start_rlm(tmp_path)
    try:
        path = wait_for_subcall()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    log = trace.load(path)
    assert not log.complete and log.records[-1]["type"] == "subcall_started"
    [listed] = json.loads(rlm("logs", "--json").stdout)
    assert listed["status"] == "incomplete" and listed["question"] == "a slow question?"
    shown = rlm("show", "last")
    assert shown.returncode == 0, shown.stderr
    assert "a slow question?" in shown.stdout and "incomplete" in shown.stdout


def test_ctrl_c_ends_the_log_with_an_interrupted_result(serve, tmp_path: Path) -> None:
    serve(scripted([WAITS], sub=lambda p: Reply("late", delay=20)))
    process = start_rlm(tmp_path)
    try:
        wait_for_subcall()
        os.kill(process.pid, signal.SIGINT)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert process.returncode == 130
    [listed] = json.loads(rlm("logs", "--json").stdout)
    assert listed["status"] == "interrupted"
    log = trace.load(trace.resolve("last"))
    assert log.complete and log.result is not None and log.result["status"] == "interrupted"
