"""The Python API under the CLI: `rlm_cli.ask(question, paths_or_text, **settings) -> Result`.

The same loop as `rlm ask`, for scripts, notebooks and `rlm bench`: settings follow the CLI's
precedence (keyword arguments > environment > config file > defaults), errors are `RlmError`s
carrying the CLI's exit code, and each run is logged like the CLI's (`log=False` turns it off), so
`rlm show RUN_ID` replays it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from rlm_cli.corpus import Corpus, Part
from rlm_cli.engine.result import FAILED, Result
from rlm_cli.errors import ConfigError, ExitCode, InputError, ModelError, RlmError, UsageError
from rlm_cli.events import Emit, discard
from rlm_cli.question import check_question
from rlm_cli.settings import SETTING_NAMES, Settings, require_key, resolve_settings

Inputs = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Mapping[str, str] | Corpus

TEXT_PATH = "<text>"


def corpus_of(inputs: Inputs) -> Corpus:
    """A str is the text itself; a path or a list of paths is read from disk (directories walked);
    a mapping is in-memory documents {name: text}; a Corpus is used as it is."""
    if isinstance(inputs, Corpus):
        return inputs
    if isinstance(inputs, str):
        return Corpus.from_parts([Part(TEXT_PATH, "text", len(inputs.encode()), inputs)])
    if isinstance(inputs, Mapping):
        if not inputs:
            raise InputError("no documents given")
        return Corpus.from_parts([Part(name, "text", len(text.encode()), text) for name, text in inputs.items()])
    from rlm_cli.ingest import load_corpus

    paths = [os.fspath(inputs)] if isinstance(inputs, os.PathLike) else [os.fspath(p) for p in inputs]
    if not paths:
        raise InputError("no paths given")
    return load_corpus(paths)


def settings_of(overrides: Mapping[str, Any]) -> Settings:
    """Resolve keyword settings through the CLI's precedence chain; unknown names are a TypeError."""
    flags = dict(overrides)
    profile = flags.pop("profile", None)
    unknown = sorted(set(flags) - set(SETTING_NAMES))
    if unknown:
        raise TypeError(f"ask() got an unknown setting {unknown[0]!r}; known: {', '.join(SETTING_NAMES)}")
    settings = resolve_settings(flags, profile=profile)
    require_key(settings)
    return settings


def ask(question: str, paths_or_text: Inputs, *, emit: Emit = discard, **settings: Any) -> Result:
    """Answer `question` over the input with the RLM loop and return the Result (answer, status,
    usage, duration). `emit` receives the typed events as they happen. A run that fails (endpoint
    down, bad key) raises RlmError with the CLI's exit code; budgets and unconfirmed answers do not."""
    if not question.strip():
        raise InputError("the question is empty")
    check_question(question)
    resolved = settings_of(settings)
    corpus = corpus_of(paths_or_text)
    from rlm_cli.engine.loop import run
    from rlm_cli.trace import Recorder

    recorder = Recorder(
        corpus, log=resolved.log, keep=resolved.log_keep, secrets=[resolved.api_key],
        on_error=lambda message: warnings.warn(message, RuntimeWarning, stacklevel=3),
    )
    try:
        result = run(question, corpus, resolved, recorder.wrap(emit))
    finally:
        recorder.finish()
    if result.status == FAILED:
        raise _error_of(result)
    return result


_ERRORS: dict[int, type[RlmError]] = {
    ExitCode.USAGE: UsageError, ExitCode.INPUT: InputError, ExitCode.CONFIG: ConfigError, ExitCode.MODEL: ModelError,
}


def _error_of(result: Result) -> RlmError:
    """A run that failed (endpoint down, bad key) raises like the CLI exits; `.result` keeps its record."""
    kind = _ERRORS.get(result.exit_code, RlmError)
    error = kind(result.error or "the run failed", ExitCode(result.exit_code))
    error.result = result  # type: ignore[attr-defined]
    return error
