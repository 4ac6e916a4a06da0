"""The loop's guards for weak models, against scripted turns of the loopback model server."""

from __future__ import annotations

from fake_openai import FakeOpenAI, scripted

from rlm_cli.corpus import Corpus, Part
from rlm_cli.engine import feedback, prompts
from rlm_cli.engine.loop import run
from rlm_cli.engine.result import Result
from rlm_cli.events import Event, Notice
from rlm_cli.settings import Settings

TEXT = "alpha beta gamma\nuser=bob error E42\n"


def ask(
    server: FakeOpenAI, max_iterations: int = 6, style: str = "full", text: str = TEXT
) -> tuple[Result, list[Event]]:
    events: list[Event] = []
    corpus = Corpus.from_parts([Part("notes.txt", "text", len(text), text)])
    settings = Settings(
        model="test-model", base_url=server.url, max_iterations=max_iterations, retries=1, prompt_style=style
    )
    return run("who got E42?", corpus, settings, events.append), events


def notices(events: list[Event]) -> list[str]:
    return [e.message for e in events if isinstance(e, Notice)]


def user_turns(server: FakeOpenAI) -> list[str]:
    """The last user message of each root request, in order."""
    return [r["messages"][-1]["content"] for r in server.root_requests()]


def test_a_text_answer_before_any_code_ran_is_refused_once_and_the_model_asked_to_look(serve) -> None:
    server = serve(scripted(["FINAL(nobody)", "```repl\nprint(context.count('E42'))\n```", "FINAL(bob)"]))
    result, events = ask(server)
    assert result.answer == "bob" and result.status == "confirmed"
    assert user_turns(server)[1] == prompts.LOOK_FIRST
    assert result.iterations == 2
    assert any("before running any code" in n for n in notices(events))


def test_a_text_answer_after_code_ran_is_accepted(serve) -> None:
    server = serve(scripted(["```repl\nprint(1)\n```", "FINAL(bob)"]))
    result, events = ask(server)
    assert result.answer == "bob"
    assert len(server.root_requests()) == 2
    assert notices(events) == []


def test_the_look_first_guard_fires_only_once(serve) -> None:
    server = serve(scripted(["FINAL(nobody)", "FINAL(still nobody)"]))
    result, _ = ask(server)
    assert result.answer == "still nobody" and result.status == "confirmed"
    assert len(server.root_requests()) == 2


def test_a_reply_without_code_or_answer_gets_a_reminder_that_does_not_spend_a_turn(serve) -> None:
    turns = ["Please show me the text.", "```repl\nprint(1)\n```", "```repl\nFINAL('bob')\n```"]
    server = serve(scripted(turns))
    result, events = ask(server, max_iterations=2)
    assert result.answer == "bob" and result.status == "confirmed"
    assert result.iterations == 2
    assert user_turns(server)[1] == prompts.NO_CODE
    assert "Turn 2 of 2" in user_turns(server)[2]
    assert sum("reminded the model" in n for n in notices(events)) == 1


def test_free_reminders_run_out_and_then_replies_without_code_count(serve) -> None:
    server = serve(scripted(["I need to see the text."]))
    result, events = ask(server, max_iterations=2)
    assert result.status == "unconfirmed" and result.exit_code == 6
    # turn 1: the reply, two free reminders; turn 2: one counted reply; then the last call
    assert len(server.root_requests()) == 3 + 1 + 1
    assert sum("reminded the model" in n for n in notices(events)) == 2


def test_the_same_code_failing_the_same_way_gets_a_new_nudge_each_time(serve) -> None:
    bad = '```repl\nimport re\nprint(re.search(r"E\\d+", context).group(1))\n```'
    server = serve(scripted([bad, bad, bad, "```repl\nFINAL('bob')\n```"]))
    result, events = ask(server)
    assert result.answer == "bob"
    after = user_turns(server)[1:4]
    assert "IndexError: no such group" in after[0] and "Hint: Your regex has no (...) group" in after[0]
    assert feedback.REPEAT_NUDGES[0] not in after[0]
    assert feedback.REPEAT_NUDGES[0] in after[1]
    assert feedback.REPEAT_NUDGES[1] in after[2]
    assert sum("repeated the same code" in n for n in notices(events)) == 2


def test_the_same_output_seen_again_asks_for_the_answer(serve) -> None:
    look = "```repl\nprint([l for l in context.splitlines() if 'E42' in l])\n```"
    server = serve(scripted([look, "```repl\n# again\n" + look[8:], "FINAL(bob)"]))
    result, _ = ask(server)
    assert result.answer == "bob"
    assert feedback.REPEAT_OUTPUT_NUDGES[0] in user_turns(server)[2]


def test_compact_style_runs_only_the_first_block_of_a_reply(serve) -> None:
    reply = "```repl\nx = context.count('E42')\nprint(x)\n```\nOutput:\n```repl\nFINAL('invented')\n```"
    server = serve(scripted([reply, "```repl\nFINAL(str(x))\n```"]))
    result, events = ask(server, style="compact")
    assert result.answer == "1"
    assert any("ran only the first of 2" in n for n in notices(events))


def test_compact_style_says_what_to_do_next_after_an_error_an_empty_result_and_output(serve) -> None:
    turns = ["```repl\nprint(undefined_name)\n```", "```repl\nprint(context.count('E99'))\n```",
             "```repl\nprint(1)\n```", "FINAL(bob)"]
    server = serve(scripted(turns))
    ask(server, style="compact")
    after_error, after_empty, after_output = user_turns(server)[1:4]
    assert prompts.COMPACT_AFTER_ERROR in after_error and "NameError" in after_error
    assert prompts.COMPACT_AFTER_EMPTY in after_empty and feedback.plain_search("E42") in after_empty
    assert prompts.COMPACT_AFTER_OUTPUT in after_output
    assert "Question: who got E42?" in after_error and "Question: who got E42?" in after_output


def test_compact_style_refuses_a_typed_in_final_before_any_code_ran(serve) -> None:
    server = serve(scripted(['```repl\nFINAL("4")\n```', "```repl\nprint(context.count('E42'))\n```", "FINAL(1)"]))
    result, events = ask(server, style="compact")
    assert result.answer == "1"
    assert user_turns(server)[1] == prompts.LOOK_FIRST
    assert any("before running any code" in n for n in notices(events))


def test_full_style_accepts_a_final_in_code_on_the_first_turn(serve) -> None:
    server = serve(scripted(['```repl\nFINAL("4")\n```']))
    result, _ = ask(server, style="full")
    assert result.answer == "4" and len(server.root_requests()) == 1


def test_compact_style_shows_the_model_a_shorter_output(serve) -> None:
    server = serve(scripted(["```repl\nprint('x' * 5000)\n```", "FINAL(done)"]))
    ask(server, style="compact")
    report = user_turns(server)[1]
    assert "characters cut" in report and report.count("x") < 1600


def test_compact_style_does_not_run_a_block_that_only_writes_down_values(serve) -> None:
    invented = "```repl\n10\n['pkg/module_4.py', 'pkg/module_6.py']\n```"
    server = serve(scripted([invented, "```repl\nprint(context.count('E42'))\n```", "FINAL(1)"]))
    result, events = ask(server, style="compact", max_iterations=2)
    assert result.answer == "1" and result.status == "confirmed"
    assert user_turns(server)[1] == prompts.TYPED_OUTPUT
    assert any("only typed values" in n for n in notices(events))


def test_a_final_with_a_placeholder_is_not_accepted(serve) -> None:
    server = serve(scripted(["```repl\nprint(1)\n```", '```repl\nFINAL("the answer")\n```', "FINAL(bob)"]))
    result, events = ask(server)
    assert result.answer == "bob"
    assert feedback.PLACEHOLDER_NOTE in user_turns(server)[2]
    assert any("placeholder" in n for n in notices(events))
