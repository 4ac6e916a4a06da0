"""`rlm --help`, `rlm --version` and TAB import nothing heavy (timings: benchmarks/bench_startup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("openai", "rich", "pypdf", "chardet", "httpx", "httpx2", "tomlkit", "rlm_cli.engine", "rlm_cli.ingest")

PROBE = """
import json, sys
sys.argv = ["rlm", *json.loads(sys.argv[1])]
from rlm_cli.cli import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def loaded_after(argv: list[str], extra_env: dict[str, str] | None = None) -> set[str]:
    env = {**os.environ, **(extra_env or {})}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True, env=env, timeout=60
    )
    marker = result.stderr.rsplit("MODULES ", 1)
    assert len(marker) == 2, result.stderr
    return set(json.loads(marker[1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["ask", "--help"]])
def test_help_and_version_import_nothing_heavy(argv: list[str]) -> None:
    assert heavy(loaded_after(argv)) == []


def test_tab_completion_imports_nothing_heavy() -> None:
    env = {"_RLM_COMPLETE": "complete_bash", "COMP_WORDS": "rlm ask -m ", "COMP_CWORD": "3"}
    assert heavy(loaded_after([], env)) == []
