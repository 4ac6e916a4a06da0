"""Sub-calls made from the REPL: run concurrently under one cap, each recorded and reported.

A failed sub-call becomes an "ERROR: ..." string the model can read and react to; it never ends
the run. The cap is a semaphore held only while a request is in flight, so nested batches cannot
deadlock waiting for each other.
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from rlm_cli.engine.budget import Ledger
from rlm_cli.errors import RlmError
from rlm_cli.events import Emit, SubcallFinished, SubcallStarted
from rlm_cli.models.client import ModelClient
from rlm_cli.repl.host import QueryRequest


class SubcallPool:
    def __init__(
        self, client: ModelClient, ledger: Ledger, emit: Emit, concurrency: int, default_model: str, depth: int = 1
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.emit = emit
        self.default_model = default_model
        self.depth = depth
        self._slots = threading.BoundedSemaphore(concurrency)
        self._concurrency = concurrency
        self._ids = itertools.count(1)
        self._id_lock = threading.Lock()
        self.parent: str | None = None

    def _next_id(self) -> str:
        with self._id_lock:
            return f"s{next(self._ids)}"

    def handle(self, request: QueryRequest) -> list[str]:
        """Answer a batch from the worker, in order, with at most `concurrency` requests in flight."""
        model = request.model or self.default_model
        if len(request.prompts) == 1:
            return [self._one(request.prompts[0], model, request.kind)]
        workers = min(self._concurrency, len(request.prompts))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rlm-subcall") as pool:
            return list(pool.map(lambda p: self._one(p, model, request.kind), request.prompts))

    def _one(self, prompt: str, model: str, kind: str) -> str:
        call_id = self._next_id()
        parent = self.parent
        self.emit(
            SubcallStarted(call_id=call_id, parent=parent, depth=self.depth, model=model, kind=kind, prompt=prompt)
        )
        started = time.monotonic()
        try:
            with self._slots:
                completion = self.client.complete([{"role": "user", "content": prompt}], model=model)
        except RlmError as exc:
            self.ledger.record(model, 0, 0, subcall=True)
            message = f"ERROR: {exc}"
            self.emit(
                SubcallFinished(
                    call_id=call_id, parent=parent, depth=self.depth, model=model, kind=kind, response=message,
                    input_tokens=0, output_tokens=0, seconds=time.monotonic() - started, error=str(exc),
                )
            )
            return message
        self.ledger.record(model, completion.input_tokens, completion.output_tokens, subcall=True)
        self.emit(
            SubcallFinished(
                call_id=call_id, parent=parent, depth=self.depth, model=model, kind=kind, response=completion.text,
                input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
                seconds=time.monotonic() - started,
            )
        )
        return completion.text
