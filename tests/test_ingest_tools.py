"""grep / read / locate: every hit and offset maps back to path:line (and PDF page), in the host and
in the REPL worker."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fake_openai import scripted
from ingest_helpers import load, make_pdf, tree
from typer.testing import CliRunner

import rlm_cli.repl.corpus_tools as corpus_tools
from rlm_cli.cli import app
from rlm_cli.repl.corpus_tools import CorpusTools, LineIndex


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return tree(tmp_path / "p", {
        "src/auth.py": "import os\n\ndef login(user):\n    return check(user)\n",
        "src/db.py": "def check(user):\n    return True\n",
        "notes.txt": "login is in auth\n",
    })


def test_grep_returns_path_line_and_the_whole_line(project: Path) -> None:
    hits = load(project).tools().grep(r"def \w+")
    assert [(m.path, m.line, m.text) for m in hits] == [
        (f"{project}/src/auth.py", 3, "def login(user):"),
        (f"{project}/src/db.py", 1, "def check(user):"),
    ]
    assert repr(hits) == f"{project}/src/auth.py:3: def login(user):\n{project}/src/db.py:1: def check(user):"


def test_grep_can_be_limited_to_paths_case_insensitive_and_capped(project: Path) -> None:
    tools = load(project).tools()
    assert [m.path for m in tools.grep("LOGIN", ignore_case=True, path="*.txt")] == [f"{project}/notes.txt"]
    capped = tools.grep("user", max_matches=2)
    assert len(capped) == 2 and "stopped at max_matches=2" in repr(capped)
    assert repr(tools.grep("nothing here")) == "(no matches)"


def test_read_returns_the_asked_lines_of_one_file_found_by_path_suffix(project: Path) -> None:
    tools = load(project).tools()
    assert tools.read("auth.py", 3, 4) == "def login(user):\n    return check(user)"
    assert tools.read(f"{project}/src/db.py") == "def check(user):\n    return True\n"
    with pytest.raises(ValueError, match="2 documents match"):
        tools.read("*.py")


def test_locate_maps_an_offset_in_context_to_path_and_line(project: Path) -> None:
    corpus = load(project)
    offset = corpus.text.index("return True")
    assert corpus.locate(offset) == f"{project}/src/db.py:2"


def test_pdf_hits_carry_their_page(tmp_path: Path) -> None:
    (tmp_path / "r.pdf").write_bytes(make_pdf(["intro", "the deadline is May 3"]))
    tools = load(tmp_path / "r.pdf").tools()
    (hit,) = tools.grep("deadline")
    assert (hit.page, repr(hit)) == (2, f"{tmp_path}/r.pdf:4 (page 2): the deadline is May 3")
    assert tools.locate(hit.offset) == f"{tmp_path}/r.pdf:4 (page 2)"


def test_line_index_agrees_with_counting_across_block_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_tools, "BLOCK", 16)
    rng = random.Random(7)
    text = "".join(rng.choice("ab\n") for _ in range(2000))
    index = LineIndex(text)
    for offset in range(0, len(text), 37):
        assert index.line_of(offset) == text.count("\n", 0, offset) + 1
    for line in range(1, text.count("\n") + 2, 5):
        start = index.offset_of(line)
        assert text.count("\n", 0, start) == line - 1 and (start == 0 or text[start - 1] == "\n")


def test_tools_work_on_a_context_without_documents() -> None:
    tools = CorpusTools("a\nb\nc\n", [])
    assert tools.locate(2) == "context:2"
    assert repr(tools.grep("c")) == "context:3: c"


def test_the_repl_has_grep_read_and_locate_and_they_cannot_be_rebound(serve, project: Path) -> None:
    code = (
        "```repl\nhit = grep(r'def check')[0]\n"
        "FINAL(f\"{hit.path}:{hit.line} | {read(hit.path, 2, 2).strip()} | {locate(hit.offset)}\")\n```"
    )
    serve(scripted(["```repl\ngrep = read = locate = None\n```", code]))
    result = CliRunner().invoke(app, ["ask", str(project), "where is check?"])
    assert result.exit_code == 0, result.output
    db = f"{project}/src/db.py"
    assert result.stdout == f"{db}:1 | return True | {db}:1\n"
