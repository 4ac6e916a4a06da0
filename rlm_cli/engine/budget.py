"""The usage ledger: tokens and calls per model for the whole tree of calls, safe across threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class ModelUsage:
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }


class Ledger:
    """Every model call of a run, root and sub-calls, is recorded here exactly once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, ModelUsage] = {}
        self.subcalls = 0

    def record(self, model: str, input_tokens: int, output_tokens: int, *, subcall: bool, cached: bool = False) -> None:
        with self._lock:
            usage = self._models.setdefault(model, ModelUsage())
            usage.calls += 1
            usage.cached_calls += int(cached)
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens
            self.subcalls += int(subcall)

    def per_model(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: usage.to_dict() for name, usage in self._models.items()}

    def totals(self) -> dict[str, int]:
        with self._lock:
            return {
                "calls": sum(u.calls for u in self._models.values()),
                "input_tokens": sum(u.input_tokens for u in self._models.values()),
                "output_tokens": sum(u.output_tokens for u in self._models.values()),
                "total_tokens": sum(u.input_tokens + u.output_tokens for u in self._models.values()),
            }
