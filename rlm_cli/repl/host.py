"""The parent side of the REPL: starts the worker, hands it the context once, runs cells.

The context goes to the worker exactly once, as a file in its private scratch directory; a cell
sends only its code. While a cell runs, the worker's model calls arrive here and are answered by
`on_query` (the engine's sub-call pool), so the worker never sees a key or a client.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlm_cli.corpus import Corpus
from rlm_cli.errors import RlmError

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
INTERRUPT_GRACE = 2.0


@dataclass(frozen=True)
class QueryRequest:
    """A batch of model calls made by one cell: kind is "llm" or "rlm"."""

    kind: str
    prompts: list[str]
    model: str | None
    contexts: list[str | None] | None = None


@dataclass
class CellResult:
    output: str
    error: str | None
    final: str | None
    partial: str | None
    seconds: float
    restored: list[str] = field(default_factory=list)
    restarted: bool = False


QueryHandler = Callable[[QueryRequest], list[str]]


class WorkerCrashed(RlmError):
    """The worker process died or stopped answering."""


class ReplHost:
    """One worker process and its namespace, for the lifetime of a run (a context manager)."""

    def __init__(
        self,
        corpus: Corpus,
        on_query: QueryHandler,
        output_limit: int = 4000,
        cell_timeout: float = 120.0,
    ) -> None:
        self.corpus = corpus
        self.on_query = on_query
        self.output_limit = output_limit
        self.cell_timeout = cell_timeout
        self.scratch = Path(tempfile.mkdtemp(prefix="rlm-scratch-"))
        self.context_file = self.scratch / ".context.txt"
        self.proc: subprocess.Popen[bytes] | None = None
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def __enter__(self) -> ReplHost:
        with self.context_file.open("w", encoding="utf-8", newline="") as fh:
            fh.write(self.corpus.text)
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _worker_env(self) -> dict[str, str]:
        """A minimal environment: nothing inherited, so no secret can leak into the worker."""
        return {"PATH": os.defpath, "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "HOME": str(self.scratch)}

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-X", "utf8", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.scratch,
            env=self._worker_env(),
            start_new_session=True,
        )
        self._messages = queue.Queue()
        threading.Thread(target=self._read_loop, args=(self.proc, self._messages), daemon=True).start()
        self._send(
            {
                "op": "init",
                "context_file": str(self.context_file),
                "documents": self.corpus.manifest(),
                "output_limit": self.output_limit,
            }
        )
        reply = self._wait(timeout=60.0 + len(self.corpus.text) / 50e6)
        if reply is None or reply.get("op") != "ready":
            raise WorkerCrashed("the REPL worker failed to start")

    @staticmethod
    def _read_loop(proc: subprocess.Popen[bytes], out: queue.Queue[dict[str, Any] | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                out.put(json.loads(line))
            except ValueError:
                continue
        out.put(None)

    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerCrashed("the REPL worker is gone") from None

    def _wait(self, timeout: float | None) -> dict[str, Any] | None:
        try:
            return self._messages.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None

    def execute(self, code: str) -> CellResult:
        """Run one cell. Time spent waiting on model calls does not count against the cell timeout."""
        started = time.monotonic()
        self._send({"op": "exec", "code": code})
        budget = self.cell_timeout
        while True:
            waited_from = time.monotonic()
            try:
                message = self._wait(timeout=budget)
            except TimeoutError:
                return self._interrupt(started)
            budget -= time.monotonic() - waited_from
            if message is None:
                return self._restart_after(started, "the REPL worker died while running this cell")
            if message.get("op") == "query":
                results = self._answer(message)
                self._send({"op": "answer", "id": message["id"], "results": results})
                continue
            if message.get("op") == "done":
                return CellResult(
                    output=message.get("output", ""),
                    error=message.get("error"),
                    final=message.get("final"),
                    partial=message.get("partial"),
                    seconds=time.monotonic() - started,
                    restored=list(message.get("restored", [])),
                )

    def _answer(self, message: dict[str, Any]) -> list[str]:
        request = QueryRequest(
            kind=message.get("kind", "llm"),
            prompts=list(message.get("prompts", [])),
            model=message.get("model"),
            contexts=message.get("contexts"),
        )
        try:
            results = self.on_query(request)
        except RlmError as exc:
            results = [f"ERROR: {exc}"] * len(request.prompts)
        return results

    def _interrupt(self, started: float) -> CellResult:
        """Ask the cell to stop (SIGINT keeps the namespace); kill and restart if it will not."""
        assert self.proc is not None
        try:
            os.kill(self.proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            while True:
                message = self._wait(timeout=INTERRUPT_GRACE)
                if message is None:
                    break
                if message.get("op") == "query":
                    self._send({"op": "answer", "id": message["id"], "results": ["ERROR: cell timed out"]})
                    continue
                if message.get("op") == "done":
                    return CellResult(
                        output=message.get("output", ""),
                        error=f"TimeoutError: the cell ran longer than {self.cell_timeout:g}s and was "
                        "interrupted; your variables are kept",
                        final=None,
                        partial=message.get("partial"),
                        seconds=time.monotonic() - started,
                    )
        except TimeoutError:
            pass
        return self._restart_after(
            started, f"the cell ran longer than {self.cell_timeout:g}s and would not stop"
        )

    def _restart_after(self, started: float, why: str) -> CellResult:
        self._kill()
        self._start()
        return CellResult(
            output="",
            error=f"RuntimeError: {why}; the REPL was restarted and ALL your variables were lost "
            "(`context` and the helpers are back)",
            final=None,
            partial=None,
            seconds=time.monotonic() - started,
            restarted=True,
        )

    def _kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self._send({"op": "exit"})
                self.proc.wait(timeout=1)
            except (WorkerCrashed, subprocess.TimeoutExpired):
                pass
        self._kill()
        self.proc = None
        shutil.rmtree(self.scratch, ignore_errors=True)
