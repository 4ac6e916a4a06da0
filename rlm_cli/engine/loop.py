"""The Recursive Language Model loop.

Each iteration: stream the root model's reply, run its code blocks in order in the REPL (stopping
at the first that finalises), and report the outputs back with the question restated. The input
lives only in the worker; the root model sees metadata and what its own code printed.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from rlm_cli.corpus import Corpus
from rlm_cli.engine import feedback, parse, prompts
from rlm_cli.engine.budget import BudgetExhausted
from rlm_cli.engine.result import CONFIRMED, EXHAUSTED, FAILED, INTERRUPTED, UNCONFIRMED, Result
from rlm_cli.engine.subcalls import CHARS_PER_TOKEN, SubcallPool, Tree
from rlm_cli.errors import ExitCode, RlmError
from rlm_cli.events import (
    CodeFinished,
    CodeStarted,
    Emit,
    IterationStarted,
    Notice,
    RootDelta,
    RootMessage,
    RunFinished,
    RunStarted,
    discard,
)
from rlm_cli.models.client import Message
from rlm_cli.repl.host import CellResult, ReplHost
from rlm_cli.settings import Settings

FREE_REMINDERS = 2
CUT_NOTE = (
    "Your last reply was cut off at the {limit}-token output limit; an unfinished code block was not run. "
    "Reply shorter: one small code block, and let the code do the work."
)
COMPACT_OUTPUT_LIMIT = 1500


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


class Run:
    """One run's state; `execute` drives it to a Result and never raises for model or REPL faults."""

    def __init__(
        self,
        question: str,
        corpus: Corpus,
        settings: Settings,
        emit: Emit,
        tree: Tree | None = None,
        depth: int = 0,
        parent: str | None = None,
        context_file: Path | None = None,
    ) -> None:
        """A root run makes its Tree (ledger, client, cache); a child (rlm_query) shares its parent's,
        and its copy of the input on disk when it works on the same input (`context_file`)."""
        self.question = question
        self.corpus = corpus
        self.settings = settings
        self.emit = emit
        self.run_id = new_run_id()
        self.owns_tree = tree is None
        self.tree = tree or Tree(settings, emit)
        self.depth = depth
        self.step_prefix = f"{parent}/" if parent else ""
        self.context_file = context_file
        self.ledger = self.tree.ledger
        self.pool = SubcallPool(self.tree, emit, corpus, depth, settings.effective_sub_model)
        self.cell_limit: float | None = None
        self.iterations = 0
        self.best: str | None = None
        self.started = time.monotonic()
        self.style = settings.effective_prompt_style
        self.code_ran = False
        self.looked_first = False
        self.free_reminders = FREE_REMINDERS
        self.seen_cells: dict[tuple[str, str], int] = {}
        self.last_outcome = feedback.OUTPUT
        self.evidence: list[tuple[str, str]] = []

    def execute(self) -> Result:
        s = self.settings
        self.emit(
            RunStarted(
                run_id=self.run_id, question=self.question, model=s.model, sub_model=s.effective_sub_model,
                max_iterations=s.max_iterations, documents=len(self.corpus.documents), chars=self.corpus.chars,
                settings=s.public_dict(),
            )
        )
        if s.prompt_style == prompts.AUTO and self.style == prompts.COMPACT and self.depth == 0:
            self._notice(f"compact prompts for {s.model} (small, by its name); --prompt-style full to change")
        try:
            with ReplHost(
                self.corpus, self.pool.handle, output_limit=self._output_limit(), cell_timeout=s.cell_timeout,
                sandbox=s.sandbox == "on",
                on_notice=lambda m: self.emit(Notice(level="warning", message=m, safety=True)),
                context_file=self.context_file,
            ) as repl:
                self.pool.context_file = repl.context_file
                answer, status = self._loop(repl)
            code = ExitCode.OK if status == CONFIRMED else ExitCode.MAX_ITERATIONS
            return self._finish(answer, status, code)
        except KeyboardInterrupt as exc:
            if self.depth > 0:
                raise  # Ctrl-C stops the whole tree: the root must see it, not only this child
            partial = getattr(exc, "partial", None)  # set by ReplHost when it stopped a running cell
            return self._finish(partial or self.best, INTERRUPTED, ExitCode.INTERRUPTED, "interrupted")
        except RlmError as exc:
            out = exc if isinstance(exc, BudgetExhausted) else self._budget_out()
            if out is not None:
                return self._finish(self.best, EXHAUSTED, out.exit_code, str(out))
            return self._finish(self.best, FAILED, exc.exit_code, str(exc))
        finally:
            if self.owns_tree:
                self.tree.close()

    def _budget_out(self) -> BudgetExhausted | None:
        """The budget that ran out, if one did (a request cut short by the deadline fails as a model error)."""
        try:
            self.ledger.check()
        except BudgetExhausted as exc:
            return exc
        return None

    def _root(self, messages: list[Message], iteration: int) -> str:
        started = time.monotonic()
        completion, cost = self.tree.request(
            messages, self.settings.model, subcall=False, usage=self.pool.usage,
            on_delta=lambda text: self.emit(RootDelta(iteration=iteration, text=text)),
        )
        self.emit(
            RootMessage(
                iteration=iteration, text=completion.text, input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens, seconds=time.monotonic() - started, cost=cost,
            )
        )
        self.cut_note = ""
        if completion.finish_reason == "length":
            limit = self.settings.max_output_tokens
            self.cut_note = CUT_NOTE.format(limit=limit)
            self.emit(Notice(level="warning", message=f"the root reply was cut at {limit} tokens; told the model"))
        return completion.text

    def _loop(self, repl: ReplHost) -> tuple[str | None, str]:
        s = self.settings
        messages: list[Message] = prompts.opening(
            self.question, self.corpus, s.max_iterations, s.sub_window * CHARS_PER_TOKEN, self.style
        )
        for iteration in range(1, s.max_iterations + 1):
            self.iterations = iteration
            self.emit(IterationStarted(iteration=iteration, max_iterations=s.max_iterations))
            reply = self._guarded_reply(messages, iteration)
            messages.append({"role": "assistant", "content": reply})
            blocks = self._blocks_to_run(reply)
            if not blocks:
                final = parse.text_final(reply)
                report = prompts.NO_CODE
                if final is not None:
                    answer, error = self._resolve_text_final(repl, final)
                    if answer is not None:
                        return answer, CONFIRMED
                    report = error or report
                self.last_outcome = feedback.OUTPUT
            else:
                answer, report = self._run_blocks(repl, iteration, blocks)
                if answer is not None:
                    return answer, CONFIRMED
            if self.cut_note:
                report = f"{self.cut_note}\n\n{report}"
            messages.append(
                {
                    "role": "user",
                    "content": prompts.next_turn(
                        self.question, report, iteration + 1, s.max_iterations,
                        prompts.next_instruction(self.style, self.last_outcome),
                    )
                    if iteration < s.max_iterations
                    else report,
                }
            )
        return self._last_call(messages, repl), UNCONFIRMED

    def _output_limit(self) -> int:
        """Small models lose the thread in long outputs: compact style shows less unless output_limit was
        changed from its default (checked by value: library and bench callers pass every setting)."""
        s = self.settings
        if self.style == prompts.COMPACT and s.output_limit == Settings.output_limit:
            return min(s.output_limit, COMPACT_OUTPUT_LIMIT)
        return s.output_limit

    def _blocks_to_run(self, reply: str) -> list[str]:
        """Every block in order; in compact style only the first (small models add invented ones)."""
        blocks = parse.code_blocks(reply)
        if self.style == prompts.COMPACT and len(blocks) > 1:
            self._notice(f"ran only the first of {len(blocks)} code blocks (compact style: one per reply)")
            return blocks[:1]
        return blocks

    def _notice(self, message: str) -> None:
        self.emit(Notice(level="info", message=message))

    def _guarded_reply(self, messages: list[Message], iteration: int) -> str:
        """The root reply, asked again without spending a turn when it answered before any code ran
        (once; in compact style a block that only calls FINAL on a literal counts as such an answer)
        or had neither code nor an answer (up to FREE_REMINDERS times in a run; in compact style a
        block that only writes down values is invented output and counts as no code)."""
        while True:
            reply = self._root(messages, iteration)
            blocks = parse.code_blocks(reply)
            compact = self.style == prompts.COMPACT and bool(blocks)
            typed_in = compact and feedback.is_bare_final(blocks[0])
            invented = compact and feedback.is_typed_output(blocks[0])
            if blocks and not typed_in and not invented:
                return reply
            answered = typed_in or (not blocks and parse.text_final(reply) is not None)
            if answered and not self.code_ran and not self.looked_first:
                self.looked_first = True
                nudge = prompts.LOOK_FIRST
                self._notice("the model answered before running any code; asked it to look first")
            elif invented and self.free_reminders > 0:
                self.free_reminders -= 1
                nudge = prompts.TYPED_OUTPUT
                self._notice("the reply only typed values, not code; asked for code (turn not counted)")
            elif not answered and not invented and self.free_reminders > 0:
                self.free_reminders -= 1
                nudge = self.cut_note or prompts.NO_CODE
                self._notice("the reply had no code and no answer; reminded the model (turn not counted)")
            else:
                return reply
            messages.append({"role": "assistant", "content": reply})
            messages.append({"role": "user", "content": nudge})

    def _repeat_notes(self, code: str, cell: CellResult) -> list[str]:
        """A different nudge when the same code gives the same error (or output) again."""
        key = feedback.repeat_key(code, cell.output, cell.error)
        times = self.seen_cells.get(key, 0)
        self.seen_cells[key] = times + 1
        if not times:
            return []
        what = "error" if cell.error else "output"
        self._notice(f"the model repeated the same code with the same {what}; nudged it to change course")
        return [feedback.repeat_nudge(times, failed=feedback.outcome(cell.output, cell.error) != feedback.OUTPUT)]

    def _resolve_text_final(self, repl: ReplHost, final: parse.TextFinal) -> tuple[str | None, str | None]:
        """The answer a prose FINAL/FINAL_VAR gives, or None and the error to report (an unknown name)."""
        if not final.is_var:
            return final.value, None
        cell = repl.execute(f"FINAL_VAR({final.value!r})")
        return cell.final, cell.error or None

    def _run_blocks(self, repl: ReplHost, iteration: int, blocks: list[str]) -> tuple[str | None, str]:
        reports: list[str] = []
        for index, code in enumerate(blocks, start=1):
            step_id = f"{self.step_prefix}{iteration}.{index}"
            self.pool.parent = step_id
            self.emit(CodeStarted(step_id=step_id, iteration=iteration, code=code))
            self.cell_limit = self.cell_limit or repl.cell_timeout
            repl.cell_timeout = self.ledger.clip(self.cell_limit)
            cell = repl.execute(code)
            self.code_ran = True
            if cell.partial:
                self.best = cell.partial
            self.emit(
                CodeFinished(
                    step_id=step_id, iteration=iteration, code=code, output=cell.output, error=cell.error,
                    seconds=cell.seconds, final=cell.final is not None,
                )
            )
            placeholder = cell.final is not None and feedback.is_placeholder(cell.final)
            if cell.final is not None and self._should_reread(code, cell.final, placeholder):
                fresh = self._reread(cell.final, iteration)
                if fresh is not None or not placeholder:
                    return fresh or cell.final, ""
            if placeholder:
                self._notice(f"the model answered with a placeholder ({cell.final!r}); asked for the real value")
            elif cell.final is not None:
                return cell.final, ""
            self.ledger.check()
            notes = _notes(cell) + self._repeat_notes(code, cell) + ([feedback.PLACEHOLDER_NOTE] if placeholder else [])
            reports.append(
                prompts.step_report(
                    index, len(blocks), cell.output, cell.error, notes, self.style, code, self.question
                )
            )
            self.last_outcome = feedback.outcome(cell.output, cell.error)
            if self.last_outcome == feedback.OUTPUT and all(cell.output != out for _, out in self.evidence):
                self.evidence.append((code, cell.output))
        return None, "\n\n".join(reports)

    def _should_reread(self, code: str, final: str, placeholder: bool) -> bool:
        """Compact style, after code has printed something: a FINAL typed in by hand (or a placeholder),
        unless it copies a whole printed line (a count or value the code computed is not re-read)."""
        if self.style != prompts.COMPACT or not self.evidence:
            return False
        if placeholder:
            return True
        return feedback.is_bare_final(code) and not feedback.printed_alone(final, [out for _, out in self.evidence])

    def _reread(self, typed: str, iteration: int) -> str | None:
        """A fresh reading of what the code printed, when it differs from a small model's typed FINAL.

        At the end of a long REPL transcript a small model often types the first name it saw, a
        refusal or a placeholder, while the same model asked plainly over the same output answers
        better. The fresh answer wins when the two disagree (None: it agrees, or says nothing usable);
        a computed FINAL (from a variable) is never second-guessed."""
        try:
            reply = self._root(prompts.evidence_answer(self.question, self.evidence), iteration)
        except RlmError as exc:
            self._notice(f"kept the typed answer: the fresh reading failed ({exc})")
            return None
        fresh = parse.prose(reply) or reply.strip()
        final = parse.text_final(fresh)
        fresh = (final.value if final is not None and not final.is_var else fresh).strip()
        if not fresh or feedback.is_placeholder(fresh) or _agrees(typed, fresh):
            return None
        self._notice(f"the model typed {typed[:80]!r}; a fresh reading of its search output says {fresh[:80]!r}")
        return fresh

    def _last_call(self, messages: list[Message], repl: ReplHost) -> str | None:
        """Out of iterations: one more request asks for the answer; it is reported as unconfirmed.

        Code in that reply is not run and never printed as an answer: a FINAL written in its prose
        wins, then the best partial answer, then what the prose says. In compact style, when code has
        printed something, the request is a fresh one: those outputs and the question, nothing else."""
        if self.style == prompts.COMPACT and self.evidence:
            self._notice("out of turns: asked for the answer from what the code printed")
            reply = self._root(prompts.evidence_answer(self.question, self.evidence), self.iterations + 1)
        else:
            messages.append({"role": "user", "content": prompts.LAST_CALL})
            reply = self._root(messages, self.iterations + 1)
        said = parse.prose(reply)
        final = parse.text_final(said)
        if final is not None:
            answer, _ = self._resolve_text_final(repl, final)
            if answer is not None:
                return answer
        if parse.code_blocks(reply) or said != reply.strip():
            return self.best or said or None
        return said or self.best

    def _finish(self, answer: str | None, status: str, code: ExitCode, error: str | None = None) -> Result:
        result = Result(
            answer=answer,
            status=status,
            exit_code=code,
            run_id=self.run_id,
            question=self.question,
            model=self.settings.model,
            sub_model=self.settings.effective_sub_model,
            iterations=self.iterations,
            subcalls=self.ledger.subcalls,
            usage=self.ledger.totals(),
            usage_by_model=self.ledger.per_model(),
            inputs={
                "documents": len(self.corpus.documents),
                "chars": self.corpus.chars,
                "bytes": self.corpus.bytes,
                "paths": [d.path for d in self.corpus.documents],
                "skipped": self.corpus.skipped_by_reason(),
            },
            duration=time.monotonic() - self.started,
            error=error,
            settings=self.settings.public_dict(),
        )
        self.emit(RunFinished(result=result.to_dict()))
        return result


def _agrees(typed: str, fresh: str) -> bool:
    """The same answer, give or take case, punctuation, spacing and surrounding words: every word of
    one is a word of the other (so "4" does not agree with "14", but "queue" agrees with "It is queue.")."""
    a, b = ({w.strip(".") for w in re.findall(r"[\w.@/:-]+", x.lower())} - {""} for x in (typed, fresh))
    return bool(a) and bool(b) and (a <= b or b <= a)


def _notes(cell: CellResult) -> list[str]:
    notes = []
    if cell.restored:
        names = ", ".join(f"`{n}`" for n in cell.restored)
        notes.append(f"Note: {names} cannot be reassigned; restored. Use another variable name.")
    return notes


def run(question: str, corpus: Corpus, settings: Settings, emit: Emit = discard) -> Result:
    """Answer `question` over `corpus` with the RLM loop."""
    return Run(question, corpus, settings, emit).execute()
