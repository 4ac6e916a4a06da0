"""Ctrl-C (SIGINT to the `rlm` process, as a terminal sends it) inside a recursive child stops the
whole run, not only the child: exit 130 and no further root turn."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fake_openai import Reply, is_root


def test_ctrl_c_inside_an_rlm_query_child_ends_the_whole_run(serve, tmp_path: Path) -> None:
    def handler(body: dict) -> Reply | str:
        if is_root(body):
            if "deep question" in json.dumps(body["messages"][1]):
                return "```repl\nprint(llm_query('slow one'))\n```"
            return "```repl\nprint(rlm_query('deep question'))\n```"
        return Reply("late", delay=30)

    server = serve(handler)
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rlm_cli", "ask", str(doc), "q?", "--max-depth", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 15
        while not server.sub_requests() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.sub_requests(), "the child's sub-call never started"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "rlm: interrupted" in err and "Traceback" not in err
    assert out == ""
    root_turns = [r for r in server.root_requests() if "deep question" not in json.dumps(r["messages"][1])]
    assert len(root_turns) == 1
