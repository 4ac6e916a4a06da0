"""Reading the root model's reply: fenced code blocks, and a FINAL written as text.

A text FINAL is honoured only in a reply with no code block: models that write code often also
invent its output and a FINAL in the same reply. In code, FINAL is a real function.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_FENCE = re.compile(r"```[ \t]*(repl|python|py|python3)[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)
_FINAL = re.compile(r"(?<![\w.])(FINAL_VAR|FINAL)\s*\(")


_OPEN_FENCE = re.compile(r"```[ \t]*(repl|python|py|python3)[ \t]*\r?\n.*\Z", re.DOTALL | re.IGNORECASE)


def prose(text: str) -> str:
    """The reply without its code blocks (a cut, unclosed block too): what it says, not what it runs."""
    return _OPEN_FENCE.sub("", _FENCE.sub("", text)).strip()


def code_blocks(text: str) -> list[str]:
    """The closed ```repl / ```python blocks, in order; an unclosed fence (a cut reply) is not run."""
    return [m.group(2) for m in _FENCE.finditer(text) if m.group(2).strip()]


@dataclass(frozen=True)
class TextFinal:
    """A FINAL(...) or FINAL_VAR(...) found in prose; `is_var` means `value` names a REPL variable."""

    value: str
    is_var: bool


def _balanced(text: str, start: int) -> str:
    """The text from `start` up to the parenthesis that closes the one before it (or the end).

    Quotes count only when the argument is a string literal: prose like "the user's id" is not one.
    """
    literal = bool(re.match(r"\s*[rRfFbBuU]?['\"]", text[start:]))
    depth = 1
    i = start
    quote: str | None = None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif not literal:
            pass
        elif text.startswith('"""', i) or text.startswith("'''", i):
            quote = text[i : i + 3]
            i += 3
            continue
        elif ch in "\"'":
            quote = ch
        if quote is None and ch == "(":
            depth += 1
        elif quote is None and ch == ")":
            depth -= 1
            if depth == 0:
                return text[start:i]
        i += 1
    return text[start:]


def _unquote(raw: str) -> str:
    stripped = raw.strip()
    if stripped[:1] in ("'", '"') or stripped[:2].lower() in ('f"', "f'", 'r"', "r'"):
        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError):
            return stripped
        if isinstance(value, str):
            return value
    return stripped


def text_final(text: str) -> TextFinal | None:
    """The last FINAL/FINAL_VAR written in prose, with nested parentheses and several lines kept."""
    found: TextFinal | None = None
    for match in _FINAL.finditer(text):
        inner = _balanced(text, match.end())
        if match.group(1) == "FINAL_VAR":
            found = TextFinal(_unquote(inner), True)
        else:
            found = TextFinal(_unquote(inner), False)
    if found is not None and not found.value:
        return None
    return found
