"""`rlm ask` input flags, --dry-run, the loaded line on stderr, and stdin that is slow or closed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fake_openai import scripted
from ingest_helpers import tree
from typer.testing import CliRunner

from rlm_cli.ingest import IngestOptions, load_corpus

runner = CliRunner()


def ask(*args: str, input: str | bytes | None = None):
    return runner.invoke(app_(), ["ask", *args], input=input)


def app_():
    from rlm_cli.cli import app

    return app


def rlm_process(*args: str, **kwargs) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RLM_", "OPENAI_"))}
    return subprocess.Popen([sys.executable, "-m", "rlm_cli", *args], env=env, **kwargs)


def test_dry_run_prints_the_manifest_and_needs_no_key_or_model(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": "print(1)\n", "b.bin": b"\x00\x01", ".env": "K=1"})
    result = ask("--dry-run", str(root), "any question?")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["bytes", "~tokens", "kind", "path"]
    assert lines[1].split() == ["9", "3", "text", f"{root}/a.py"]
    assert f"{root}/b.bin: binary" in result.stdout
    assert lines[-1].startswith("loaded 1 file, 9 B")


def test_dry_run_without_a_question_and_as_json(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "hello\n"})
    result = ask("--dry-run", "--json", str(root))
    data = json.loads(result.stdout)
    assert data["totals"]["files"] == 1
    assert data["documents"][0] | {"path": "-"} == {
        "path": "-", "kind": "text", "size": 6, "start": 0, "end": 6, "encoding": "utf-8", "pages": 0,
        "estimated_tokens": 2,
    }


def test_filters_reach_the_loader(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": "x", "b.md": "y", ".h.py": "z", "t/c.py": "w"})
    result = ask("--dry-run", "--json", "--ext", "py", "--hidden", "--exclude", "t/", str(root))
    assert [d["path"] for d in json.loads(result.stdout)["documents"]] == [f"{root}/.h.py", f"{root}/a.py"]


def test_the_loaded_line_counts_files_bytes_and_skips_by_reason(serve, tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "hello", "b.bin": b"\x00", "node_modules/x.js": "x", ".env": "K"})
    serve(scripted(['```repl\nFINAL("ok")\n```']))
    result = ask(str(root), "q")
    assert result.exit_code == 0, result.output
    assert (
        "rlm: loaded 1 file, 5 B, 5 chars (~2 tokens); skipped 1 binary; "
        "left out 1 default ignore, 1 hidden (see --hidden, --no-ignore)"
    ) in result.stderr


def test_input_over_max_input_size_exits_3_with_one_line(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x" * 3000})
    result = ask("--dry-run", "--max-input-size", "1K", str(root))
    assert result.exit_code == 3
    assert result.stderr == (
        "rlm: error: the input is over --max-input-size (2.9 KiB > 1.0 KiB): narrow it with "
        "--include/--exclude/--ext, or raise --max-input-size\n"
    )


def test_a_bad_size_is_a_usage_error(tmp_path: Path) -> None:
    result = ask("--dry-run", "--max-file-size", "lots", str(tmp_path))
    assert result.exit_code == 2
    assert "rlm: error: --max-file-size: not a size: 'lots'" in result.stderr


def test_nothing_readable_exits_3(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"b.bin": b"\x00"})
    result = ask("--dry-run", str(root))
    assert result.exit_code == 3
    assert result.stderr == "rlm: error: no readable input (skipped: 1 binary)\n"


def test_a_silent_pipe_is_announced_on_stderr_then_read(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    notes: list[str] = []
    started = time.monotonic()

    def late_writer(message: str) -> None:
        notes.append(message)
        os.write(write_end, b"late data\n")
        os.close(write_end)

    with os.fdopen(read_end, "rb") as stream:
        corpus = load_corpus(["-"], IngestOptions(stdin_notice_after=0.3), stdin=stream, notify=late_writer)
    assert notes == ["rlm: waiting for input on stdin (pipe it, or pass a PATH)"]
    assert corpus.text == "late data\n" and time.monotonic() - started >= 0.3


def test_a_cli_run_on_a_pipe_that_never_sends_says_what_it_waits_for() -> None:
    proc = rlm_process("ask", "--dry-run", "-", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None and proc.stdin is not None
        line = proc.stderr.readline().decode()
        assert line == "rlm: waiting for input on stdin (pipe it, or pass a PATH)\n"
        proc.stdin.write(b"finally\n")
        proc.stdin.close()
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert b"<stdin>" in out


def test_a_closed_stdin_is_a_clear_input_error() -> None:
    proc = rlm_process("ask", "--dry-run", "what?", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, preexec_fn=lambda: os.close(0))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 3
    assert err.decode() == "rlm: error: no input: give a PATH, or pipe text into rlm (stdin is closed)\n"
