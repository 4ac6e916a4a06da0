"""rlm_query: recursive children with their own REPL, depth limits, and events that nest."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fake_openai import Reply, is_root, last_user
from typer.testing import CliRunner

from rlm_cli.cli import app

runner = CliRunner()


def question_of(body: dict[str, Any]) -> str:
    """The question a root-style request (the top run or a child) is working on."""
    match = re.search(r"^Question: (.*)$", body["messages"][1]["content"], re.MULTILINE)
    assert match, body["messages"][1]["content"][:300]
    return match.group(1)


def tree(runs: dict[str, list[str]], sub: Callable[[str], str | Reply] | None = None):
    """Each run, the top one or a child, is scripted by its question; its turns come in order."""
    lock = threading.Lock()
    turns: dict[str, int] = {}

    def handler(body: dict[str, Any]) -> str | Reply:
        if not is_root(body):
            prompt = last_user(body)
            return sub(prompt) if sub else f"leaf: {prompt}"
        question = question_of(body)
        with lock:
            i = turns.get(question, 0)
            turns[question] = i + 1
        script = runs[question]
        return script[min(i, len(script) - 1)]

    return handler


def block(code: str) -> str:
    return f"```repl\n{code}\n```"


def doc(tmp_path: Path, text: str = "the code word is banana\n") -> Path:
    path = tmp_path / "doc.txt"
    path.write_text(text)
    return path


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_a_child_searches_the_parents_input_in_its_own_repl_at_depth_2(serve, tmp_path: Path) -> None:
    server = serve(tree({
        "what is the code word?": [block("r = rlm_query('find the code word')\nFINAL('child said: ' + r)")],
        "find the code word": [block("import re\nFINAL(re.search(r'code word is (\\w+)', context).group(1))")],
    }))
    result = runner.invoke(app, ["ask", str(doc(tmp_path)), "what is the code word?", "--max-depth", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "child said: banana\n"
    assert [question_of(r) for r in server.root_requests()] == ["what is the code word?", "find the code word"]
    assert server.sub_requests() == []


def test_a_child_on_the_parents_input_reads_the_parents_copy_instead_of_writing_its_own(
    serve, tmp_path: Path
) -> None:
    here = "import os\nhere = os.path.exists('.context.txt')\n"
    serve(tree({
        "q": [block(here + "FINAL(rlm_query('child q') + f' parent has a copy: {here}')")],
        "child q": [block(here + "FINAL(f'child has a copy: {here}, reads: {context.split()[-1]}')")],
    }))
    result = runner.invoke(app, ["ask", str(doc(tmp_path)), "q", "--max-depth", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "child has a copy: False, reads: banana parent has a copy: True\n"


def test_depth_3_passes_each_child_its_own_context_and_the_deepest_call_is_plain(serve, tmp_path: Path) -> None:
    server = serve(tree({
        "top": [block("FINAL(rlm_query('level one', context='abc'))")],
        "level one": [block("FINAL(rlm_query('level two', context=context.upper()))")],
        "level two": [block("FINAL(rlm_query('leaf', context=context + '!'))")],
    }))
    result = runner.invoke(app, ["ask", str(doc(tmp_path)), "top", "--max-depth", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "leaf: leaf\n\nABC!\n"
    assert [question_of(r) for r in server.root_requests()] == ["top", "level one", "level two"]
    assert len(server.sub_requests()) == 1


def test_at_the_default_depth_rlm_query_is_llm_query_with_the_context_appended(serve, tmp_path: Path) -> None:
    server = serve(tree({"q": [block("FINAL(rlm_query('summarise', context='some text'))")]}))
    result = runner.invoke(app, ["ask", str(doc(tmp_path)), "q"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "leaf: summarise\n\nsome text\n"
    assert len(server.root_requests()) == 1


def test_child_events_carry_depth_and_the_call_that_started_them(serve, tmp_path: Path) -> None:
    serve(tree({
        "q": [block("FINAL(rlm_query('child q'))")],
        "child q": [block("FINAL(llm_query('leaf q'))")],
    }))
    result = runner.invoke(app, ["ask", str(doc(tmp_path)), "q", "--max-depth", "2", "--jsonl"])
    assert result.exit_code == 0, result.output
    stream = events(result.stdout)
    child_call = next(e for e in stream if e["type"] == "subcall_started" and e["kind"] == "rlm")
    assert child_call["depth"] == 1 and child_call["parent"] == "1.1"
    child_steps = [e for e in stream if e["type"] == "code_started" and e["depth"] == 1]
    call_id = child_call["call_id"]
    assert [(e["parent"], e["step_id"]) for e in child_steps] == [(call_id, f"{call_id}/1.1")]
    leaf = next(e for e in stream if e["type"] == "subcall_started" and e["kind"] == "llm")
    assert leaf["depth"] == 2 and leaf["parent"] == f"{child_call['call_id']}/1.1"
    assert [e["type"] for e in stream].count("run_finished") == 1
    finished = next(e for e in stream if e["type"] == "subcall_finished" and e["kind"] == "rlm")
    assert finished["response"] == "leaf: leaf q" and finished["input_tokens"] > 0


def test_batched_children_run_concurrently_and_keep_order(serve, tmp_path: Path) -> None:
    children = {f"part {i}": [Reply(block(f"FINAL('answer {i}')"), delay=0.4)] for i in range(4)}
    serve(tree({"q": [block("FINAL(' '.join(rlm_query_batched([f'part {i}' for i in range(4)])))")], **children}))
    result = runner.invoke(app, ["ask", str(doc(tmp_path)), "q", "--max-depth", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answer"] == "answer 0 answer 1 answer 2 answer 3"
    assert data["subcalls"] == 4
    assert data["duration"] < 4 * 0.4


def test_a_failing_child_is_an_error_string_for_the_parent(serve, tmp_path: Path) -> None:
    serve(tree({
        "q": [block("FINAL(rlm_query('broken'))")],
        "broken": [Reply("nope", status=400)],
    }))
    result = runner.invoke(app, ["ask", str(doc(tmp_path)), "q", "--max-depth", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ERROR: ")
