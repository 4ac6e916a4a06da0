"""What a model is told after its code ran: the error in a few lines, and a hint for common mistakes.

Small models repeat a failing line unless told what it means ("no such group" means the regex has
no parentheses). The hints are a plain table so a new mistake seen in a transcript is one row.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

CUT_MARKER = "characters cut: print less"

# (pattern searched in the error's last line, hint). The first match wins; `{0}` is the first group.
ERROR_HINTS: tuple[tuple[str, str], ...] = (
    (
        r"IndexError: no such group",
        "Your regex has no (...) group, so .group(1) fails. Put parentheses around the part you want, "
        'e.g. re.search(r"id=(\\S+)", line).group(1), or use .group(0) for the whole match.',
    ),
    (
        r"'NoneType' object (?:has no attribute|is not subscriptable)",
        "re.search or re.match found nothing and returned None. Check `if m:` before m.group(...), or use "
        "re.findall(...) and print what it found.",
    ),
    (
        r"IndexError: list index out of range",
        "The list is shorter than you thought, maybe empty because the search found nothing. "
        "Print len(...) before taking [0].",
    ),
    (
        r"NameError: name '((?i:final(?:_var)?))' is not defined",
        'It is spelled in capitals: FINAL("the answer") (or FINAL_VAR("name")), not {0}.',
    ),
    (
        r"NameError: name '(\w+)' is not defined",
        "`{0}` does not exist now. Define it again in this block: a variable from a block that failed "
        "before that line, or from before a REPL restart, is gone.",
    ),
    (
        r"ALL your variables were lost",
        "The REPL restarted: every variable is gone. Recompute what you need in one block.",
    ),
    (
        r"^(?:SyntaxError|IndentationError)",
        "The block is not valid Python. Put only Python code inside the block; write prose outside it.",
    ),
    (
        r"^(?:re\.error|re\.PatternError|PatternError)|unterminated character set|nothing to repeat",
        "The regex is invalid. Escape special characters, or use re.escape(text) for literal text.",
    ),
    (
        r"^(?:FileNotFoundError|IsADirectoryError|PermissionError)",
        "The input is not read from disk: it is already loaded in the variable `context` (a str).",
    ),
    (
        r"^ModuleNotFoundError",
        "Only the Python standard library is available.",
    ),
    (
        r"TypeError: expected string or bytes-like object",
        "re functions take one str: search `context` or a slice of it, not a list or None.",
    ),
    (
        r"^KeyError",
        "That key is not in the dict. Print its keys first: print(list(d.keys())[:20]).",
    ),
    (
        r"time limit and was interrupted",
        "The block was too slow. Avoid Python loops over characters or over many sub-calls; "
        "use re.findall, str.count or str.find on `context`.",
    ),
)

CUT_HINT = (
    "The output was too long and was cut. Print a count and a few items, e.g. print(len(hits), hits[:10])."
)
EMPTY_HINT = (
    "Nothing was found, so the pattern is probably wrong. Search for one plain word from the question, "
    'e.g. lines = [l for l in context.splitlines() if "word" in l]; print(len(lines), lines[:5]) '
    "or print(context[:1000]) to see how the text is really written."
)
SILENT_HINT = "Nothing was printed. Use print(...) to see the values you need."
ECHO_HINT = (
    "Every match printed the same text: only the word you searched for. Print the whole lines around "
    "it instead (grep(...) prints each as path:line: text) to see where it is."
)
_EMPTY_TOKENS = {"", "0", "[]", "{}", "()", "set()", "None", "''", '""', "-1", "False"}
_NOT_FOUND = re.compile(
    r"\b(?:no|not|nothing|none|zero)\b[^\n]{0,40}?\b(?:found|match(?:es|ed)?|results?)\b", re.I
)
OUTPUT, EMPTY, ERROR = "output", "empty", "error"

REPEAT_OUTPUT_NUDGES: tuple[str, ...] = (
    "You already ran this code and saw this output. If it answers the question, reply with "
    '```repl\nFINAL("the answer")\n```\nOtherwise search for something different.',
    "Stop repeating the same code. Answer now with FINAL(...) in a ```repl block, using what the "
    "output shows.",
)
REPEAT_NUDGES: tuple[str, ...] = (
    "You ran the same code and got the same error as before. Do not repeat it: change the line that "
    "failed, following the hint.",
    "Same code, same error, again. Take a different, simpler approach: first print a small part of "
    "the text around a match (context[i-200:i+200]) and build the next step from what you see.",
)


@dataclass(frozen=True)
class ErrorSummary:
    """The last line of a traceback (type: message) and the model's own failing line, if known."""

    message: str
    line_number: int | None
    source: str | None


def summarise(error: str) -> ErrorSummary:
    """Pick the error line and the failing source line out of a cell traceback."""
    lines = [line for line in error.rstrip().splitlines() if line.strip()]
    message = lines[-1].strip() if lines else error.strip()
    line_number: int | None = None
    source: str | None = None
    for i, line in enumerate(lines):
        found = re.match(r'\s*File "<cell>", line (\d+)', line)
        if found:
            line_number = int(found.group(1))
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            source = nxt.strip() if nxt.startswith("    ") and nxt.strip() != message else None
    return ErrorSummary(message, line_number, source)


def error_hint(error: str) -> str | None:
    """The hint for the first table row that matches the error, or None."""
    message = summarise(error).message
    for pattern, hint in ERROR_HINTS:
        found = re.search(pattern, message) or re.search(pattern, error)
        if found:
            return hint.format(*found.groups()) if found.groups() else hint
    return None


def output_hint(output: str) -> str | None:
    """A hint from what a successful block printed: cut, empty, or a search that found nothing."""
    if CUT_MARKER in output:
        return CUT_HINT
    text = output.strip()
    if not text:
        return SILENT_HINT
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().isdigit()]
    if len(lines) >= 3 and len(set(lines)) == 1:
        return ECHO_HINT
    tokens = text.replace(",", " ").split()
    if all(t in _EMPTY_TOKENS for t in tokens) or (len(text) < 200 and _NOT_FOUND.search(text)):
        return EMPTY_HINT
    return None


def _literals(code: str) -> list[str]:
    """The string constants in the code (regex patterns, search words), in order."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return re.findall(r"[rR]?[\"']([^\"'\n]+)[\"']", code)
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


_STOP = frozenset(
    "which what who whom whose where when why how many much the and with for from that this these those does "
    "did are was were have has had is a an in of on to at by or not any all each every there their its it "
    "distinct different unique appear appears appeared file files function functions define defines defined "
    "text records record count number name names list give find show tell about between most least first "
    "last got get gets say says said".split()
)


QUOTED = re.compile(r"['\"`]([^'\"`\n]{3,60})['\"`]")


def looks_like_code(word: str) -> bool:
    """An identifier or a capitalised code (E42, load_ledger, ERROR), written in the text as asked."""
    return word.isupper() or "_" in word or any(c.isdigit() for c in word)


def question_word(question: str) -> str | None:
    """The word of the question most likely to appear in the text: a quoted one, an identifier or a
    capitalised code, then the longest other word (a plural made singular: "users" is written "user=")."""
    quoted = QUOTED.search(question)
    if quoted:
        return quoted.group(1)
    words = [w.strip(".-") for w in re.findall(r"[A-Za-z_][\w.-]*", question)]
    words = [w for w in words if len(w) >= 3 and w.lower() not in _STOP]
    if not words:
        return None
    best = sorted(words, key=lambda w: (not looks_like_code(w), -len(w)))[0]
    if best.islower() and best.endswith("s") and not best.endswith("ss") and len(best) > 4:
        best = best[:-1]
    return best


def plain_search(word: str, several_files: bool = False) -> str:
    """Code a small model can copy: every line containing `word`, counted, the first few shown (with
    grep's path:line when there are several files, so "which file" is answered by the output). The
    word is written as a valid Python string (a quoted `C:\\Users` must not become a syntax error),
    and for grep as a regex matching it literally."""
    if several_files:
        return (
            f"```repl\nhits = grep({_literal(re.escape(word))})\nprint(len(hits))\nfor hit in hits[:10]:\n"
            "    print(hit)\n```"
        )
    return (
        f"```repl\nlines = [line for line in context.splitlines() if {_literal(word)} in line]\nprint(len(lines))\n"
        "for line in lines[:10]:\n    print(line)\n```"
    )


def _literal(text: str) -> str:
    """`text` as a double-quoted Python string literal."""
    return json.dumps(text, ensure_ascii=False)


def printed_alone(answer: str, outputs: list[str]) -> bool:
    """The answer is a whole line some code printed (a count, a computed value), copied as it was."""
    value = answer.strip()
    return bool(value) and any(value == line.strip() for output in outputs for line in output.splitlines())


def is_typed_output(code: str) -> bool:
    """The block only writes down values (numbers, strings, lists): invented output, not code."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    for node in tree.body:
        if not isinstance(node, ast.Expr):
            return False
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
    return bool(tree.body)


PLACEHOLDERS = frozenset({"the answer", "your answer", "answer", "...", "<answer>", "your answer here"})
PLACEHOLDER_NOTE = (
    'FINAL was given a placeholder, not an answer. Put the real value inside: for example FINAL("req-42") '
    "or FINAL(found[0]). If you do not know it yet, search first."
)


def is_placeholder(answer: str) -> bool:
    """An answer copied from an instruction ("the answer") rather than found."""
    return answer.strip().strip("\"'<>").strip().lower() in PLACEHOLDERS or not answer.strip()


def is_bare_final(code: str) -> bool:
    """The block only calls FINAL/FINAL_VAR on a literal: an answer typed in, not found by code."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    call = tree.body[0].value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id in ("FINAL", "FINAL_VAR", "Final", "final")
        and all(isinstance(a, ast.Constant) for a in call.args)
    )


def search_word(code: str, question: str) -> str | None:
    """The plainest word the code searched for: one the question also uses, capitals first."""
    words: list[str] = []
    for literal in _literals(code):
        plain = re.sub(r"\\[a-zA-Z]|\[[^\]]*\]|\{[^}]*\}|\(\?[^)]*\)", " ", literal)
        words += [w for w in re.findall(r"[A-Za-z_]{3,}", plain) if w not in words]
    if not words:
        return question_word(question)
    asked = {w.lower() for w in re.findall(r"[A-Za-z_]{3,}", question)}
    return sorted(words, key=lambda w: (w.lower() not in asked, not w.isupper(), -len(w)))[0]


def empty_hint(code: str, question: str) -> str:
    """Nothing found: a concrete broader search built from the model's own pattern, to copy."""
    word = search_word(code, question)
    if word is None:
        return EMPTY_HINT
    if f'"{word}" in line' in code or f"'{word}' in line" in code:
        code_text = plain_search(word).replace(f'"{word}" in line', f'"{word.lower()}" in line.lower()')
    else:
        code_text = plain_search(word)
    return f"Nothing was found, so the pattern is too strict. Search for one plain word instead:\n{code_text}"


def cut_hint(code: str, question: str) -> str:
    """Output too long: print only the lines that matter, with a search to copy when one fits."""
    word = search_word(code, question)
    if word is None:
        return CUT_HINT
    return f"The output was too long and was cut. Print only the lines you need, e.g.:\n{plain_search(word)}"


def outcome(output: str, error: str | None) -> str:
    """ERROR, EMPTY (nothing printed or nothing found) or OUTPUT: decides what the model is told next."""
    if error:
        return ERROR
    return EMPTY if output_hint(output) in (EMPTY_HINT, SILENT_HINT) else OUTPUT


def describe_error(error: str, compact: bool) -> str:
    """The error as shown to the model: the whole cell traceback, or (compact) two short lines."""
    if not compact:
        return f"Error:\n{error.rstrip()}"
    summary = summarise(error)
    where = ""
    if summary.line_number is not None:
        where = f"Error in line {summary.line_number}"
        where += f": {summary.source}\n" if summary.source else ":\n"
    else:
        where = "Error:\n"
    return where + summary.message


def repeat_nudge(times_seen: int, failed: bool = True) -> str:
    """A stronger nudge each time the same code gives the same result again (times_seen >= 1)."""
    nudges = REPEAT_NUDGES if failed else REPEAT_OUTPUT_NUDGES
    return nudges[min(times_seen, len(nudges)) - 1]


def repeat_key(code: str, output: str, error: str | None) -> tuple[str, str]:
    """Code and its result (the error line, or the output) without whitespace or comment noise."""
    lines = [line.split("#", 1)[0].strip() for line in code.splitlines()]
    result = summarise(error).message if error else " ".join(output.split())
    return " ".join(line for line in lines if line), result
