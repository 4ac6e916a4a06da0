"""Sub-calls made from the REPL, and what every run in one tree of calls shares.

`llm_query` is one request to the sub-model; `rlm_query` below `--max-depth` is a whole child run
with its own REPL worker (at the deepest level it is an `llm_query`). Every request of the tree
goes through `Tree.request`: a slot (at most `concurrency` requests in flight), a reservation in
the one ledger, the call (its timeout clipped to the run's deadline), the settlement. A failed
sub-call becomes an "ERROR: ..." string the model can read and react to; it never ends the run by
itself. Slots are held only while a request is in flight, so nested batches cannot deadlock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rlm_cli.corpus import Corpus, Part
from rlm_cli.engine.budget import Ledger, Limits
from rlm_cli.errors import RlmError
from rlm_cli.events import (
    CodeFinished,
    CodeStarted,
    Emit,
    Event,
    IterationStarted,
    Notice,
    RootDelta,
    RootMessage,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)
from rlm_cli.models.client import Completion, Message, ModelClient, estimate_tokens
from rlm_cli.models.pricing import PriceTable
from rlm_cli.repl.host import QueryRequest
from rlm_cli.settings import Settings

if TYPE_CHECKING:
    from rlm_cli.models.cache import CachingClient

CHARS_PER_TOKEN = 4
CHILD_CONTEXT_PATH = "<rlm_query context>"


def messages_tokens(messages: list[Message]) -> int:
    """What a request's input will cost, estimated before it is sent (about 4 characters a token)."""
    return sum(estimate_tokens(m.get("content") or "") + 4 for m in messages)


class Usage:
    """Tokens used by one run and everything below it (reported on its rlm_query event)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.input_tokens = 0
        self.output_tokens = 0

    def add(self, input_tokens: int, output_tokens: int) -> None:
        with self._lock:
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens


class Tree:
    """Shared by the root run and every child: settings, client, ledger, cache, slots, call ids."""

    def __init__(self, settings: Settings, emit: Emit) -> None:
        self.settings = settings
        self.emit = emit
        prices = PriceTable(settings.prices)
        if settings.max_cost is not None:
            prices.require(sorted({settings.model, settings.effective_sub_model}))
        limits = Limits(settings.max_subcalls, settings.max_tokens, settings.max_cost, settings.timeout)
        self.ledger = Ledger(limits, prices)
        self.client = ModelClient(settings, on_notice=self._warn)
        self.cache = self._open_cache()
        self.slots = threading.BoundedSemaphore(settings.concurrency)
        self._ids = itertools.count(1)
        self._id_lock = threading.Lock()

    def _warn(self, message: str) -> None:
        self.emit(Notice(level="warning", message=message))

    def _open_cache(self) -> CachingClient | None:
        if not self.settings.cache:
            return None
        from rlm_cli.models.cache import CachingClient

        params = {"max_tokens": self.settings.max_output_tokens, "temperature": self.settings.temperature}
        return CachingClient(self.settings.base_url, params, self._warn)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    def next_id(self) -> str:
        with self._id_lock:
            return f"s{next(self._ids)}"

    def request(
        self,
        messages: list[Message],
        model: str,
        *,
        subcall: bool,
        usage: Usage,
        on_delta: Callable[[str], None] | None = None,
    ) -> tuple[Completion, float | None]:
        """One metered request; returns the completion and its cost (None: no known price).

        A streamed reply is cut when the run's deadline passes between two chunks (a stream that
        keeps sending never hits its read timeout); what it used so far is settled as an estimate."""
        streamed: list[str] = []

        def watched(text: str) -> None:
            streamed.append(text)
            left = self.ledger.remaining_time()
            if left is not None and left <= 0:
                raise _DeadlinePassed
            if on_delta is not None:
                on_delta(text)

        with self.slots:
            reservation = self.ledger.reserve(model, messages_tokens(messages), subcall=subcall)
            try:
                completion = self.client.complete(
                    messages, model=model, on_delta=None if on_delta is None else watched,
                    timeout=self.ledger.clip(self.settings.request_timeout),
                )
            except _DeadlinePassed:
                self.ledger.settle(reservation, reservation.tokens, estimate_tokens("".join(streamed)))
                raise self.ledger.timed_out() from None
            except BaseException:
                self.ledger.settle(reservation, 0, 0)
                raise
        cost = self.ledger.settle(reservation, completion.input_tokens, completion.output_tokens)
        usage.add(completion.input_tokens, completion.output_tokens)
        return completion, cost


class _DeadlinePassed(BaseException):
    """Raised inside a stream's delta callback: a BaseException, so no retry logic swallows it."""


@dataclass
class Outcome:
    response: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached: bool = False
    error: str | None = None
    cost: float | None = None


def _failed(message: str) -> Outcome:
    return Outcome(f"ERROR: {message}", error=message)


_RUN_EVENTS = (IterationStarted, RootDelta, RootMessage, CodeStarted, CodeFinished)


def nested_emit(emit: Emit, depth: int, parent: str) -> Emit:
    """A child's events carry its depth and the rlm_query call id; it starts and finishes as a sub-call."""

    def tagged(event: Event) -> None:
        if isinstance(event, RunStarted | RunFinished):
            return
        if isinstance(event, _RUN_EVENTS):
            event.depth = depth
            event.parent = parent
        emit(event)

    return tagged


class SubcallPool:
    """Answers one run's llm_query / rlm_query batches, in order, concurrently under the tree's cap."""

    def __init__(self, tree: Tree, emit: Emit, corpus: Corpus, depth: int = 0, model: str | None = None) -> None:
        self.tree = tree
        self.emit = emit
        self.corpus = corpus
        self.depth = depth
        self.default_model = model or tree.settings.effective_sub_model
        self.usage = Usage()
        self.parent: str | None = None
        self.context_file: Path | None = None  # the run's copy of its input, which children share

    def handle(self, request: QueryRequest) -> list[str]:
        """Answer a batch from the worker, in order; a recursive child runs on a batch thread."""
        contexts = list(request.contexts or [])
        contexts += [None] * (len(request.prompts) - len(contexts))
        parent = self.parent
        jobs = [
            (prompt, context, request.model, request.kind, parent)
            for prompt, context in zip(request.prompts, contexts, strict=False)
        ]
        if len(jobs) == 1:
            return [self._one(*jobs[0])]
        workers = min(self.tree.settings.concurrency, len(jobs))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rlm-subcall")
        try:
            return list(pool.map(lambda job: self._one(*job), jobs))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C must not wait for calls in flight

    def _one(self, prompt: str, context: str | None, model: str | None, kind: str, parent: str | None) -> str:
        call_id = self.tree.next_id()
        depth = self.depth + 1
        recursive = kind == "rlm" and depth < self.tree.settings.max_depth
        if kind == "rlm" and not recursive and context is not None:
            prompt = f"{prompt}\n\n{context}"
        model = model or self.default_model
        self.emit(
            SubcallStarted(call_id=call_id, parent=parent, depth=depth, model=model, kind=kind, prompt=prompt)
        )
        started = time.monotonic()
        if recursive:
            outcome = self._child(prompt, context, model, call_id, depth)
        else:
            outcome = self._llm(prompt, model)
        self.usage.add(outcome.input_tokens, outcome.output_tokens)
        self.emit(
            SubcallFinished(
                call_id=call_id, parent=parent, depth=depth, model=model, kind=kind, response=outcome.response,
                input_tokens=outcome.input_tokens, output_tokens=outcome.output_tokens,
                seconds=time.monotonic() - started, cached=outcome.cached, error=outcome.error, cost=outcome.cost,
            )
        )
        return outcome.response

    def _llm(self, prompt: str, model: str) -> Outcome:
        window = self.tree.settings.sub_window
        need = estimate_tokens(prompt)
        if need > window:
            return _failed(
                f"the prompt is about {need:,} tokens ({len(prompt):,} characters), more than the sub-model's "
                f"window of {window:,} tokens (about {window * CHARS_PER_TOKEN:,} characters); split it into "
                "smaller pieces and ask about each with llm_query_batched"
            )
        messages: list[Message] = [{"role": "user", "content": prompt}]
        spent: list[float | None] = [None]
        quiet = Usage()

        def send() -> Completion:
            completion, spent[0] = self.tree.request(messages, model, subcall=True, usage=quiet)
            return completion

        try:
            self.tree.ledger.check()
            if self.tree.cache is not None:
                completion, cached = self.tree.cache.complete(messages, model, send)
            else:
                completion, cached = send(), False
        except RlmError as exc:
            return _failed(str(exc))
        if cached:
            self.tree.ledger.record_cached(model)
            return Outcome(completion.shown(), cached=True, cost=0.0)
        return Outcome(completion.shown(), completion.input_tokens, completion.output_tokens, cost=spent[0])

    def _child(self, prompt: str, context: str | None, model: str, call_id: str, depth: int) -> Outcome:
        """A recursive child RLM: its own REPL worker, the same ledger, client, cache and slots."""
        from rlm_cli.engine.loop import Run
        from rlm_cli.engine.result import CONFIRMED, INTERRUPTED, UNCONFIRMED

        try:
            self.tree.ledger.take_subcall()
        except RlmError as exc:
            return _failed(str(exc))
        corpus = self.corpus if context is None else child_corpus(context)
        settings = self.tree.settings.with_overrides(model=model, sub_model=model)
        child = Run(
            prompt, corpus, settings, nested_emit(self.emit, depth, call_id),
            tree=self.tree, depth=depth, parent=call_id, context_file=self.context_file if context is None else None,
        )
        result = child.execute()
        if result.status == INTERRUPTED:
            raise KeyboardInterrupt
        used = child.pool.usage
        if result.status in (CONFIRMED, UNCONFIRMED) and result.answer is not None:
            return Outcome(result.answer, used.input_tokens, used.output_tokens)
        why = result.error or f"the child RLM gave no answer ({result.status})"
        return Outcome(f"ERROR: {why}", used.input_tokens, used.output_tokens, error=why)


def child_corpus(context: str) -> Corpus:
    """The context a parent hands to rlm_query, as a one-document corpus."""
    part = Part(CHILD_CONTEXT_PATH, "text", len(context.encode("utf-8", "replace")), context)
    return Corpus.from_parts([part])
