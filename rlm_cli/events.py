"""The typed events the engine emits; renderers, the trace store and --jsonl all speak these.

The engine imports nothing of Rich or Typer: it calls an `Emit` callback with these objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar


@dataclass(kw_only=True)
class Event:
    """Base: every event has a type name and a wall-clock timestamp."""

    type: ClassVar[str] = "event"
    ts: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"type": self.type, **data}


@dataclass(kw_only=True)
class InputLoaded(Event):
    type: ClassVar[str] = "input_loaded"
    documents: int
    chars: int
    bytes: int
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass(kw_only=True)
class RunStarted(Event):
    type: ClassVar[str] = "run_started"
    run_id: str
    question: str
    model: str
    sub_model: str
    max_iterations: int
    documents: int
    chars: int
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class IterationStarted(Event):
    type: ClassVar[str] = "iteration_started"
    iteration: int
    max_iterations: int
    depth: int = 0
    parent: str | None = None


@dataclass(kw_only=True)
class RootDelta(Event):
    """A piece of the root model's reply as it streams in."""

    type: ClassVar[str] = "root_delta"
    iteration: int
    text: str
    depth: int = 0
    parent: str | None = None


@dataclass(kw_only=True)
class RootMessage(Event):
    """The root model's whole reply for one iteration."""

    type: ClassVar[str] = "root_message"
    iteration: int
    text: str
    input_tokens: int
    output_tokens: int
    seconds: float
    depth: int = 0
    parent: str | None = None
    cost: float | None = None


@dataclass(kw_only=True)
class CodeStarted(Event):
    type: ClassVar[str] = "code_started"
    step_id: str
    iteration: int
    code: str
    depth: int = 0
    parent: str | None = None


@dataclass(kw_only=True)
class CodeFinished(Event):
    type: ClassVar[str] = "code_finished"
    step_id: str
    iteration: int
    code: str
    output: str
    error: str | None
    seconds: float
    final: bool
    depth: int = 0
    parent: str | None = None


@dataclass(kw_only=True)
class SubcallStarted(Event):
    """A sub-model call (llm_query) or a recursive child (rlm_query) began."""

    type: ClassVar[str] = "subcall_started"
    call_id: str
    parent: str | None
    depth: int
    model: str
    kind: str
    prompt: str


@dataclass(kw_only=True)
class SubcallFinished(Event):
    type: ClassVar[str] = "subcall_finished"
    call_id: str
    parent: str | None
    depth: int
    model: str
    kind: str
    response: str
    input_tokens: int
    output_tokens: int
    seconds: float
    cached: bool = False
    error: str | None = None
    cost: float | None = None


@dataclass(kw_only=True)
class Notice(Event):
    """Something the user should know that is not an error: a retry, a sandbox limit, a nudge."""

    type: ClassVar[str] = "notice"
    level: str
    message: str
    safety: bool = False  # what model code may do (e.g. --sandbox off): shown even with -q


@dataclass(kw_only=True)
class RunFinished(Event):
    type: ClassVar[str] = "run_finished"
    result: dict[str, Any]


Emit = Callable[[Event], None]


def _event_types() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    pending: list[type[Event]] = [Event]
    while pending:
        cls = pending.pop()
        found[cls.type] = cls
        pending.extend(cls.__subclasses__())
    return found


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its `to_dict()` form (a stored log line): the inverse of `to_dict`.

    Unknown keys are dropped and missing optional fields take their defaults, so logs written by an
    older or newer version still load; an unknown `type` raises KeyError.
    """
    cls = _event_types()[data["type"]]
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def discard(event: Event) -> None:
    """An Emit that drops everything (for library use without a renderer)."""
