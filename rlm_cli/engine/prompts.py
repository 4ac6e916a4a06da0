"""What the root model is told. Short and directive: small models follow that, large ones do not mind.

The input itself never appears here: only its size, its file list and a short head/tail preview.
Two styles: `full` (every helper, chunking with sub-calls) and `compact` for small local models (one
worked example, the few things a 1.5B model uses well, and each turn says what to do next).
"""

from __future__ import annotations

import re

from rlm_cli.corpus import Corpus
from rlm_cli.engine import feedback
from rlm_cli.engine.first_search import first_search

COMPACT_AFTER_OUTPUT_TEXT = (
    "If the output above answers the question, reply with one ```repl block that calls FINAL with that "
    "answer written inside, as in the example. Otherwise reply with one ```repl code block that searches further."
)
FULL = "full"
COMPACT = "compact"
AUTO = "auto"
STYLES = (AUTO, COMPACT, FULL)

SYSTEM_PROMPT = """\
You answer a question about a large text that you CANNOT see. The text is stored in a Python \
variable named `context` inside a persistent Python REPL. You reach it only by writing code.

Reply with ONE fenced code block per message, like this:
```repl
import re
hits = [m.start() for m in re.finditer(r"timeout", context)]
print(len(hits), hits[:10])
print(context[hits[0]-200:hits[0]+200] if hits else "no match")
```
You will then see what the code printed. Variables persist between messages.

Available in the REPL:
- `context`: the whole input as one str (read-only). With several files, each starts with a line \
`==> path <==`.
- `documents`: a list of dicts (path, kind, size, start, end): document i is context[d["start"]:d["end"]].
- `grep(pattern, path=None)`: regex search; prints as `path:line: text` lines (each match has .path \
.line .text .offset, and .page in PDFs, where each page starts with a line `--- page N ---`).
- `read(path, start_line, end_line)`: those lines of one file. `locate(offset)`: "path:line" of a position.
- `llm_query(prompt)`: ask a helper model about a piece of text you include in the prompt; returns a str. \
It can read about {sub_window} characters at once.
- `llm_query_batched(prompts)`: many llm_query calls at once (much faster); returns a list of str in order.
- `rlm_query(prompt, context=None)`: like llm_query, for sub-questions that need their own search.
- `SHOW_VARS()`: the variables you have made.
- `FINAL(answer)`: call it when you know the answer; `FINAL_VAR(name)` gives a variable's value as the answer.

How to work:
1. Look first: print the size, a slice, or search with `re` to find what matters. Print little; long \
output is cut.
2. For questions about the whole text, split `context` into chunks, ask `llm_query_batched` about each \
chunk, then combine the answers in code.
3. Check before you answer. Then call FINAL(answer) inside a code block. The answer should be complete \
and cite path:line (or the PDF page) when it helps.
"""

COMPACT_SYSTEM_PROMPT = """\
You answer a question about a long text that you CANNOT see. The text is in the Python variable \
`context` (one str). Only Python code can read it.

Rules:
1. Reply with exactly ONE ```repl code block and nothing else. Never write the output yourself.
2. The code must print() a few lines you need to see, never the whole text. You then get the \
output. Variables are kept.
3. When the output shows the answer, reply with ```repl
FINAL("the answer")
```

Useful code:
- re.findall(r"user=(\\w+)", context) returns the part inside ( ) for every match.
- len(set(names)) counts distinct names.
- i = context.find("word") gives a position; print(context[i-300:i+300]) shows the text around it.
- llm_query("question about: " + context[i:i+{sub_chunk}]) asks a helper model about a piece.
- print(grep(r"E42")) shows each match as path:line: text; read(path, 10, 40) gives lines 10-40 of a file.
"""

# The worked example, as real chat turns: small chat models copy the shape of earlier turns.
COMPACT_EXAMPLE: tuple[tuple[str, str], ...] = (
    ("user", "(Example) Question: Which user got error E42?\nTurn 1. Reply with one ```repl code block."),
    (
        "assistant",
        '```repl\nlines = [line for line in context.splitlines() if "E42" in line]\nprint(len(lines))\n'
        "for line in lines[:10]:\n    print(line)\n```",
    ),
    (
        "user",
        "Code block output:\n1\n10:02 ERROR E42 user=bob\n\nQuestion: Which user got error E42?\n"
        "Turn 2. " + COMPACT_AFTER_OUTPUT_TEXT,
    ),
    ("assistant", '```repl\nFINAL("bob")\n```'),
)

DOCUMENTS_TIP = """\
The text joins several files; `documents` lists them. To find which file contains a position:
```repl
i = context.find("some text")
for d in documents:
    if d["start"] <= i < d["end"]:
        print(d["path"])
```"""

FIRST_TURN = """\
The text in `context` ({chars:,} characters, {lines:,} lines, {documents} document{plural}).
{listing}
Preview of the start:
<<<
{head}
>>>{tail_block}

Question: {question}

You cannot see the text above beyond this preview. Turn 1 of {max_iterations}: reply with one \
```repl code block that searches or inspects `context`."""

COMPACT_FIRST_TURN = """\
The text: {chars:,} characters, {lines:,} lines, {documents} document{plural}.
{listing}Start of the text:
<<<
{head}
>>>
{tips}
Question: {question}

Turn 1 of {max_iterations}. You cannot see the text. Reply now with one ```repl code block that \
searches `context` for what the question needs and prints it.{start}"""

NEXT_TURN = """\
{outputs}

Question: {question}
Turn {turn} of {max_iterations}. {instruction}"""

KEEP_GOING = (
    "Reply with one ```repl code block: continue the search, or call FINAL(answer) in code when you are sure."
)
COMPACT_AFTER_OUTPUT = COMPACT_AFTER_OUTPUT_TEXT
COMPACT_AFTER_ERROR = "Fix the error and reply with one ```repl code block."
COMPACT_AFTER_EMPTY = (
    "Your code found nothing. Reply with one ```repl code block that searches differently, as the hint says."
)
NO_CODE = (
    "Your reply had no ```repl code block and no FINAL. You cannot see the text: write code that "
    "inspects `context`, or call FINAL(answer) if you already know the answer."
)
TYPED_OUTPUT = (
    "That block only wrote down values; it did not read `context`, so nothing was run. Write Python "
    "code that searches `context` and prints what it finds, in one ```repl block."
)
LOOK_FIRST = (
    "Do not answer yet: no code has run, so the answer cannot come from the text. You cannot see the "
    "text. Reply with one ```repl code block that searches `context` for the answer and prints it."
)
LAST_CALL = (
    "You are out of turns. Answer now from what your code has found so far: reply with FINAL(your answer) "
    "and nothing else."
)
EVIDENCE_ANSWER = """\
Below is Python code that searched a long text (the variable `context`), what each search printed, \
then a question about that text.

{evidence}

Question: {question}
Answer the question using only what the searches printed. Reply with the answer only."""
EVIDENCE_LIMIT = 6000

# Model names that say the model is small: a size marker (0.5b, 1.5b, 3b, 7b, 135m) or a known
# small family. A marker after "a" (a3b: active parameters of a larger mixture) is not a size.
SMALL_MAX_BILLIONS = 9.0
_SIZE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z0-9])", re.IGNORECASE)
_SMALL_FAMILIES = re.compile(
    r"tinyllama|smollm|phi-?[123](?!\d)|qwen[\d.]*-?coder|llama-?3\.2",
    re.IGNORECASE,
)


def auto_style(model: str) -> str:
    """`compact` for models whose name marks them as small (at most ~9B parameters), else `full`."""
    sizes = []
    for number, unit in _SIZE.findall(model):
        value = float(number)
        sizes.append(value / 1000 if unit.lower() == "m" else value)
    if sizes:
        return COMPACT if max(sizes) <= SMALL_MAX_BILLIONS else FULL
    return COMPACT if _SMALL_FAMILIES.search(model) else FULL


def resolve_style(requested: str, model: str) -> str:
    return auto_style(model) if requested == AUTO else requested


def _listing(corpus: Corpus, max_listed: int) -> str:
    docs = corpus.documents
    if len(docs) > 1:
        shown = [f"  {d.path} ({d.end - d.start:,} chars)" for d in docs[:max_listed]]
        extra = len(docs) - max_listed
        more = f"\n  ... and {extra} more (see `documents`)" if extra > 0 else ""
        return "Documents:\n" + "\n".join(shown) + more + "\n"
    if docs:
        return f"Document: {docs[0].path}\n"
    return ""


def first_turn(
    question: str, corpus: Corpus, max_iterations: int, max_listed: int = 20, style: str = FULL
) -> str:
    docs = corpus.documents
    head, tail = corpus.preview()
    common = {
        "chars": corpus.chars,
        "lines": corpus.lines,
        "documents": len(docs),
        "plural": "" if len(docs) == 1 else "s",
        "question": question,
        "max_iterations": max_iterations,
    }
    if style == COMPACT:
        tips = f"\n{DOCUMENTS_TIP}\n" if len(docs) > 1 else ""
        head = corpus.preview(300)[0]
        search = first_search(question, corpus.text, len(docs) > 1)
        start = f" A good first step:\n{search}" if search else ""
        return COMPACT_FIRST_TURN.format(
            listing=_listing(corpus, 8), head=head, tips=tips, start=start, **common
        )
    tail_block = f"\nPreview of the end:\n<<<\n{tail}\n>>>" if tail else ""
    return FIRST_TURN.format(listing=_listing(corpus, max_listed), head=head, tail_block=tail_block, **common)


def opening(
    question: str, corpus: Corpus, max_iterations: int, sub_window_chars: int, style: str = FULL
) -> list[dict[str, str]]:
    """The first messages of a run: the system prompt, (compact) the worked example, the first turn."""
    messages = [{"role": "system", "content": system_prompt(sub_window_chars, style)}]
    if style == COMPACT:
        messages += [{"role": role, "content": text} for role, text in COMPACT_EXAMPLE]
    messages.append({"role": "user", "content": first_turn(question, corpus, max_iterations, style=style)})
    return messages


def system_prompt(sub_window_chars: int, style: str = FULL) -> str:
    if style == COMPACT:
        return COMPACT_SYSTEM_PROMPT.replace("{sub_chunk}", str(min(sub_window_chars, 20_000)))
    return SYSTEM_PROMPT.format(sub_window=f"{sub_window_chars:,}")


def step_report(
    index: int, total: int, output: str, error: str | None, notes: list[str], style: str = FULL,
    code: str = "", question: str = "",
) -> str:
    """How one code block's result is shown back to the model, with a hint for common mistakes."""
    title = "Code block output" if total == 1 else f"Code block {index} of {total} output"
    body = output.rstrip() or "(nothing printed)"
    parts = [f"{title}:\n{body}"]
    if error:
        parts.append(feedback.describe_error(error, compact=style == COMPACT))
        hint = feedback.error_hint(error)
    else:
        hint = feedback.output_hint(output)
        if hint == feedback.EMPTY_HINT and code:
            hint = feedback.empty_hint(code, question)
        elif hint == feedback.CUT_HINT and code:
            hint = feedback.cut_hint(code, question)
    if hint:
        parts.append(f"Hint: {hint}")
    parts.extend(notes)
    return "\n".join(parts)


def evidence_answer(question: str, steps: list[tuple[str, str]]) -> list[dict[str, str]]:
    """A fresh, short request for the answer from what the code printed (compact style, out of turns):
    a small model answers a plain question over a few lines far better than at the end of a long REPL
    transcript that keeps telling it it cannot see the text. The code says what each number printed
    means; later steps are kept when some must be left out."""
    blocks: list[str] = []
    used = 0
    for code, output in reversed(steps):
        block = f"Code:\n```\n{code.strip()}\n```\nIt printed:\n<<<\n{output.strip()}\n>>>"
        if blocks and used + len(block) > EVIDENCE_LIMIT:
            break
        blocks.insert(0, block)
        used += len(block)
    return [{"role": "user", "content": EVIDENCE_ANSWER.format(evidence="\n\n".join(blocks), question=question)}]


def next_instruction(style: str, outcome: str) -> str:
    """What to do next after an `outcome` (feedback.ERROR/EMPTY/OUTPUT), said plainly: small models
    need it every turn."""
    if style != COMPACT:
        return KEEP_GOING
    return {feedback.ERROR: COMPACT_AFTER_ERROR, feedback.EMPTY: COMPACT_AFTER_EMPTY}.get(
        outcome, COMPACT_AFTER_OUTPUT
    )


def next_turn(
    question: str, outputs: str, turn: int, max_iterations: int, instruction: str = KEEP_GOING
) -> str:
    return NEXT_TURN.format(
        outputs=outputs, question=question, turn=turn, max_iterations=max_iterations, instruction=instruction
    )
