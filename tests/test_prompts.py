"""Prompt styles: compact prompts for small models, chosen from the model name unless set."""

from __future__ import annotations

import json

import pytest
from fake_openai import scripted
from typer.testing import CliRunner

from rlm_cli.cli import app
from rlm_cli.corpus import Corpus, Part
from rlm_cli.engine import feedback, first_search, prompts

runner = CliRunner()


@pytest.mark.parametrize(
    ("model", "style"),
    [
        ("qwen2.5-coder-1.5b", "compact"),
        ("Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf", "compact"),
        ("llama3.1:8b", "compact"),
        ("qwen2.5:0.5b", "compact"),
        ("smollm2-135m", "compact"),
        ("phi3", "compact"),
        ("llama3.2", "compact"),
        ("qwen2.5-coder", "compact"),
        ("llama3.1:70b", "full"),
        ("qwen3-30b-a3b", "full"),
        ("mixtral-8x7b", "full"),
        ("gpt-4.1-mini", "full"),
        ("gpt-4o", "full"),
        ("claude-3-5-sonnet", "full"),
    ],
)
def test_auto_style_reads_the_model_size_from_its_name(model: str, style: str) -> None:
    assert prompts.auto_style(model) == style


def test_an_explicit_style_wins_over_the_model_name() -> None:
    assert prompts.resolve_style("full", "qwen2.5-coder-1.5b") == "full"
    assert prompts.resolve_style("compact", "gpt-4o") == "compact"


def corpus(*texts: str) -> Corpus:
    return Corpus.from_parts([Part(f"f{i}.txt", "text", len(t), t) for i, t in enumerate(texts)])


def test_the_compact_first_turn_states_the_question_and_asks_for_code_now() -> None:
    text = "x" * 10_000 + "SECRET-NEEDLE" + "y" * 10_000
    turn = prompts.first_turn("what is the needle?", corpus(text), 6, style=prompts.COMPACT)
    assert "Question: what is the needle?" in turn
    assert "Turn 1 of 6" in turn and "```repl" in turn
    assert "SECRET-NEEDLE" not in turn
    assert "documents" not in turn


def test_the_compact_first_turn_shows_how_to_map_a_position_to_a_file_when_there_are_several() -> None:
    turn = prompts.first_turn("which file?", corpus("a" * 100, "b" * 100), 6, style=prompts.COMPACT)
    assert prompts.DOCUMENTS_TIP in turn


def test_the_compact_opening_is_a_short_system_prompt_then_a_worked_example_as_chat_turns() -> None:
    messages = prompts.opening("who?", corpus("x" * 50), 6, 100_000, prompts.COMPACT)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "CANNOT see" in messages[0]["content"]
    assert len(messages[0]["content"]) < len(prompts.system_prompt(100_000, prompts.FULL))
    assert messages[4]["content"] == '```repl\nFINAL("bob")\n```'
    assert "Question: who?" in messages[-1]["content"]


def test_the_full_opening_has_no_example_turns() -> None:
    messages = prompts.opening("who?", corpus("x" * 50), 6, 100_000, prompts.FULL)
    assert [m["role"] for m in messages] == ["system", "user"]


def test_json_shows_the_style_chosen_for_a_small_model(serve, tmp_path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    server = serve(scripted(['```repl\nFINAL("ok")\n```']))
    result = runner.invoke(app, ["ask", str(doc), "q", "--model", "qwen2.5-coder-1.5b", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["prompt_style"] == "compact"
    assert server.root_requests()[0]["messages"][0]["content"].startswith(prompts.COMPACT_SYSTEM_PROMPT[:80])
    assert "compact prompts for qwen2.5-coder-1.5b" in result.stderr


def test_the_prompt_style_flag_overrides_the_automatic_choice(serve, tmp_path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    serve(scripted(['```repl\nFINAL("ok")\n```']))
    args = ["ask", str(doc), "q", "--model", "qwen2.5-coder-1.5b", "--prompt-style", "full", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["prompt_style"] == "full"
    assert "compact prompts" not in result.stderr


def test_an_unknown_prompt_style_flag_is_a_one_line_usage_error(serve, tmp_path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    serve(scripted(['```repl\nFINAL("ok")\n```']))
    result = runner.invoke(app, ["ask", str(doc), "q", "--prompt-style", "tiny"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "rlm: error: --prompt-style must be one of auto, compact, full, got 'tiny' (see rlm ask --help)"
    )


def test_an_unknown_prompt_style_in_the_environment_is_a_one_line_config_error(serve, tmp_path, monkeypatch) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    serve(scripted(['```repl\nFINAL("ok")\n```']))
    monkeypatch.setenv("RLM_PROMPT_STYLE", "tiny")
    result = runner.invoke(app, ["ask", str(doc), "q"])
    assert result.exit_code == 4
    assert result.stderr.strip() == "rlm: error: prompt_style must be one of auto, compact, full, got 'tiny'"


def test_the_compact_first_turn_offers_a_first_search_built_from_the_question() -> None:
    turn = prompts.first_turn("Which request id failed with an ERROR?", corpus("x" * 50), 6, style=prompts.COMPACT)
    assert "A good first step:\n" + feedback.plain_search("ERROR") in turn


def test_the_compact_first_turn_for_a_definition_question_greps_for_the_definition() -> None:
    question = "Which file defines `load_ledger`?"
    turn = prompts.first_turn(question, corpus("a" * 100, "b" * 100), 6, style=prompts.COMPACT)
    assert first_search.definition_search(question, "load_ledger") in turn
