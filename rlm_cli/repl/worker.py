"""The REPL worker: runs model-written code in a persistent namespace, in its own process.

Stdlib only and started as a plain script (`python -I worker.py`), so nothing of the host (keys,
clients, settings) is importable here. It speaks newline-delimited JSON with the host over the
file descriptors it was started with as stdin/stdout, which it moves aside at once: code that
prints or writes to fd 1 cannot corrupt the protocol. Model calls are requests to the host.
"""

from __future__ import annotations

import ast
import json
import linecache
import os
import re
import sys
import threading
import traceback
import types
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run as a script under -I: find our sibling
from corpus_tools import CorpusTools  # noqa: E402

CELL = "<cell>"
PROTECTED = (
    "context",
    "documents",
    "llm_query",
    "llm_query_batched",
    "rlm_query",
    "rlm_query_batched",
    "FINAL",
    "FINAL_VAR",
    "SHOW_VARS",
    "grep",
    "read",
    "locate",
)
FINAL_ALIASES = ("Final", "final")  # small models' spellings of FINAL: accepted, not protected


class _Final(BaseException):
    """Raised by FINAL to end the cell at once (BaseException: `except Exception` cannot swallow it)."""


class CappedText:
    """A text sink that keeps a head and a rolling tail while output is produced, never more."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head: list[str] = []
        self.head_len = 0
        self.tail = ""
        self.total = 0

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            text = str(text)
        self.total += len(text)
        room = self.head_limit - self.head_len
        if room > 0:
            piece = text[:room]
            self.head.append(piece)
            self.head_len += len(piece)
            text = text[room:]
        if text:
            self.tail += text
            if len(self.tail) > 2 * self.tail_limit:
                self.tail = self.tail[-self.tail_limit :]
        return self.total

    def flush(self) -> None:
        """Streams must be flushable."""

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        head = "".join(self.head)
        tail = self.tail[-self.tail_limit :] if self.tail_limit else ""
        cut = self.total - len(head) - len(tail)
        if cut <= 0:
            return head + tail
        return f"{head}\n... [{cut} characters cut: print less, or slice] ...\n{tail}"


class Channel:
    """Requests from the cell to the host. One at a time: model code may use threads."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader = reader
        self.writer = writer
        self.lock = threading.Lock()
        self.next_id = 0

    def send(self, message: dict[str, Any]) -> None:
        self.writer.write((json.dumps(message) + "\n").encode())
        self.writer.flush()

    def receive(self) -> dict[str, Any] | None:
        line = self.reader.readline()
        if not line:
            return None
        return json.loads(line)

    def query(self, kind: str, prompts: list[Any], model: Any, contexts: list[Any] | None = None) -> list[str]:
        with self.lock:
            self.next_id += 1
            request: dict[str, Any] = {
                "op": "query",
                "id": self.next_id,
                "kind": kind,
                "prompts": [str(p) for p in prompts],
                "model": None if model is None else str(model),
            }
            if contexts is not None:
                request["contexts"] = [None if c is None else str(c) for c in contexts]
            self.send(request)
            reply = self.receive()
        if reply is None:
            raise SystemExit(0)
        return [str(r) for r in reply["results"]]


class Worker:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.ns: dict[str, Any] = {}
        self.originals: dict[str, Any] = {}
        self.final: str | None = None
        self.output_limit = 4000
        self.context = ""
        self.documents: list[dict[str, Any]] = []
        self.sandbox_status: dict[str, Any] = {}
        self.scratch = ""

    def setup(self, message: dict[str, Any]) -> None:
        self.scratch = message.get("scratch") or os.path.dirname(os.path.abspath(message["context_file"]))
        with open(message["context_file"], encoding="utf-8", newline="") as fh:
            self.context = fh.read()
        self.documents = message.get("documents", [])
        self.output_limit = int(message.get("output_limit", 4000))
        if message.get("sandbox"):
            self.sandbox_status = _install_sandbox(message["sandbox"])
        self.reset_namespace()

    def reset_namespace(self) -> None:
        ch = self.channel

        def llm_query(prompt: Any, model: Any = None) -> str:
            """Ask a sub-model one question; returns its answer (an 'ERROR: ...' string on failure)."""
            return ch.query("llm", [prompt], model)[0]

        def llm_query_batched(prompts: Any, model: Any = None) -> list[str]:
            """Ask many questions concurrently; answers come back in the same order."""
            if isinstance(prompts, str | bytes):
                raise TypeError("llm_query_batched takes a list of prompts, not one string: use llm_query(prompt)")
            prompts = list(prompts)
            return ch.query("llm", prompts, model) if prompts else []

        def rlm_query(prompt: Any, context: Any = None) -> str:
            """Ask a recursive child RLM, with an optional context of its own."""
            return ch.query("rlm", [prompt], None, [context])[0]

        def rlm_query_batched(prompts: Any, contexts: Any = None) -> list[str]:
            if isinstance(prompts, str | bytes):
                raise TypeError("rlm_query_batched takes a list of prompts, not one string: use rlm_query(prompt)")
            prompts = list(prompts)
            ctx = list(contexts) if contexts is not None else [None] * len(prompts)
            if len(ctx) != len(prompts):
                raise ValueError("rlm_query_batched: prompts and contexts must have the same length")
            return ch.query("rlm", prompts, None, ctx) if prompts else []

        def FINAL(value: Any) -> None:  # noqa: N802
            """Give the final answer and end the run."""
            self.final = value if isinstance(value, str) else _to_text(value)
            raise _Final()

        def FINAL_VAR(name_or_value: Any) -> None:  # noqa: N802
            """Give the value of a variable (by name, or the value itself) as the final answer.

            A string that looks like a name but names nothing is a mistake, not the answer.
            """
            if isinstance(name_or_value, str):
                name = name_or_value.strip()
                if name in self.ns:
                    name_or_value = self.ns[name]
                elif name.isidentifier():
                    raise NameError(
                        f"FINAL_VAR: no variable named {name!r}; define it first or use FINAL(value)"
                    )
            FINAL(name_or_value)

        def SHOW_VARS() -> dict[str, str]:  # noqa: N802
            """The variables you created, with their types."""
            return {
                k: type(v).__name__
                for k, v in self.ns.items()
                if not k.startswith("_")
                and k not in PROTECTED
                and k not in ("answer", "__builtins__")
                and not (k in FINAL_ALIASES and v is FINAL)
                and not isinstance(v, types.ModuleType)
            }

        self.ns = {
            "__name__": "__repl__",
            "__builtins__": __builtins__,
            "context": self.context,
            "documents": [dict(d) for d in self.documents],
            "llm_query": llm_query,
            "llm_query_batched": llm_query_batched,
            "rlm_query": rlm_query,
            "rlm_query_batched": rlm_query_batched,
            "FINAL": FINAL,
            "FINAL_VAR": FINAL_VAR,
            **dict.fromkeys(FINAL_ALIASES, FINAL),
            "SHOW_VARS": SHOW_VARS,
            "answer": {"content": "", "ready": False},
            "re": re,
            "json": json,
            **_corpus_tools(self.context, self.documents),
        }
        self.originals = {k: self.ns[k] for k in PROTECTED if k in self.ns}

    def restore(self) -> list[str]:
        """Put back what the cell rebound; `documents` is restored by value (it is a fresh list)."""
        restored = []
        for name, original in self.originals.items():
            if self.ns.get(name) is not original:
                self.ns[name] = original
                restored.append(name)
        return restored

    def run_cell(self, code: str) -> dict[str, Any]:
        self.final = None
        sink = CappedText(self.output_limit)
        error: str | None = None
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = sink
        try:
            self._execute(code, sink)
        except _Final:
            pass
        except KeyboardInterrupt:
            error = "KeyboardInterrupt: the cell ran past its time limit and was interrupted"
        except BaseException as exc:  # noqa: BLE001 - model code may raise anything
            error = _format_error(exc)
        finally:
            sys.stdout, sys.stderr = saved
        restored = self.restore()
        final = self.final
        answer = self.ns.get("answer")
        if final is None and isinstance(answer, dict) and answer.get("ready"):
            final = _to_text(answer.get("content", ""))
        partial = None
        if isinstance(answer, dict) and answer.get("content"):
            partial = _to_text(answer["content"])
        return {
            "op": "done",
            "output": sink.getvalue(),
            "error": _cap(error, self.output_limit) if error else None,
            "final": final,
            "partial": partial,
            "restored": restored,
        }

    def _execute(self, code: str, sink: CappedText) -> None:
        """Run like a notebook: a trailing expression's value is shown. The source is registered with
        linecache so tracebacks quote the failing line."""
        linecache.cache[CELL] = (len(code), None, code.splitlines(keepends=True), CELL)
        tree = ast.parse(code, CELL, "exec")
        last_expr = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last_expr = ast.Expression(tree.body.pop().value)
        exec(compile(tree, CELL, "exec"), self.ns)
        if last_expr is not None:
            value = eval(compile(last_expr, CELL, "eval"), self.ns)
            if value is not None:
                sink.write(repr(value) + "\n")


def _corpus_tools(context: str, documents: list[dict[str, Any]]) -> dict[str, Any]:
    tools = CorpusTools(context, [dict(d) for d in documents])
    return {"grep": tools.grep, "read": tools.read, "locate": tools.locate}


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | tuple):
        try:
            return json.dumps(value, ensure_ascii=False, indent=2, default=str)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... [{len(text) - limit} characters cut] ...\n{text[-half:]}"


def _format_error(exc: BaseException) -> str:
    """The traceback restricted to the model's own cell: its frames, then the error line."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == CELL]
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(frames)
    if isinstance(exc, SyntaxError) and exc.filename == CELL:
        lines = traceback.format_exception_only(type(exc), exc)
        return "".join(lines).rstrip()
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def _remove_scratch(path: str) -> None:
    """Remove the host's scratch directory (only ever one of ours, by its name)."""
    if os.path.basename(path).startswith("rlm-scratch-"):
        import shutil

        shutil.rmtree(path, ignore_errors=True)


def _install_sandbox(policy: dict[str, Any]) -> dict[str, Any]:
    """Load sandbox.py by path (-I keeps this directory off sys.path) and lock this process down
    before any model code runs. The worker's own directory stays readable (its helpers live there)."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("rlm_sandbox", os.path.join(here, "sandbox.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.install(policy["scratch"], policy.get("read_paths", []), [here], policy.get("seccomp", True))


def main() -> None:
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    reader = open(proto_in.fileno(), "rb", closefd=False)  # noqa: SIM115 - lives as long as the process
    channel = Channel(reader, proto_out)
    worker = Worker(channel)
    while True:
        message = channel.receive()
        if message is None:
            _remove_scratch(worker.scratch)  # the host died without saying goodbye: leave no copy of the input
            return
        op = message.get("op")
        if op == "init":
            worker.setup(message)
            channel.send({"op": "ready", "chars": len(worker.context), "sandbox": worker.sandbox_status})
        elif op == "exec":
            channel.send(worker.run_cell(message["code"]))
        elif op == "reset":
            worker.reset_namespace()
            channel.send({"op": "ready", "chars": len(worker.context)})
        elif op == "exit":
            return


if __name__ == "__main__":
    main()
