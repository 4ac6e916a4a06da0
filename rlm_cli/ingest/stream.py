"""Reading stdin (or a FIFO given as a path) once, bounded, and never waiting in silence."""

from __future__ import annotations

import io
import select
from collections.abc import Callable
from typing import BinaryIO

CHUNK = 1 << 20
WAITING = "rlm: waiting for input on stdin (pipe it, or pass a PATH)"


class StreamTooLarge(Exception):
    """More than the limit arrived."""


def _fileno(stream: BinaryIO) -> int | None:
    try:
        return stream.fileno()
    except (io.UnsupportedOperation, AttributeError, ValueError, OSError):
        return None


def read_stream(
    stream: BinaryIO,
    limit: int,
    notify: Callable[[str], None] | None = None,
    notice_after: float = 3.0,
    waiting: str = WAITING,
) -> bytearray:
    """Everything until EOF. If nothing arrives within `notice_after` seconds, say what is awaited
    (once) and keep waiting: a CI log then shows why the job is stuck."""
    fd = _fileno(stream)
    if fd is not None and notify is not None:
        try:
            ready, _, _ = select.select([fd], [], [], notice_after)
        except (OSError, ValueError):
            ready = [fd]
        if not ready:
            notify(waiting)
    out = bytearray()
    while chunk := stream.read(CHUNK):
        out += chunk
        if len(out) > limit:
            raise StreamTooLarge(len(out))
    return out
