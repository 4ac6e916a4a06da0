"""A real loopback HTTP server that speaks the OpenAI chat-completions API, streaming included.

Tests script it with a function from the request body to a `Reply`; the real `openai` client talks
to it over TCP, so retries, streaming and error mapping are exercised for real.
"""

from __future__ import annotations

import io
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the server answers. `fault` plays a misbehaving endpoint."""

    text: str | None = ""
    status: int = 200
    delay: float = 0.0
    fault: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"
    usage: bool = True
    refusal: str | None = None


Handler = Callable[[dict[str, Any]], "Reply | str"]


def is_root(body: dict[str, Any]) -> bool:
    """Root requests carry the system prompt; sub-calls are a single user message."""
    return bool(body.get("messages")) and body["messages"][0]["role"] == "system"


def last_user(body: dict[str, Any]) -> str:
    return next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")


class _Server(ThreadingHTTPServer):
    """Room for many connections arriving at once (the default listen backlog of 5 stalls 64)."""

    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout test) is expected; anything else is still printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAI:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )  # a short poll: shutdown() waits for it, at the end of every test

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def root_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if is_root(r)]

    def sub_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if not is_root(r)]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1  # headers and body leave in one write: no 40 ms Nagle/delayed-ACK stall per reply

            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                reply = server.handler(body)
                if isinstance(reply, str):
                    reply = Reply(reply)
                if reply.delay:
                    time.sleep(reply.delay)
                self._answer(body, reply)

            def _reset(self) -> None:
                """Abort the connection with an RST (linger 0), closing every handle on the socket so it
                really closes now, and leave dummy streams for the handler's own flush and next read."""
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.rfile.close()
                self.wfile.close()
                self.connection.close()
                self.rfile, self.wfile = io.BytesIO(), io.BytesIO()

            def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, body: dict[str, Any], reply: Reply) -> None:
                if reply.fault == "reset":
                    self._reset()
                    return
                if reply.status != 200:
                    error = {"error": {"message": reply.text or "error", "type": "test"}}
                    self._json(reply.status, error, reply.headers)
                    return
                if reply.fault == "non_json":
                    data = b"<html>502 Bad Gateway</html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                model = body.get("model", "test-model")
                prompt_tokens = sum(len(m.get("content") or "") for m in body["messages"]) // 4
                text = reply.text
                completion_tokens = len(text or "") // 4 + 1
                usage = {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                }
                if body.get("stream"):
                    self._stream(model, reply, usage)
                    return
                choices = [] if reply.fault == "empty_choices" else [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": reply.refusal},
                        "finish_reason": reply.finish_reason,
                    }
                ]
                payload: dict[str, Any] = {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
                    "choices": choices,
                }
                if reply.usage:
                    payload["usage"] = usage
                self._json(200, payload)

            def _stream(self, model: str, reply: Reply, usage: dict[str, int]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

                def send(obj: dict[str, Any]) -> None:
                    self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                    self.wfile.flush()

                def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                    return {
                        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }

                text = reply.text or ""
                if reply.fault != "empty_choices":
                    send(chunk({"role": "assistant", "content": ""}))
                    pieces = [text[i : i + 16] for i in range(0, len(text), 16)]
                    if reply.fault == "cut":
                        pieces = pieces[: max(1, len(pieces) // 2)]
                    for piece in pieces:
                        send(chunk({"content": piece}))
                    if reply.refusal:
                        send(chunk({"refusal": reply.refusal}))
                    if reply.fault == "cut":
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    send(chunk({}, reply.finish_reason))
                if reply.usage:
                    send({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
                          "choices": [], "usage": usage})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return _Handler


def scripted(root_turns: list[str | Reply], sub: Callable[[str], str | Reply] | None = None) -> Handler:
    """Root requests get `root_turns` in order (the last repeats); sub-calls get `sub(prompt)`."""
    state = {"i": 0}
    lock = threading.Lock()

    def handler(body: dict[str, Any]) -> Reply | str:
        if is_root(body):
            with lock:
                i = min(state["i"], len(root_turns) - 1)
                state["i"] += 1
            return root_turns[i]
        prompt = last_user(body)
        return sub(prompt) if sub else f"echo: {prompt[:50]}"

    return handler
