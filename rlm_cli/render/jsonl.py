"""--jsonl: one JSON event per line on stdout, flushed, for agents and pipelines."""

from __future__ import annotations

import json
from typing import TextIO

from rlm_cli.events import Event


class JsonlRenderer:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        self.stream.write(json.dumps(event.to_dict(), ensure_ascii=False, default=str) + "\n")
        self.stream.flush()
