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
from rlm_cli.repl import sandbox as policy

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
INTERRUPT_GRACE = 2.0
STOP_GRACE = 1.0  # Ctrl-C: how long the cell gets to hand back its partial answer
DEFAULT_CELL_TIMEOUT = 60.0
MESSAGE_HEADROOM = 64 << 20  # plus 12 bytes per context character: FINAL(context) as escaped JSON
_REPORTED: set[str] = set()


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
Notify = Callable[[str], None]


class WorkerCrashed(RlmError):
    """The worker process died or stopped answering."""


class ReplHost:
    """One worker process and its namespace, for the lifetime of a run (a context manager)."""

    def __init__(
        self,
        corpus: Corpus,
        on_query: QueryHandler,
        output_limit: int = 4000,
        cell_timeout: float = DEFAULT_CELL_TIMEOUT,
        sandbox: bool = True,
        on_notice: Notify | None = None,
        limits: dict[str, int] | None = None,
        read_paths: list[str] | None = None,
        max_message: int | None = None,
        context_file: Path | None = None,
    ) -> None:
        """`context_file`: a parent's copy of the same text (an rlm_query child over the parent's
        input), read from there instead of writing the input to disk once more."""
        self.corpus = corpus
        self.on_query = on_query
        self.output_limit = output_limit
        self.cell_timeout = cell_timeout
        self.sandbox = sandbox
        self.on_notice = on_notice or (lambda message: None)
        self.scratch = Path(tempfile.mkdtemp(prefix="rlm-scratch-"))
        self.shared_context = context_file is not None
        self.context_file = context_file or self.scratch / ".context.txt"
        self.limits = limits if limits is not None else policy.limits_for(len(corpus.text), cell_timeout, sandbox)
        self.read_paths = read_paths if read_paths is not None else _input_files(corpus)
        self.max_message = max_message or MESSAGE_HEADROOM + 12 * len(corpus.text)
        self.protections: list[policy.Protection] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def __enter__(self) -> ReplHost:
        if not self.shared_context:
            with self.context_file.open("w", encoding="utf-8", newline="") as fh:
                fh.write(self.corpus.text)
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _worker_env(self) -> dict[str, str]:
        """A minimal environment: nothing inherited, so no secret can leak into the worker."""
        home = str(self.scratch)
        return {
            "PATH": os.defpath, "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "HOME": home, "TMPDIR": home,
            "MALLOC_ARENA_MAX": "2",  # threads then do not each reserve 64 MB of the address-space limit
        }

    def _start(self) -> None:
        """Start the worker: -I -S (no user site, no site-packages, no PYTHON* variables), resource
        limits and new namespaces applied between fork and exec, its own session and process group."""
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-X", "utf8", str(WORKER_SCRIPT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=self.scratch,
                env=self._worker_env(),
                start_new_session=True,
                preexec_fn=policy.preexec(self.limits, isolate_network=self.sandbox),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise WorkerCrashed(f"cannot start the REPL worker: {exc}") from None
        self._messages = queue.Queue()
        threading.Thread(
            target=self._read_loop, args=(self.proc, self._messages, self.max_message), daemon=True
        ).start()
        self._send(
            {
                "op": "init",
                "context_file": str(self.context_file),
                "scratch": str(self.scratch),
                "documents": self.corpus.manifest(),
                "output_limit": self.output_limit,
                "sandbox": {"scratch": str(self.scratch), "read_paths": self.read_paths} if self.sandbox else None,
            }
        )
        try:
            reply = self._wait(timeout=60.0 + len(self.corpus.text) / 50e6)
        except TimeoutError:
            reply = None
        if reply is None or reply.get("op") != "ready":
            raise WorkerCrashed("the REPL worker failed to start")
        self._report(reply.get("sandbox") or {})

    def _report(self, status: dict[str, Any]) -> None:
        """Say once per process (on stderr, through the engine) what the sandbox could not enforce."""
        self.protections = policy.report(status, policy.namespace("net"), self.sandbox)
        if not self.sandbox:
            message = "--sandbox off: model-written code runs with your full permissions (files, network, processes)"
        else:
            missing = [f"{name} ({detail})" for name, enforced, detail in self.protections if not enforced]
            message = "sandbox: not enforced on this system: " + "; ".join(missing) if missing else ""
        if message and message not in _REPORTED:
            _REPORTED.add(message)
            self.on_notice(message)

    @staticmethod
    def _read_loop(proc: subprocess.Popen[bytes], out: queue.Queue[dict[str, Any] | None], limit: int) -> None:
        """Messages from the worker, which model code can forge: a line longer than `limit` (an
        endless write to the protocol pipe) ends the worker rather than this process's memory."""
        assert proc.stdout is not None
        while line := proc.stdout.readline(limit + 1):
            if len(line) > limit:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                break
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                out.put(message)
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
        """Run one cell. Time spent waiting on model calls does not count against the cell timeout.
        On Ctrl-C (or a signal the CLI turns into one) the cell is stopped first, so the partial
        answer it had set rides on the KeyboardInterrupt as `exc.partial`."""
        try:
            return self._execute(code)
        except KeyboardInterrupt as exc:
            exc.partial = self._stop_cell()  # type: ignore[attr-defined]
            raise

    def _stop_cell(self) -> str | None:
        """SIGINT the running cell and wait briefly for its `done`, which carries `answer["content"]`."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        try:
            os.kill(self.proc.pid, signal.SIGINT)
        except ProcessLookupError:
            return None
        deadline = time.monotonic() + STOP_GRACE
        try:
            while (left := deadline - time.monotonic()) > 0:
                message = self._wait(timeout=left)
                if message is None:
                    return None
                if message.get("op") == "query":
                    self._send({"op": "answer", "id": message.get("id"), "results": ["ERROR: interrupted"]})
                elif message.get("op") == "done":
                    return _text(message.get("partial"))
        except (TimeoutError, WorkerCrashed, KeyboardInterrupt):
            pass
        return None

    def _execute(self, code: str) -> CellResult:
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
                self._send({"op": "answer", "id": message.get("id"), "results": results})
                continue
            if message.get("op") == "done":
                return CellResult(
                    output=_text(message.get("output")) or "",
                    error=_text(message.get("error")),
                    final=_text(message.get("final")),
                    partial=_text(message.get("partial")),
                    seconds=time.monotonic() - started,
                    restored=[str(name) for name in _items(message.get("restored"))],
                )

    def _answer(self, message: dict[str, Any]) -> list[str]:
        contexts = message.get("contexts")
        request = QueryRequest(
            kind="rlm" if message.get("kind") == "rlm" else "llm",
            prompts=[str(p) for p in _items(message.get("prompts"))],
            model=_text(message.get("model")),
            contexts=None if contexts is None else [_text(c) for c in _items(contexts)],
        )
        try:
            results = [str(r) for r in self.on_query(request)]
        except Exception as exc:  # noqa: BLE001 - a sub-call failure is the model's to handle, never the run's
            reason = str(exc) if isinstance(exc, RlmError) else f"{type(exc).__name__}: {exc}"
            results = [f"ERROR: {reason}"] * len(request.prompts)
        if len(results) != len(request.prompts):
            results = (results + ["ERROR: no answer"] * len(request.prompts))[: len(request.prompts)]
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
                message = self._wait(timeout=min(INTERRUPT_GRACE, max(0.5, self.cell_timeout)))
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


def _input_files(corpus: Corpus) -> list[str]:
    """The input files on disk: the only files outside scratch the worker may read."""
    return [os.path.realpath(d.path) for d in corpus.documents if os.path.isfile(d.path)]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
