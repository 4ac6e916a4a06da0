"""Ways a run ends early besides Ctrl-C: SIGTERM, SIGHUP, and a stdout nobody reads any more.

All of them become a KeyboardInterrupt in the main thread, so the one interrupt path (stop the
cell, keep its partial answer, stop the worker, remove scratch, log the run as interrupted) runs
for each; only the exit code differs (128 + signal, or 141 for a closed pipe).
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from rlm_cli.errors import ExitCode, UsageError

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
CLOSED = "stdout is closed: the answer would be lost (redirect it to a file or /dev/null)"
EARLY_EVENTS = ("InputLoaded", "RunStarted")  # sent before the engine can log an interrupt
_state: dict[str, int | None] = {"code": None}


def install() -> None:
    """SIGTERM and SIGHUP raise KeyboardInterrupt once; a repeat while stopping is ignored so the
    cleanup it started is not cut short."""
    _state["code"] = None
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_signal)


def _on_signal(signum: int, frame: Any) -> None:
    if _state["code"] is not None:
        return
    _state["code"] = 128 + signum
    raise KeyboardInterrupt


def exit_code() -> int:
    """The code for an interrupted run: 130 for Ctrl-C, else the stop that caused it."""
    return _state["code"] or int(ExitCode.INTERRUPTED)


def stdout_gone() -> bool:
    return _state["code"] == int(ExitCode.BROKEN_PIPE)


def require_stdout() -> None:
    """A closed stdout (`>&-`) would lose the answer after the whole run: refuse before any model call."""
    stream = sys.stdout
    if stream is None or stream.closed:
        raise UsageError(CLOSED)
    try:
        fd = stream.fileno()
    except (io.UnsupportedOperation, AttributeError):
        return  # an in-memory stream (tests) has no descriptor, and works
    except (OSError, ValueError):
        raise UsageError(CLOSED) from None
    try:
        os.fstat(fd)
    except OSError:
        raise UsageError(CLOSED) from None


def guard_stdout(emit: Callable[[Any], None]) -> Callable[[Any], None]:
    """Wrap a sink that writes to stdout: a reader that went away ends the run quietly. The stop is
    raised on a main-thread event after the run has started (so the engine's interrupt path logs
    it), and from another thread as a real SIGINT to the main thread (which may be blocked)."""
    pending = [False]

    def guarded(event: Any) -> None:
        on_main = threading.current_thread() is threading.main_thread()
        if stdout_gone():
            if pending[0] and on_main and type(event).__name__ not in EARLY_EVENTS:
                pending[0] = False
                raise KeyboardInterrupt
            return
        try:
            emit(event)
        except BrokenPipeError:
            stdout_closed()
            pending[0] = True
            if not on_main:
                pending[0] = False
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            elif type(event).__name__ not in EARLY_EVENTS:
                pending[0] = False
                raise KeyboardInterrupt from None

    return guarded


def stdout_closed() -> None:
    """Point stdout at /dev/null so later writes and the final flush cannot fail."""
    _state["code"] = int(ExitCode.BROKEN_PIPE)
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass
