"""Bench results on disk: one JSON file per run under <data dir>/bench/, rewritten as tasks finish
so an interrupted run keeps what it measured."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from rlm_cli import paths


def bench_dir() -> Path:
    return paths.data_dir() / "bench"


def new_bench_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def save(bench_id: str, document: dict[str, Any]) -> Path:
    """Write atomically (a reader never sees half a file)."""
    folder = bench_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{bench_id}.json"
    temp = target.with_suffix(".json.tmp")
    temp.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temp, target)
    return target
