"""Errors that end a run, each tied to a documented exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit-code contract; README.md lists it and tests pin it."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    INPUT = 3
    CONFIG = 4
    MODEL = 5
    MAX_ITERATIONS = 6
    MAX_SUBCALLS = 7
    MAX_TOKENS = 8
    MAX_COST = 9
    TIMEOUT = 10
    HANGUP = 129
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "a confirmed answer",
    ExitCode.INTERNAL: "an internal error (a bug: please report it)",
    ExitCode.USAGE: "usage error (bad flag or argument)",
    ExitCode.INPUT: "input error (missing path, nothing readable, input too large)",
    ExitCode.CONFIG: "auth or config error (no key, key refused, unknown model, bad config file)",
    ExitCode.MODEL: "the model endpoint failed after retries",
    ExitCode.MAX_ITERATIONS: "no confirmed answer within --max-iterations (best answer printed)",
    ExitCode.MAX_SUBCALLS: "--max-subcalls ran out (best answer printed)",
    ExitCode.MAX_TOKENS: "--max-tokens ran out (best answer printed)",
    ExitCode.MAX_COST: "--max-cost ran out (best answer printed)",
    ExitCode.TIMEOUT: "--timeout ran out (best answer printed)",
    ExitCode.HANGUP: "interrupted by SIGHUP (terminal closed; partial answer printed if any)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
    ExitCode.BROKEN_PIPE: "stdout was closed by its reader (e.g. head); the run stopped quietly",
    ExitCode.TERMINATED: "interrupted by SIGTERM (partial answer printed if any)",
}


class RlmError(Exception):
    """An error the user can act on: shown as one line, mapped to an exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(RlmError):
    exit_code = ExitCode.USAGE


class InputError(RlmError):
    exit_code = ExitCode.INPUT


class ConfigError(RlmError):
    exit_code = ExitCode.CONFIG


class ModelError(RlmError):
    """The endpoint failed in a way retries could not fix."""

    exit_code = ExitCode.MODEL
