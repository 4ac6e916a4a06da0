"""Bench sizes: characters ("8000", "64k", "1m") or multiples of the model window ("0.5x", "20x")."""

from __future__ import annotations

import re

from rlm_cli.errors import UsageError

CHARS_PER_TOKEN = 4
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kmx]?)$")
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_sizes(spec: str, window_tokens: int | None) -> list[tuple[str, int]]:
    """(label, characters) for each comma-separated size; window multiples need the window."""
    out: list[tuple[str, int]] = []
    for raw in (s.strip().lower() for s in spec.split(",")):
        if not raw:
            continue
        match = _SIZE.match(raw)
        if not match:
            raise UsageError(f"bad size {raw!r}: use characters (8000, 64k, 1m) or window multiples (0.5x, 20x)")
        number, unit = float(match.group(1)), match.group(2)
        if unit == "x":
            if window_tokens is None:
                raise UsageError(f"size {raw!r} is a multiple of the window: give --window TOKENS")
            chars = int(number * window_tokens * CHARS_PER_TOKEN)
        else:
            chars = int(number * _MULTIPLIERS[unit])
        if chars < 1000:
            raise UsageError(f"size {raw!r} is {chars} characters; the smallest is 1000")
        out.append((raw, chars))
    if not out:
        raise UsageError("no sizes given")
    return out
