"""Turn paths and stdin into a Corpus. The CLI calls `load_corpus`; nothing here knows about models."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rlm_cli.corpus import Corpus, Part, Skipped
from rlm_cli.errors import InputError

STDIN_PATH = "<stdin>"
DEFAULT_IGNORED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}
)


@dataclass(frozen=True)
class IngestOptions:
    """What to load; the ingestion issue grows this (ignore rules, filters, size limits)."""

    hidden: bool = False


def _decode(data: bytes) -> str | None:
    """UTF-8 text, or None for binary data."""
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _read_file(path: Path, shown: str, parts: list[Part], skipped: list[Skipped]) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        skipped.append(Skipped(shown, f"unreadable ({exc.strerror or exc})"))
        return
    text = _decode(data)
    if text is None:
        skipped.append(Skipped(shown, "binary"))
        return
    parts.append(Part(shown, "text", len(data), text))


def _walk(root: Path, options: IngestOptions, parts: list[Part], skipped: list[Skipped]) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in DEFAULT_IGNORED_DIRS and (options.hidden or not d.startswith("."))
        )
        for name in sorted(filenames):
            if not options.hidden and name.startswith("."):
                continue
            full = Path(dirpath) / name
            if not full.is_file():
                skipped.append(Skipped(str(full), "not a regular file"))
                continue
            _read_file(full, str(full), parts, skipped)


def load_corpus(
    paths: Sequence[str],
    options: IngestOptions | None = None,
    stdin: BinaryIO | None = None,
    notify: Callable[[str], None] | None = None,
) -> Corpus:
    """Read every path ('-' is stdin) into one Corpus; raise InputError when nothing usable remains."""
    options = options or IngestOptions()
    parts: list[Part] = []
    skipped: list[Skipped] = []
    for raw in paths:
        if raw == "-":
            stream = stdin if stdin is not None else (sys.stdin.buffer if sys.stdin else None)
            if stream is None:
                raise InputError("stdin is closed but '-' was given as an input")
            data = stream.read()
            parts.append(Part(STDIN_PATH, "stdin", len(data), data.decode("utf-8", errors="replace")))
            continue
        path = Path(raw)
        if not path.exists():
            raise InputError(f"no such file or directory: {raw}")
        if path.is_dir():
            _walk(path, options, parts, skipped)
        else:
            _read_file(path, raw, parts, skipped)
    if not parts:
        reason = f" ({len(skipped)} skipped)" if skipped else ""
        raise InputError(f"no readable input{reason}")
    return Corpus.from_parts(parts, skipped)
