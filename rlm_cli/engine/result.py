"""What a run produces: the answer, how it ended, and what it cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rlm_cli.errors import ExitCode

CONFIRMED = "confirmed"
UNCONFIRMED = "unconfirmed"
INTERRUPTED = "interrupted"
FAILED = "error"
EXHAUSTED = "exhausted"  # a run-wide budget ran out; exit_code says which


@dataclass
class Result:
    answer: str | None
    status: str
    exit_code: ExitCode
    run_id: str
    question: str
    model: str
    sub_model: str
    iterations: int
    subcalls: int
    usage: dict[str, Any]
    usage_by_model: dict[str, dict[str, Any]]
    inputs: dict[str, Any]
    duration: float
    error: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def confirmed(self) -> bool:
        return self.status == CONFIRMED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = int(self.exit_code)
        data["duration"] = round(self.duration, 3)
        return data
