"""Every way a model endpoint misbehaves, played by the loopback server against the real CLI.

Each fault is retried a bounded number of times (RLM_RETRIES=1 here) or ends the run with one
`rlm: error:` line and its documented exit code; never a traceback. Sub-call faults never end the
run: the model reads an "ERROR: ..." string instead.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from fake_openai import Reply, is_root, last_user, scripted
from typer.testing import CliRunner

from rlm_cli.cli import app
from rlm_cli.errors import ExitCode

runner = CliRunner()
DONE = '```repl\nFINAL("done")\n```'


def ask(tmp_path: Path, *args: str):
    doc = tmp_path / "doc.txt"
    doc.write_text("some input text\n")
    result = runner.invoke(app, ["ask", str(doc), "q?", "-q", *args])
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


def first_then(faults: list[Reply], then: list[str | Reply] | None = None, sub: Any = None):
    """Root requests get `faults` first, then `then` (scripted); sub-calls go to `sub`."""
    rest = scripted(then or [DONE], sub=sub)
    state = {"n": 0}
    lock = threading.Lock()

    def handler(body: dict[str, Any]) -> Reply | str:
        if is_root(body):
            with lock:
                n = state["n"]
                state["n"] += 1
            if n < len(faults):
                return faults[n]
        return rest(body)

    return handler


def one_error_line(result: Any, *words: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.startswith("rlm: error:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


# --- retried, then the run succeeds ---------------------------------------------------------


def test_429_with_retry_after_is_retried_after_the_wait(serve, tmp_path: Path) -> None:
    server = serve(first_then([Reply("slow down", status=429, headers={"Retry-After": "0.05"})]))
    result = ask(tmp_path)
    assert result.exit_code == 0 and result.stdout == "done\n"
    assert len(server.root_requests()) == 2


def test_429_without_retry_after_is_retried_with_backoff(serve, tmp_path: Path) -> None:
    server = serve(first_then([Reply("slow down", status=429)]))
    result = ask(tmp_path)
    assert result.exit_code == 0 and len(server.root_requests()) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_is_retried(serve, tmp_path: Path, status: int) -> None:
    serve(first_then([Reply("upstream trouble", status=status, headers={"Retry-After": "0.01"})]))
    result = ask(tmp_path)
    assert result.exit_code == 0 and result.stdout == "done\n"


def test_a_reset_connection_is_retried(serve, tmp_path: Path) -> None:
    serve(first_then([Reply(fault="reset")]))
    assert ask(tmp_path).exit_code == 0


def test_a_stream_cut_mid_response_is_retried(serve, tmp_path: Path) -> None:
    server = serve(first_then([Reply("```repl\nprint('a long reply that stops half way')\n```", fault="cut")]))
    result = ask(tmp_path)
    assert result.exit_code == 0 and len(server.root_requests()) == 2


def test_empty_choices_are_retried(serve, tmp_path: Path) -> None:
    server = serve(first_then([Reply(fault="empty_choices")]))
    result = ask(tmp_path)
    assert result.exit_code == 0 and len(server.root_requests()) == 2


# --- still failing after the retries: one line, a documented exit code ------------------------


def test_429_that_never_ends_is_exit_5(serve, tmp_path: Path) -> None:
    server = serve(lambda body: Reply("slow down", status=429, headers={"Retry-After": "0.01"}))
    result = ask(tmp_path)
    assert result.exit_code == ExitCode.MODEL
    one_error_line(result, "429")
    assert len(server.requests) == 2


def test_a_503_that_persists_is_exit_5(serve, tmp_path: Path) -> None:
    serve(lambda body: Reply("maintenance", status=503, headers={"Retry-After": "0.01"}))
    result = ask(tmp_path)
    assert result.exit_code == ExitCode.MODEL
    one_error_line(result, "503", "maintenance")


def test_a_refused_connection_is_exit_5(serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve(lambda body: DONE)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("RLM_BASE_URL", f"http://127.0.0.1:{port}/v1")
    result = ask(tmp_path)
    assert result.exit_code == ExitCode.MODEL
    one_error_line(result, "cannot reach", str(port))


def test_resets_that_persist_are_exit_5(serve, tmp_path: Path) -> None:
    serve(lambda body: Reply(fault="reset"))
    result = ask(tmp_path)
    assert result.exit_code == ExitCode.MODEL
    one_error_line(result, "cannot reach")


def test_a_read_timeout_is_exit_5(serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serve(lambda body: Reply(DONE, delay=1.5))
    monkeypatch.setenv("RLM_RETRIES", "0")
    result = ask(tmp_path, "--request-timeout", "0.3")
    assert result.exit_code == ExitCode.MODEL
    one_error_line(result, "did not answer within 0.3s")


def test_a_stream_that_is_always_cut_is_exit_5(serve, tmp_path: Path) -> None:
    serve(lambda body: Reply("```repl\nprint('never finished')\n```", fault="cut"))
    result = ask(tmp_path)
    assert result.exit_code == ExitCode.MODEL
    one_error_line(result, "cut mid-response")


def test_a_non_json_body_is_exit_5(serve, tmp_path: Path) -> None:
    serve(lambda body: Reply(fault="non_json"))
    result = ask(tmp_path)
    assert result.exit_code == ExitCode.MODEL
    one_error_line(result)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_exit_4_and_not_retried(serve, tmp_path: Path, status: int) -> None:
    server = serve(lambda body: Reply("bad key", status=status))
    result = ask(tmp_path)
    assert result.exit_code == ExitCode.CONFIG
    one_error_line(result, "refused the API key", str(status))
    assert len(server.requests) == 1


def test_an_unknown_model_is_exit_4(serve, tmp_path: Path) -> None:
    serve(lambda body: Reply("The model `nope` does not exist", status=404))
    result = ask(tmp_path, "-m", "nope")
    assert result.exit_code == ExitCode.CONFIG
    one_error_line(result, "does not know model 'nope'")


# --- replies that arrive but are not what the loop wants: the run goes on -------------------------


def test_null_content_is_an_empty_reply_and_the_model_is_reminded(serve, tmp_path: Path) -> None:
    server = serve(first_then([Reply(None)]))
    result = ask(tmp_path)
    assert result.exit_code == 0 and result.stdout == "done\n"
    assert len(server.root_requests()) == 2


def test_a_refusal_reaches_the_model_as_text(serve, tmp_path: Path) -> None:
    code = "```repl\nFINAL(llm_query('help me'))\n```"
    serve(scripted([code], sub=lambda p: Reply(None, refusal="I can't help with that")))
    result = ask(tmp_path)
    assert result.exit_code == 0
    assert result.stdout == "[the model refused: I can't help with that]\n"


def test_a_reply_with_no_code_and_no_final_runs_out_of_turns(serve, tmp_path: Path) -> None:
    server = serve(lambda body: "I am thinking about it.")
    result = ask(tmp_path, "--max-iterations", "2")
    assert result.exit_code == ExitCode.MAX_ITERATIONS
    assert any("code" in r["messages"][-1]["content"].lower() for r in server.root_requests()[1:])


def test_an_endless_reply_cut_at_the_token_limit_is_reported_to_the_model(serve, tmp_path: Path) -> None:
    endless = Reply("```repl\nx = [\n" + "    1,\n" * 400, finish_reason="length")
    server = serve(first_then([endless]))
    result = ask(tmp_path)
    assert result.exit_code == 0 and result.stdout == "done\n"
    told = server.root_requests()[1]["messages"][-1]["content"]
    assert "cut off at the 4096-token output limit" in told


# --- sub-call faults become strings the model reads -----------------------------------------------


def test_a_failing_sub_call_is_an_error_string_not_the_end_of_the_run(serve, tmp_path: Path) -> None:
    code = "```repl\nr = llm_query('summarise')\nFINAL(r)\n```"
    serve(scripted([code], sub=lambda p: Reply("broken", status=500, headers={"Retry-After": "0.01"})))
    result = ask(tmp_path)
    assert result.exit_code == 0
    assert result.stdout.startswith("ERROR: ") and "500" in result.stdout


def test_a_sub_call_refused_key_is_an_error_string_too(serve, tmp_path: Path) -> None:
    code = "```repl\nFINAL(llm_query_batched(['a', 'b']))\n```"
    serve(scripted([code], sub=lambda p: Reply("no", status=401)))
    result = ask(tmp_path)
    assert result.exit_code == 0
    assert result.stdout.count("ERROR: ") == 2 and "refused the API key" in result.stdout


def test_a_sub_call_non_json_body_is_an_error_string(serve, tmp_path: Path) -> None:
    code = "```repl\nFINAL(llm_query('x'))\n```"
    serve(scripted([code], sub=lambda p: Reply(fault="non_json")))
    result = ask(tmp_path)
    assert result.exit_code == 0 and result.stdout.startswith("ERROR: ")


def test_a_cut_sub_call_says_it_was_cut(serve, tmp_path: Path) -> None:
    code = "```repl\nFINAL(llm_query('x'))\n```"
    serve(scripted([code], sub=lambda p: Reply("a very long answ", finish_reason="length")))
    result = ask(tmp_path)
    assert result.exit_code == 0
    assert result.stdout == "a very long answ\n[this reply was cut off at the output token limit]\n"


def test_sub_call_prompts_are_what_the_model_asked(serve, tmp_path: Path) -> None:
    server = serve(scripted(["```repl\nFINAL(llm_query('ping'))\n```"], sub=lambda p: f"pong to {p}"))
    result = ask(tmp_path)
    assert result.stdout == "pong to ping\n"
    assert [last_user(r) for r in server.sub_requests()] == ["ping"]


def test_a_retry_after_too_long_to_wait_for_is_exit_5_and_says_how_long(serve, tmp_path: Path) -> None:
    server = serve(lambda body: Reply("quota", status=429, headers={"Retry-After": "3600"}))
    result = ask(tmp_path)
    assert result.exit_code == ExitCode.MODEL
    one_error_line(result, "429", "wait 3600s")
    assert len(server.requests) == 1
