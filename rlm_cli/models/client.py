"""An OpenAI-compatible chat client: streaming, bounded retries, faults mapped to one-line errors.

Request-level retries (429 with Retry-After, 5xx, timeouts, refused connections) are the openai
library's own; this module adds retries for what it cannot see: a stream cut mid-response and an
answer with no choices. `openai` is imported lazily so `rlm --help` stays instant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rlm_cli.errors import ConfigError, ModelError
from rlm_cli.settings import Settings, require_key

Message = dict[str, str]


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    finish_reason: str | None
    model: str
    estimated_usage: bool = False

    @property
    def cut(self) -> bool:
        """The reply hit the max-token limit (an endless or over-long response) and is incomplete."""
        return self.finish_reason == "length"

    def shown(self) -> str:
        """The text as a model reading it should see it: a cut reply says it was cut."""
        return f"{self.text}\n[this reply was cut off at the output token limit]" if self.cut else self.text


class _Retryable(Exception):
    """A fault worth another attempt that the openai library does not retry by itself."""


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _messages_tokens(messages: list[Message]) -> int:
    return sum(estimate_tokens(m.get("content") or "") + 4 for m in messages)


class ModelClient:
    """One client per run, shared by the root loop and every sub-call thread (httpx is thread-safe)."""

    def __init__(self, settings: Settings, on_notice: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._on_notice = on_notice or (lambda message: None)
        self._client: Any = None

    def _openai(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=require_key(self.settings),
                base_url=self.settings.base_url,
                timeout=self.settings.request_timeout,
                max_retries=self.settings.retries,
            )
        return self._client

    def complete(
        self,
        messages: list[Message],
        model: str | None = None,
        on_delta: Callable[[str], None] | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> Completion:
        """One chat completion; streamed when `on_delta` is given. Raises ModelError/ConfigError.

        `timeout` (seconds) replaces the request timeout for this call: a run's deadline clips it."""
        model = model or self.settings.model
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                if on_delta is not None:
                    return self._stream(messages, model, on_delta, max_tokens, timeout)
                return self._once(messages, model, max_tokens, timeout)
            except _Retryable as exc:
                if attempt == attempts:
                    raise ModelError(f"model {model}: {exc} (after {attempts} attempts)") from None
                self._on_notice(f"model {model}: {exc}; retrying ({attempt}/{attempts - 1})")
                time.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
            except Exception as exc:
                raise self._translate(exc, model) from None
        raise AssertionError("unreachable")

    def _api(self, timeout: float | None) -> Any:
        """The client; with no retries when a run's deadline cut this request's timeout short."""
        client = self._openai()
        if timeout is not None and timeout < self.settings.request_timeout:
            return client.with_options(max_retries=0)
        return client

    def _params(
        self, messages: list[Message], model: str, max_tokens: int | None, timeout: float | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "max_tokens": max_tokens or self.settings.max_output_tokens,
        }
        if timeout is not None:
            params["timeout"] = timeout
        if self.settings.temperature is not None:
            params["temperature"] = self.settings.temperature
        return params

    def _once(
        self, messages: list[Message], model: str, max_tokens: int | None, timeout: float | None = None
    ) -> Completion:
        response = self._api(timeout).chat.completions.create(**self._params(messages, model, max_tokens, timeout))
        choices = getattr(response, "choices", None)
        if not choices:
            raise _Retryable("the response had no choices")
        choice = choices[0]
        message = choice.message
        text = message.content or ""
        refusal = getattr(message, "refusal", None)
        if not text and refusal:
            text = f"[the model refused: {refusal}]"
        usage = getattr(response, "usage", None)
        return self._completion(text, usage, choice.finish_reason, model, messages)

    def _stream(
        self,
        messages: list[Message],
        model: str,
        on_delta: Callable[[str], None],
        max_tokens: int | None,
        timeout: float | None = None,
    ) -> Completion:
        params = self._params(messages, model, max_tokens, timeout)
        stream = self._api(timeout).chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        pieces: list[str] = []
        refusal: list[str] = []
        usage = None
        finish: str | None = None
        saw_choice = False
        try:
            for chunk in stream:
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                for choice in chunk.choices or []:
                    saw_choice = True
                    delta = choice.delta
                    if delta is not None and delta.content:
                        pieces.append(delta.content)
                        on_delta(delta.content)
                    if delta is not None and getattr(delta, "refusal", None):
                        refusal.append(delta.refusal)
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except Exception as exc:
            if _is_status_error(exc):
                raise
            raise _Retryable(f"the stream was cut mid-response ({type(exc).__name__})") from None
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if not saw_choice:
            raise _Retryable("the response had no choices")
        if finish is None:
            raise _Retryable("the stream was cut mid-response (it ended without a finish reason)")
        text = "".join(pieces)
        if not text and refusal:
            text = f"[the model refused: {''.join(refusal)}]"
        return self._completion(text, usage, finish, model, messages)

    def _completion(
        self, text: str, usage: Any, finish: str | None, model: str, messages: list[Message]
    ) -> Completion:
        if usage is not None and getattr(usage, "prompt_tokens", None) is not None:
            return Completion(text, usage.prompt_tokens or 0, usage.completion_tokens or 0, finish, model)
        return Completion(text, _messages_tokens(messages), estimate_tokens(text), finish, model, True)

    def _translate(self, exc: Exception, model: str) -> Exception:
        """Map the library's exceptions to the exit-code contract with a message a user can act on."""
        import openai

        url = self.settings.base_url
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return ConfigError(f"{url} refused the API key ({_status(exc)}): check RLM_API_KEY / OPENAI_API_KEY")
        if isinstance(exc, openai.NotFoundError):
            return ConfigError(f"{url} does not know model {model!r} (404): check --model")
        if isinstance(exc, openai.RateLimitError):
            wait = _retry_after(exc)
            asked = f"; it asks to wait {wait}s" if wait else ""
            return ModelError(f"{url} kept rate-limiting (429) after {self.settings.retries} retries{asked}")
        if isinstance(exc, openai.APITimeoutError):
            return ModelError(f"{url} did not answer within {self.settings.request_timeout:g}s")
        if isinstance(exc, openai.APIConnectionError):
            return ModelError(f"cannot reach {url}: {_cause(exc)}")
        if isinstance(exc, openai.APIStatusError):
            return ModelError(f"{url} answered {_status(exc)}: {_brief(exc)}")
        if isinstance(exc, openai.APIResponseValidationError | ValueError):
            return ModelError(f"{url} sent a response that is not valid chat-completions JSON")
        if isinstance(exc, openai.APIError):
            return ModelError(f"{url}: {_brief(exc)}")
        if isinstance(exc, ConfigError | ModelError):
            return exc
        return ModelError(f"{url}: unexpected {type(exc).__name__}: {exc}")


def _is_status_error(exc: Exception) -> bool:
    import openai

    return isinstance(exc, openai.APIStatusError)


def _retry_after(exc: Exception) -> str:
    """The Retry-After the server sent with its last refusal, if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    return str(headers.get("retry-after", "")).strip()


def _status(exc: Exception) -> str:
    return str(getattr(exc, "status_code", "error"))


def _brief(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:200]


def _cause(exc: Exception) -> str:
    cause = exc.__cause__ or exc.__context__
    return str(cause)[:200] if cause else "connection failed"
