"""Directory walking: ignore files with git's precedence, defaults, filters, and odd file types."""

from __future__ import annotations

import gzip
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from ingest_helpers import load, paths_of, reasons, tree

import rlm_cli.ingest as ingest
from rlm_cli.errors import InputError


@pytest.fixture(autouse=True)
def no_global_git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's ~/.gitconfig and global excludes must not change what these tests see."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))


def test_nested_gitignore_files_apply_below_their_directory_and_can_re_include(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {
        ".gitignore": "*.log\n",
        "a.log": "x", "a.txt": "x",
        "sub/.gitignore": "!keep.log\ntmp/\n",
        "sub/keep.log": "x", "sub/drop.log.txt": "x", "sub/tmp/t.txt": "x",
        "other/tmp/t.txt": "x",
    })
    corpus = load(root)
    shown = [p.removeprefix(f"{root}/") for p in paths_of(corpus)]
    assert shown == ["a.txt", "other/tmp/t.txt", "sub/drop.log.txt", "sub/keep.log"]
    assert reasons(corpus)[f"{root}/a.log"] == "ignored"
    assert reasons(corpus)[f"{root}/sub/tmp"] == "ignored"


def test_dot_ignore_wins_over_gitignore_in_the_same_directory(tmp_path: Path) -> None:
    files = {".gitignore": "*.md\n", ".ignore": "!README.md\n", "README.md": "x", "NOTES.md": "x"}
    root = tree(tmp_path / "p", files)
    assert paths_of(load(root)) == [f"{root}/README.md"]


def test_a_parent_gitignore_inside_the_repository_applies_to_a_walked_subdirectory(tmp_path: Path) -> None:
    repo = tree(tmp_path / "repo", {".gitignore": "*.log\nsrc/gen/\n", "src/a.py": "x", "src/b.log": "x",
                                    "src/gen/g.py": "x"})
    (repo / ".git").mkdir()
    corpus = load(repo / "src")
    assert paths_of(corpus) == [f"{repo}/src/a.py"]


def test_git_info_exclude_and_the_global_excludes_file_are_honoured(tmp_path: Path) -> None:
    repo = tree(tmp_path / "repo", {".git/info/exclude": "local.txt\n", "local.txt": "x", "global.bak": "x",
                                    "kept.txt": "x"})
    home = Path(os.environ["HOME"])
    tree(home, {".gitconfig": "[core]\n\texcludesFile = ~/my-ignores\n", "my-ignores": "*.bak\n"})
    corpus = load(repo)
    assert paths_of(corpus) == [f"{repo}/kept.txt"]
    assert reasons(corpus)[f"{repo}/global.bak"] == "ignored"


def test_hidden_files_are_left_out_unless_asked_for(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {".env": "SECRET=1", ".config/c.txt": "x", "a.txt": "x"})
    assert paths_of(load(root)) == [f"{root}/a.txt"]
    assert reasons(load(root))[f"{root}/.env"] == "hidden"
    assert paths_of(load(root, hidden=True)) == [f"{root}/.env", f"{root}/a.txt", f"{root}/.config/c.txt"]


def test_dependency_cache_virtualenv_and_build_directories_are_ignored_by_default(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {
        "node_modules/x/i.js": "x", "pkg/__pycache__/m.pyc": "x", "myenv/pyvenv.cfg": "home = /usr",
        "myenv/lib/site.py": "x", "build/out.txt": "x", "dist/d.txt": "x", "src/a.py": "x",
    })
    corpus = load(root)
    assert paths_of(corpus) == [f"{root}/src/a.py"]
    assert {r for p, r in reasons(corpus).items()} == {"default ignore"}
    assert len(paths_of(load(root, no_ignore=True))) == 7


def test_no_ignore_reads_gitignored_files_but_never_the_git_directory(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {".gitignore": "*.log\n", "a.log": "x", ".git/config": "x"})
    corpus = load(root, no_ignore=True, hidden=True)
    assert paths_of(corpus) == [f"{root}/.gitignore", f"{root}/a.log"]
    assert reasons(corpus)[f"{root}/.git"] == "default ignore"


def test_include_exclude_and_ext_filter_walked_files(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": "x", "b.md": "x", "docs/c.md": "x", "tests/t.py": "x",
                                 "app.log.gz": gzip.compress(b"line\n")})
    assert paths_of(load(root, include=("*.md",))) == [f"{root}/b.md", f"{root}/docs/c.md"]
    assert paths_of(load(root, exclude=("tests/", "*.md", "*.gz"))) == [f"{root}/a.py"]
    assert paths_of(load(root, extensions=(".py",))) == [f"{root}/a.py", f"{root}/tests/t.py"]
    assert paths_of(load(root, extensions=("log",))) == [f"{root}/app.log.gz"]


def test_a_file_named_on_the_command_line_is_read_even_if_ignored_or_hidden(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {".gitignore": "*.log\n", "x.log": "logged", ".hidden": "h"})
    corpus = load(root / "x.log", root / ".hidden")
    assert paths_of(corpus) == [f"{root}/x.log", f"{root}/.hidden"]


def test_symlink_loops_are_skipped_with_a_reason_and_the_walk_ends(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x"})
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "l1").symlink_to(root / "l2")
    (root / "l2").symlink_to(root / "l1")
    (root / "link.txt").symlink_to(root / "a.txt")
    (root / "dangling").symlink_to(root / "missing")
    started = time.monotonic()
    corpus = load(root)
    assert time.monotonic() - started < 5
    assert paths_of(corpus) == [f"{root}/a.txt"]
    got = reasons(corpus)
    assert got[f"{root}/loop"] == "symlink to directory"
    assert got[f"{root}/l1"] == got[f"{root}/l2"] == "symlink loop"
    assert got[f"{root}/link.txt"] == "duplicate"
    assert got[f"{root}/dangling"] == "broken symlink"


def test_fifos_and_sockets_in_a_tree_are_skipped_without_blocking(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x"})
    os.mkfifo(root / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    try:
        corpus = load(root)
    finally:
        sock.close()
    assert paths_of(corpus) == [f"{root}/a.txt"]
    assert reasons(corpus) == {f"{root}/pipe": "not a regular file", f"{root}/sock": "not a regular file"}


def test_an_unreadable_file_is_skipped_with_the_os_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x", "secret.txt": "y"})
    real_open = open

    def guarded(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).endswith("secret.txt"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(ingest, "open", guarded, raising=False)
    corpus = load(root)
    assert paths_of(corpus) == [f"{root}/a.txt"]
    assert [(s.reason, s.detail) for s in corpus.skipped] == [("unreadable", "Permission denied")]


def test_a_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        load(tmp_path / "nope")


def test_empty_files_are_skipped_and_nothing_readable_is_an_input_error(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"empty.txt": "", "a.txt": "x"})
    assert reasons(load(root))[f"{root}/empty.txt"] == "empty"
    with pytest.raises(InputError, match=r"no readable input \(skipped: 1 empty\)"):
        load(root / "empty.txt")
    (tmp_path / "void").mkdir()
    with pytest.raises(InputError, match="no readable input"):
        load(tmp_path / "void")


def test_documents_record_path_kind_size_and_offsets_in_context(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "alpha\n", "b.txt": "beta"})
    corpus = load(root)
    for doc, text in zip(corpus.documents, ["alpha\n", "beta"], strict=True):
        assert corpus.text[doc.start : doc.end] == text
        assert (doc.kind, doc.size) == ("text", len(text))
    assert corpus.text.startswith(f"==> {root}/a.txt <==\n")


def test_a_fifo_named_on_the_command_line_is_read_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("from a process substitution\n"))
    writer.start()
    corpus = load(fifo)
    writer.join(timeout=5)
    assert corpus.text == "from a process substitution\n"
    assert paths_of(corpus) == [str(fifo)]


def test_a_file_name_that_is_not_utf8_is_read_and_shown_with_a_replacement_character(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    fd = os.open(os.path.join(os.fsencode(root), b"bad\xffname.txt"), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"content\n")
    os.close(fd)
    corpus = load(root)
    assert paths_of(corpus) == [f"{root}/bad\ufffdname.txt"]
    assert corpus.text == "content\n"


def test_a_directory_named_on_the_command_line_is_walked_even_if_a_parent_gitignore_ignores_it(
    tmp_path: Path,
) -> None:
    repo = tree(tmp_path / "repo", {".gitignore": "build/\n*.log\n", "build/out/report.txt": "x",
                                    "build/out/debug.log": "x"})
    (repo / ".git").mkdir()
    corpus = load(repo / "build" / "out")
    assert paths_of(corpus) == [f"{repo}/build/out/report.txt"]
    assert reasons(corpus)[f"{repo}/build/out/debug.log"] == "ignored"
