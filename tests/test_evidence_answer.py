"""Compact style answers from a fresh reading of what the code printed, against the loopback server.

The fresh request is one user message (no system prompt), so the loopback server routes it to the
`sub` handler of `scripted`.
"""

from __future__ import annotations

from fake_openai import FakeOpenAI, Reply, scripted

from rlm_cli.corpus import Corpus, Part
from rlm_cli.engine import prompts
from rlm_cli.engine.loop import run
from rlm_cli.engine.result import Result
from rlm_cli.events import Event, Notice
from rlm_cli.settings import Settings

TEXT = "08:00 ERROR service=checkout timeout, retry succeeded\n08:01 ERROR service=queue broker lost leader\n"
SEARCH = "```repl\nlines = [l for l in context.splitlines() if 'ERROR' in l]\nprint(len(lines))\nprint(lines)\n```"
QUESTION = "Which service failed first?"


def ask(server: FakeOpenAI, style: str = "compact", max_iterations: int = 4) -> tuple[Result, list[Event]]:
    events: list[Event] = []
    corpus = Corpus.from_parts([Part("app.log", "text", len(TEXT), TEXT)])
    settings = Settings(
        model="test-model", base_url=server.url, max_iterations=max_iterations, retries=1, prompt_style=style
    )
    return run(QUESTION, corpus, settings, events.append), events


def fresh_requests(server: FakeOpenAI) -> list[str]:
    return [r["messages"][0]["content"] for r in server.sub_requests()]


def notices(events: list[Event]) -> list[str]:
    return [e.message for e in events if isinstance(e, Notice)]


def test_a_typed_final_that_a_fresh_reading_of_the_output_contradicts_gives_way_to_it(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("checkout")\n```'], sub=lambda prompt: "queue"))
    result, events = ask(server)
    assert result.answer == "queue" and result.status == "confirmed"
    (fresh,) = fresh_requests(server)
    assert "print(len(lines))" in fresh and "broker lost leader" in fresh and f"Question: {QUESTION}" in fresh
    assert any("typed 'checkout'" in n and "'queue'" in n for n in notices(events))


def test_a_typed_final_the_fresh_reading_agrees_with_is_kept_as_typed(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("queue")\n```'], sub=lambda prompt: "The service is queue."))
    result, events = ask(server)
    assert result.answer == "queue"
    assert not any("fresh reading" in n for n in notices(events))


def test_a_final_computed_by_code_is_not_second_guessed(serve) -> None:
    computed = "```repl\nFINAL(lines[1].split('service=')[1].split()[0])\n```"
    server = serve(scripted([SEARCH, computed], sub=lambda prompt: "checkout"))
    result, _ = ask(server)
    assert result.answer == "queue" and fresh_requests(server) == []


def test_a_typed_final_that_copies_a_whole_printed_line_is_kept(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("2")\n```'], sub=lambda prompt: "1"))
    result, _ = ask(server)
    assert result.answer == "2" and fresh_requests(server) == []


def test_full_style_takes_the_typed_final_as_it_is(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("checkout")\n```'], sub=lambda prompt: "queue"))
    result, _ = ask(server, style="full")
    assert result.answer == "checkout" and fresh_requests(server) == []


def test_a_typed_final_before_any_output_is_not_reread(serve) -> None:
    empty = "```repl\nprint(context.count('FATAL'))\n```"
    server = serve(scripted([empty, '```repl\nFINAL("checkout")\n```'], sub=lambda prompt: "queue"))
    result, _ = ask(server)
    assert result.answer == "checkout" and fresh_requests(server) == []


def test_a_fresh_reading_that_fails_keeps_the_typed_answer(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("checkout")\n```'], sub=lambda prompt: Reply("", status=500)))
    result, events = ask(server)
    assert result.answer == "checkout" and result.status == "confirmed"
    assert any("fresh reading failed" in n for n in notices(events))


def test_a_placeholder_final_after_output_is_answered_from_the_output(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("the answer")\n```'], sub=lambda prompt: "queue"))
    result, _ = ask(server)
    assert result.answer == "queue" and result.iterations == 2


def test_a_placeholder_the_fresh_reading_cannot_replace_is_still_refused(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("the answer")\n```', "FINAL(queue)"], sub=lambda p: "..."))
    result, events = ask(server)
    assert result.answer == "queue" and result.iterations == 3
    assert any("placeholder" in n for n in notices(events))


def test_out_of_turns_the_answer_comes_from_a_fresh_reading_of_what_the_code_printed(serve) -> None:
    server = serve(scripted([SEARCH, "```repl\nprint(lines[0])\n```"], sub=lambda prompt: "queue"))
    result, events = ask(server, max_iterations=2)
    assert result.answer == "queue" and result.status == "unconfirmed" and result.exit_code == 6
    (fresh,) = fresh_requests(server)
    assert fresh.count("It printed:") == 2
    assert prompts.LAST_CALL not in [r["messages"][-1]["content"] for r in server.root_requests()]
    assert any("from what the code printed" in n for n in notices(events))


def test_the_fresh_request_keeps_the_latest_steps_when_they_do_not_all_fit() -> None:
    steps = [(f"print({i})", str(i) * 2000) for i in range(5)]
    (message,) = prompts.evidence_answer("q?", steps)
    content = message["content"]
    assert "4444" in content and "0000" not in content
    assert len(content) < prompts.EVIDENCE_LIMIT + 1000
    assert content.index("print(3)") < content.index("print(4)")


def test_a_typed_number_inside_a_larger_fresh_number_does_not_agree_with_it(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("4")\n```'], sub=lambda prompt: "14"))
    result, _ = ask(server)
    assert result.answer == "14"


def test_the_same_values_spaced_differently_agree_and_the_typed_form_is_kept(serve) -> None:
    server = serve(scripted([SEARCH, '```repl\nFINAL("101,202")\n```'], sub=lambda prompt: "101, 202."))
    result, events = ask(server)
    assert result.answer == "101,202"
    assert not any("fresh reading" in n for n in notices(events))
