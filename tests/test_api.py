"""The Python API: `rlm_cli.ask(question, paths_or_text, **settings) -> Result`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fake_openai import scripted

import rlm_cli
from rlm_cli.errors import InputError


def test_ask_over_text_returns_a_confirmed_result(serve) -> None:
    serve(scripted(['```repl\nFINAL(context.split()[1])\n```']))
    result = rlm_cli.ask("second word?", "alpha beta gamma")
    assert isinstance(result, rlm_cli.Result)
    assert (result.answer, result.status, int(result.exit_code)) == ("beta", "confirmed", 0)
    assert result.usage["calls"] == 1


def test_ask_over_paths_reads_files_and_directories(serve, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\n")
    (tmp_path / "b.txt").write_text("two\n")
    serve(scripted(['```repl\nFINAL(",".join(d["path"].rsplit("/", 1)[1] for d in documents))\n```']))
    assert rlm_cli.ask("files?", [tmp_path]).answer == "a.txt,b.txt"


def test_ask_over_a_mapping_makes_one_document_each(serve) -> None:
    serve(scripted(['```repl\nFINAL(str(len(documents)))\n```']))
    assert rlm_cli.ask("how many?", {"x.py": "x = 1\n", "y.py": "y = 2\n"}).answer == "2"


def test_keyword_settings_override_the_environment(serve) -> None:
    server = serve(scripted(['```repl\nFINAL("ok")\n```']))
    rlm_cli.ask("q?", "text", model="other-model")
    assert server.requests[0]["model"] == "other-model"


def test_each_run_is_logged_unless_log_is_off(serve, isolated_env: Path) -> None:
    serve(scripted(['```repl\nFINAL("ok")\n```']))
    result = rlm_cli.ask("q?", "text")
    assert (isolated_env / "data" / "runs" / f"{result.run_id}.jsonl").is_file()
    rlm_cli.ask("q?", "text", log=False)
    assert len(list((isolated_env / "data" / "runs").glob("*.jsonl"))) == 1


def test_an_unknown_setting_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="max_iteration"):
        rlm_cli.ask("q?", "text", max_iteration=3)


def test_a_missing_path_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no such file"):
        rlm_cli.ask("q?", [Path("/nonexistent/rlm-test")], base_url="http://127.0.0.1:9/v1")


def test_importing_rlm_cli_does_not_load_the_engine() -> None:
    code = "import sys, rlm_cli; print('rlm_cli.engine.loop' in sys.modules, 'openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"
