"""What the root model is told. Short and directive: small models follow that, large ones do not mind.

The input itself never appears here: only its size, its file list and a short head/tail preview.
"""

from __future__ import annotations

from rlm_cli.corpus import Corpus

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
- `context`: the whole input as one str (read-only). With several files, each starts with a line `==> path <==`.
- `documents`: a list of dicts (path, kind, size, start, end): document i is context[d["start"]:d["end"]].
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
and cite paths or line numbers when they help.
"""

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

NEXT_TURN = """\
{outputs}

Question: {question}
Turn {turn} of {max_iterations}. {instruction}"""

KEEP_GOING = (
    "Reply with one ```repl code block: continue the search, or call FINAL(answer) in code when you are sure."
)
NO_CODE = (
    "Your reply had no ```repl code block and no FINAL. You cannot see the text: write code that "
    "inspects `context`, or call FINAL(answer) if you already know the answer."
)
LAST_CALL = (
    "You are out of turns. Answer now from what your code has found so far: reply with FINAL(your answer) "
    "and nothing else."
)


def first_turn(question: str, corpus: Corpus, max_iterations: int, max_listed: int = 20) -> str:
    docs = corpus.documents
    listing = ""
    if len(docs) > 1:
        shown = [f"  {d.path} ({d.end - d.start:,} chars)" for d in docs[:max_listed]]
        more = f"\n  ... and {len(docs) - max_listed} more (see `documents`)" if len(docs) > max_listed else ""
        listing = "Documents:\n" + "\n".join(shown) + more + "\n"
    elif docs:
        listing = f"Document: {docs[0].path}\n"
    head, tail = corpus.preview()
    tail_block = f"\nPreview of the end:\n<<<\n{tail}\n>>>" if tail else ""
    return FIRST_TURN.format(
        chars=corpus.chars,
        lines=corpus.lines,
        documents=len(docs),
        plural="" if len(docs) == 1 else "s",
        listing=listing,
        head=head,
        tail_block=tail_block,
        question=question,
        max_iterations=max_iterations,
    )


def system_prompt(sub_window_chars: int) -> str:
    return SYSTEM_PROMPT.format(sub_window=f"{sub_window_chars:,}")


def step_report(index: int, total: int, output: str, error: str | None, notes: list[str]) -> str:
    """How one code block's result is shown back to the model."""
    title = "Code block output" if total == 1 else f"Code block {index} of {total} output"
    body = output.rstrip() or "(nothing printed)"
    parts = [f"{title}:\n{body}"]
    if error:
        parts.append(f"Error:\n{error}")
    parts.extend(notes)
    return "\n".join(parts)


def next_turn(question: str, outputs: str, turn: int, max_iterations: int, instruction: str = KEEP_GOING) -> str:
    return NEXT_TURN.format(
        outputs=outputs, question=question, turn=turn, max_iterations=max_iterations, instruction=instruction
    )
