"""Text from the input, the models or the REPL made safe to draw on a terminal or in a log line.

An input file (or a model echoing it) can hold escape sequences that retitle the window, clear
the screen or hide text; drawn raw they act on the user's terminal. Every renderer passes such
text through `safe()` first: control characters other than newline and tab (C0, DEL, C1, and so
the ESC that starts every sequence) become their visible `\\x1b` form, and the Unicode bidi
overrides and isolates (U+202A-U+202E, U+2066-U+2069), which reorder what is drawn so text reads
other than it is ("Trojan Source"), become `\\u202e`. Exact output (the piped answer, --json,
--jsonl) does not use this.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def error_line(message: str) -> str:
    """The `rlm: error: ...` line: messages can quote file names or model text, so they are made safe."""
    return f"rlm: error: {safe(message)}\n"


def safe(text: str) -> str:
    """`text` with every control character except newline and tab shown as `\\xNN`, and every bidi
    override or isolate as `\\uNNNN`."""
    return _CONTROL.sub(_escaped, text)
