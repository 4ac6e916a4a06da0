"""The sub-call cache: hits, misses, concurrent writers, `rlm cache`, and the sub-call size guard."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from fake_openai import scripted
from typer.testing import CliRunner

from rlm_cli.cli import app
from rlm_cli.models.cache import SubcallCache, default_path, make_key
from rlm_cli.models.client import Completion

runner = CliRunner()
FAN_OUT = "```repl\nFINAL(' | '.join(llm_query_batched(['alpha', 'beta'])))\n```"


def ask(tmp_path: Path, *args: str):
    doc = tmp_path / "doc.txt"
    doc.write_text("input\n")
    return runner.invoke(app, ["ask", str(doc), "q", *args])


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_a_repeated_run_answers_its_subcalls_from_the_cache(serve, tmp_path: Path) -> None:
    server = serve(scripted([FAN_OUT], sub=lambda p: f"fresh {p}"))
    first = ask(tmp_path, "--json")
    assert first.exit_code == 0, first.output
    assert len(server.sub_requests()) == 2
    second = ask(tmp_path, "--jsonl")
    assert second.exit_code == 0, second.output
    assert len(server.sub_requests()) == 2
    finished = [e for e in events(second.stdout) if e["type"] == "subcall_finished"]
    assert sorted(e["response"] for e in finished) == ["fresh alpha", "fresh beta"]
    assert all(e["cached"] and e["cost"] == 0.0 and e["input_tokens"] == 0 for e in finished)
    result = next(e for e in events(second.stdout) if e["type"] == "run_finished")["result"]
    assert result["answer"] == "fresh alpha | fresh beta"
    assert result["usage_by_model"]["test-model"]["cached_calls"] == 2


def test_no_cache_sends_every_subcall(serve, tmp_path: Path) -> None:
    server = serve(scripted([FAN_OUT]))
    assert ask(tmp_path).exit_code == 0
    assert ask(tmp_path, "--no-cache").exit_code == 0
    assert len(server.sub_requests()) == 4
    assert not default_path().exists() or SubcallCache().stats().entries == 2


def test_a_different_model_or_endpoint_or_sampling_is_a_miss(tmp_path: Path) -> None:
    cache = SubcallCache(tmp_path / "c.sqlite3")
    messages = [{"role": "user", "content": "hi"}]
    key = make_key("http://a/v1", "m", messages, {"max_tokens": 10, "temperature": None})
    cache.put(key, Completion("hello", 3, 2, "stop", "m"))
    assert cache.get(key) == Completion("hello", 3, 2, "stop", "m")
    assert make_key("http://a/v1/", "m", messages, {"max_tokens": 10, "temperature": None}) == key
    for other in (
        make_key("http://b/v1", "m", messages, {"max_tokens": 10, "temperature": None}),
        make_key("http://a/v1", "m2", messages, {"max_tokens": 10, "temperature": None}),
        make_key("http://a/v1", "m", [{"role": "user", "content": "hi!"}], {"max_tokens": 10, "temperature": None}),
        make_key("http://a/v1", "m", messages, {"max_tokens": 10, "temperature": 0.5}),
    ):
        assert cache.get(other) is None
    assert cache.stats().hits == 1


def test_threads_of_one_process_share_the_cache_safely(tmp_path: Path) -> None:
    cache = SubcallCache(tmp_path / "c.sqlite3")

    def write(n: int) -> None:
        for i in range(50):
            cache.put(f"{n}-{i}", Completion(f"v{n}-{i}", 1, 1, "stop", "m"))
            assert cache.get(f"{n}-{i}") is not None

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.stats().entries == 400


WRITER = """
import sys
from pathlib import Path
from rlm_cli.models.cache import SubcallCache
from rlm_cli.models.client import Completion
cache = SubcallCache(Path(sys.argv[1]))
for i in range(200):
    key = f"{sys.argv[2]}-{i}"
    assert cache.put(key, Completion("x" * 100, 1, 1, "stop", "m")), "write failed"
    assert cache.get(key) is not None
print("ok")
"""


def test_concurrent_processes_write_to_one_cache_without_losing_entries(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)], stdout=subprocess.PIPE, text=True)
        for n in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    assert outputs == ["ok\n"] * 4
    assert SubcallCache(path).stats().entries == 800


def test_cache_stats_and_clear(serve, tmp_path: Path) -> None:
    serve(scripted([FAN_OUT]))
    assert ask(tmp_path).exit_code == 0
    assert ask(tmp_path).exit_code == 0
    stats = runner.invoke(app, ["cache", "stats", "--json"])
    assert stats.exit_code == 0, stats.output
    data = json.loads(stats.stdout)
    assert data["entries"] == 2 and data["hits"] == 2 and data["bytes"] > 0
    assert data["path"] == str(default_path())
    text = runner.invoke(app, ["cache", "stats"])
    assert "entries  2" in text.stdout
    cleared = runner.invoke(app, ["cache", "clear"])
    assert cleared.exit_code == 0
    assert "removed 2 cached sub-call answer(s)" in cleared.stderr
    assert json.loads(runner.invoke(app, ["cache", "stats", "--json"]).stdout)["entries"] == 0


def test_cache_stats_before_any_run_creates_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cache", "stats", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["entries"] == 0
    assert not default_path().exists()


def test_an_unwritable_cache_dir_warns_and_the_run_goes_on(serve, tmp_path: Path, isolated_env: Path) -> None:
    isolated_env.mkdir(parents=True, exist_ok=True)
    (isolated_env / "cache").write_text("a file where the cache directory should be")
    serve(scripted([FAN_OUT]))
    result = ask(tmp_path)
    assert result.exit_code == 0, result.output
    assert "sub-calls are not cached in this run" in result.stderr


def test_a_subcall_larger_than_the_window_is_refused_with_advice_to_split(
    serve, tmp_path: Path, monkeypatch
) -> None:
    server = serve(scripted(["```repl\nFINAL(llm_query('x' * 1000))\n```"]))
    monkeypatch.setenv("RLM_SUB_WINDOW", "100")
    result = ask(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ERROR: the prompt is about 250 tokens (1,000 characters), more than")
    assert "window of 100 tokens" in result.stdout and "split it" in result.stdout
    assert server.sub_requests() == []
    assert "about 400 characters at once" in server.root_requests()[0]["messages"][0]["content"]


def test_a_run_without_subcalls_never_opens_the_cache(serve, tmp_path: Path) -> None:
    serve(scripted(["```repl\nFINAL(len(context))\n```"]))
    assert ask(tmp_path).exit_code == 0
    assert not default_path().exists()
