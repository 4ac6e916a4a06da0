"""Text from the input, the models or the REPL made safe to draw on a terminal or in a log line.

An input file (or a model echoing it) can hold escape sequences that retitle the window, clear
the screen or hide text; drawn raw they act on the user's terminal. Every renderer passes such
text through `safe()` first: control characters other than newline and tab (C0, DEL, C1, and so
the ESC that starts every sequence) become their visible `\\x1b` form. Exact output (the piped
answer, --json, --jsonl) does not use this.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def safe(text: str) -> str:
    """`text` with every control character except newline and tab shown as `\\xNN`."""
    return _CONTROL.sub(_escaped, text)
