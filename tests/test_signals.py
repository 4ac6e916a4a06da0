"""Every early end of `rlm ask` runs the interrupt path: SIGTERM and SIGHUP like Ctrl-C (worker stopped,
scratch removed, run logged as interrupted, partial answer printed), a closed stdout refused up
front, and a reader that goes away (`| head -1`) a quiet end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_openai import scripted

from rlm_cli import trace

pytestmark = pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs POSIX signals and /proc")

SLOW_CELL = "```repl\nimport time\nanswer['content'] = 'partial answer'\nprint('set')\ntime.sleep(30)\n```"


def start_rlm(tmp_path: Path, *flags: str, **popen: object) -> subprocess.Popen[bytes]:
    doc = tmp_path / "doc.txt"
    doc.write_text("some text\n")
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(scratch_root))
    options: dict[str, object] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    return subprocess.Popen(
        [sys.executable, "-m", "rlm_cli", "ask", str(doc), "q?", *flags], env=env, **options  # type: ignore[arg-type]
    )


def wait_for_log(kind: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(f'"{kind}"' in path.read_text() for path in trace.log_files()):
            return
        time.sleep(0.05)
    raise AssertionError(f"the run never logged {kind}")


def workers_in(scratch_root: Path) -> list[int]:
    """Live worker processes: their working directory is a scratch dir under scratch_root."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "status").read_text().split("State:")[1].split()[0]
        except (OSError, IndexError):
            continue
        if cwd.startswith(str(scratch_root)) and state != "Z":
            found.append(int(entry.name))
    return found


def finish(process: subprocess.Popen[bytes], timeout: float = 20) -> tuple[str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    return (out or b"").decode(), (err or b"").decode()


def interrupted_log_status() -> str:
    log = trace.load(trace.resolve("last"))
    assert log.complete and log.result is not None
    return str(log.result["status"])


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_stop_the_worker_remove_scratch_and_log_the_run_as_interrupted(
    serve, tmp_path: Path, signum: int, code: int
) -> None:
    serve(scripted([SLOW_CELL]))
    process = start_rlm(tmp_path)
    wait_for_log("code_started")
    time.sleep(0.5)
    assert workers_in(tmp_path / "tmp"), "the worker should be running the cell"
    process.send_signal(signum)
    out, err = finish(process)
    assert process.returncode == code, err
    assert "partial answer" in out
    assert "Traceback" not in err
    assert interrupted_log_status() == "interrupted"
    time.sleep(0.2)
    assert workers_in(tmp_path / "tmp") == []
    assert list((tmp_path / "tmp").glob("rlm-scratch-*")) == []


def test_ctrl_c_while_a_cell_runs_prints_the_partial_answer_it_had_set(serve, tmp_path: Path) -> None:
    serve(scripted([SLOW_CELL]))
    process = start_rlm(tmp_path)
    wait_for_log("code_started")
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    out, err = finish(process)
    assert process.returncode == 130, err
    assert out.strip() == "partial answer"
    assert "rlm: interrupted: the best partial answer follows (not confirmed)" in err


def test_a_closed_stdout_is_a_usage_error_before_any_model_call(serve, tmp_path: Path) -> None:
    server = serve(scripted(["FINAL(done)"]))
    process = start_rlm(tmp_path, stdout=None, preexec_fn=lambda: os.close(1))
    _, err = finish(process)
    assert process.returncode == 2
    assert err.strip().splitlines()[-1].startswith("rlm: error: stdout is closed")
    assert server.requests == []


def test_a_jsonl_reader_that_goes_away_ends_the_run_quietly_with_141(serve, tmp_path: Path) -> None:
    serve(scripted(["```repl\nimport time\ntime.sleep(1.5)\nprint('x')\n```", "FINAL(done)"]))
    process = start_rlm(tmp_path, "--jsonl")
    assert process.stdout is not None
    assert json.loads(process.stdout.readline())["type"]
    process.stdout.close()
    err = process.stderr.read().decode() if process.stderr else ""
    process.wait(timeout=20)
    assert process.returncode == 141, err
    assert err == ""
    assert interrupted_log_status() == "interrupted"
