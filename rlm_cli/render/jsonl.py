"""--jsonl: one JSON event per line on stdout, flushed, for agents and pipelines.

Every event is written, `root_delta` (the root model's reply as it streams) included; consumers
that want whole replies read `root_message`. Each line is strict JSON (no NaN or Infinity) and ends
with a newline; text that the terminal encoding cannot carry is escaped rather than lost.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any, TextIO

from rlm_cli.events import Event


def _finite(value: Any) -> Any:
    """Non-finite floats become null: strict JSON has no NaN or Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def event_line(event: Event, *, ascii_only: bool = False) -> str:
    data = event.to_dict()
    try:
        text = json.dumps(data, ensure_ascii=ascii_only, default=str, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(data), ensure_ascii=ascii_only, default=str, allow_nan=False)
    return text + "\n"


class JsonlRenderer:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            try:
                self.stream.write(event_line(event))
            except UnicodeEncodeError:
                self.stream.write(event_line(event, ascii_only=True))
            self.stream.flush()
