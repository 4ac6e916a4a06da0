"""Red team: escape attempts written as the code a model would send, run through the real worker.

Each attempt must be blocked or contained; after it the REPL still works, the files outside the
scratch directory are untouched, and this process (the worker's parent) is still running.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rlm_cli.corpus import Corpus, Part
from rlm_cli.repl.host import CellResult, QueryRequest, ReplHost

BLOCKED = "rlm sandbox:"


def answer_queries(request: QueryRequest) -> list[str]:
    return [f"echo: {p}" for p in request.prompts]


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fake home outside scratch: an SSH key, an rlm config dir with a key, a project file."""
    home = tmp_path_factory.mktemp("home")
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN KEY----- planted-ssh-secret\n")
    (home / "rlm-config").mkdir()
    (home / "rlm-config" / "keys.toml").write_text('api_key = "sk-planted-config-key"\n')
    (home / "project").mkdir()
    (home / "project" / "main.py").write_text("print('important')\n")
    return home


@pytest.fixture(scope="module")
def input_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("input") / "app.log"
    path.write_text("line one\nline two\n")
    return path


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


def make_host(input_file: Path, **kwargs: object) -> ReplHost:
    text = input_file.read_text()
    corpus = Corpus.from_parts([Part(str(input_file), "text", len(text), text)])
    return ReplHost(corpus, answer_queries, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def repl(input_file: Path, outside: Path) -> Iterator[ReplHost]:
    before = snapshot(outside)
    with make_host(input_file, cell_timeout=5.0) as host:
        yield host
    assert snapshot(outside) == before


def blocked(host: ReplHost, code: str) -> CellResult:
    """Run an attempt: it must fail with the sandbox's error, and the REPL must still work after."""
    cell = host.execute(code)
    assert cell.error is not None and BLOCKED in cell.error, (cell.output, cell.error)
    assert host.execute("print(6 * 7)").output == "42\n"
    return cell


# --- reading what is not the input ------------------------------------------------------------


def test_reading_an_ssh_key_is_blocked(repl: ReplHost, outside: Path) -> None:
    cell = blocked(repl, f"print(open({str(outside / '.ssh' / 'id_rsa')!r}).read())")
    assert "planted-ssh-secret" not in cell.output


def test_reading_the_config_dir_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import pathlib\nprint(pathlib.Path({str(outside / 'rlm-config' / 'keys.toml')!r}).read_text())")


def test_listing_the_home_directory_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import os\nprint(os.listdir({str(outside)!r}))")


def test_reading_etc_passwd_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "print(open('/etc/passwd').read())")


def test_reading_own_proc_environ_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "print(open('/proc/self/environ', 'rb').read())")


def test_reading_the_parents_proc_environ_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os\nprint(open(f'/proc/{os.getppid()}/environ', 'rb').read())")


def test_reading_with_os_open_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import os\nfd = os.open({str(outside / '.ssh' / 'id_rsa')!r}, os.O_RDONLY)\nprint(os.read(fd, 99))")


def test_reading_with_fileio_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import io\nprint(io.FileIO({str(outside / '.ssh' / 'id_rsa')!r}).read())")


def test_dot_dot_traversal_from_scratch_is_blocked(repl: ReplHost, outside: Path) -> None:
    up = "../" * 20
    blocked(repl, f"print(open({up + str(outside / '.ssh' / 'id_rsa').lstrip('/')!r}).read())")


def test_a_relative_path_against_a_directory_fd_is_blocked(repl: ReplHost) -> None:
    code = "import os\nfd = os.open('.', os.O_RDONLY)\nprint(os.open('../../etc/passwd', os.O_RDONLY, dir_fd=fd))"
    blocked(repl, code)


def test_a_symlink_to_a_secret_cannot_be_made(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import os\nos.symlink({str(outside / '.ssh' / 'id_rsa')!r}, 'key')\nprint(open('key').read())")


def test_a_hard_link_to_a_secret_cannot_be_made(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import os\nos.link({str(outside / '.ssh' / 'id_rsa')!r}, 'key')")


def test_copying_a_secret_into_scratch_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import shutil\nshutil.copyfile({str(outside / '.ssh' / 'id_rsa')!r}, 'copy')")


def test_linecache_does_not_leak_a_secret(repl: ReplHost, outside: Path) -> None:
    cell = repl.execute(f"import linecache\nprint(linecache.getlines({str(outside / '.ssh' / 'id_rsa')!r}))")
    assert cell.output == "[]\n" and cell.error is None


def test_the_input_file_and_scratch_stay_readable(repl: ReplHost, input_file: Path) -> None:
    cell = repl.execute(
        f"print(open({str(input_file)!r}).read().splitlines()[1])\n"
        "open('notes.txt', 'w').write('mine')\nprint(open('notes.txt').read())"
    )
    assert cell.error is None and cell.output == "line two\nmine\n"


# --- writing and deleting outside scratch ------------------------------------------------------


def test_writing_outside_scratch_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"open({str(outside / 'dropped.txt')!r}, 'w').write('pwned')")
    assert not (outside / "dropped.txt").exists()


def test_appending_to_a_project_file_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"open({str(outside / 'project' / 'main.py')!r}, 'a').write('import evil')")


def test_deleting_a_file_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import os\nos.remove({str(outside / 'project' / 'main.py')!r})")


def test_removing_a_tree_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import shutil\nshutil.rmtree({str(outside / 'project')!r})")


def test_renaming_a_file_out_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import os\nos.rename({str(outside / 'project' / 'main.py')!r}, 'stolen.py')")


def test_chmod_outside_is_blocked(repl: ReplHost, outside: Path) -> None:
    blocked(repl, f"import os\nos.chmod({str(outside / '.ssh' / 'id_rsa')!r}, 0o777)")


def test_writing_into_the_python_installation_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os, json\nopen(os.path.join(os.path.dirname(json.__file__), 'evil.py'), 'w')")


def test_a_temp_dir_outside_scratch_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import tempfile\nprint(tempfile.mkdtemp(dir='/tmp'))")


def test_changing_directory_out_of_scratch_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os\nos.chdir('/')\nprint(os.listdir('.'))")


def test_a_thread_left_running_after_the_cell_is_still_confined(repl: ReplHost, outside: Path) -> None:
    target = outside / "late.txt"
    code = (
        "import threading, time\n"
        "late = []\n"
        "def later():\n"
        "    time.sleep(0.1)\n"
        "    try:\n"
        f"        open({str(target)!r}, 'w').write('late')\n"
        "    except PermissionError as exc:\n"
        "        late.append(str(exc))\n"
        "threading.Thread(target=later).start()"
    )
    assert repl.execute(code).error is None
    cell = repl.execute("import time\ntime.sleep(0.3)\nprint(late)")
    assert "rlm sandbox: writing" in cell.output and not target.exists()


# --- network ---------------------------------------------------------------------------------


def test_opening_a_socket_is_blocked(repl: ReplHost) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    blocked(repl, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)")
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_resolving_a_host_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import socket\nprint(socket.getaddrinfo('example.com', 443))")


def test_urllib_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9/', timeout=1)")


# --- processes and signals ---------------------------------------------------------------------


def test_subprocess_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import subprocess\nprint(subprocess.run(['id'], capture_output=True))")


def test_os_system_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os\nos.system('touch /tmp/rlm-redteam-system')")
    assert not Path("/tmp/rlm-redteam-system").exists()


def test_os_fork_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)")


def test_exec_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os\nos.execv('/bin/sh', ['sh', '-c', 'id'])")


def test_posix_spawn_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os\nos.posix_spawn('/bin/true', ['true'], {})")


def test_pty_spawn_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import pty\npty.spawn('/bin/sh')")


def test_multiprocessing_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import multiprocessing\nmultiprocessing.Process(target=print).start()")


def test_a_fork_bomb_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os\nwhile True:\n    os.fork()")


def test_a_signal_to_the_parent_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import os, signal\nos.kill(os.getppid(), signal.SIGTERM)")
    os.kill(os.getpid(), 0)


def test_a_signal_to_the_parents_group_is_blocked(repl: ReplHost) -> None:
    blocked(repl, f"import os, signal\nos.killpg({os.getpgid(0)}, signal.SIGTERM)")


# --- native code, imports and introspection tricks --------------------------------------------


def test_ctypes_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import ctypes\nctypes.CDLL(None).system(b'id')")


def test_ctypes_classes_left_in_memory_cannot_be_used(repl: ReplHost) -> None:
    """The worker used ctypes for the seccomp filter; its classes are still reachable by walking
    subclasses, but every foreign call, symbol lookup and raw memory access is refused."""
    code = (
        "seen, stack, found = set(), [object], {}\n"
        "while stack:\n"
        "    for sub in type.__subclasses__(stack.pop()):\n"
        "        if sub not in seen:\n"
        "            seen.add(sub)\n"
        "            stack.append(sub)\n"
        "            found[sub.__name__] = sub\n"
        "class Handle:\n"
        "    _handle = 0\n"
        "attempts = [lambda: found['CFuncPtr'](('system', Handle())), lambda: found['c_int'].from_address(id(1))]\n"
        "for attempt in attempts:\n"
        "    try:\n"
        "        attempt()\n"
        "        print('ALLOWED')\n"
        "    except PermissionError as exc:\n"
        "        print(exc)"
    )
    cell = repl.execute(code)
    assert cell.error is None, cell.error
    assert "ALLOWED" not in cell.output and cell.output.count("rlm sandbox: ctypes") == 2


def test_dunder_import_of_ctypes_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "__builtins__['__import__']('_ctypes') if isinstance(__builtins__, dict) else "
                  "__builtins__.__import__('_ctypes')")


def test_importlib_of_ctypes_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import sys, importlib\nsys.modules.pop('ctypes', None)\nimportlib.import_module('ctypes')")


def test_loading_a_native_module_from_scratch_is_blocked(repl: ReplHost) -> None:
    code = (
        "import _bz2, shutil, importlib.util, importlib.machinery, os\n"
        "shutil.copyfile(_bz2.__file__, '_bz2x.so')\n"
        "loader = importlib.machinery.ExtensionFileLoader('_bz2', os.path.abspath('_bz2x.so'))\n"
        "spec = importlib.util.spec_from_file_location('_bz2', os.path.abspath('_bz2x.so'), loader=loader)\n"
        "importlib.util.module_from_spec(spec)"
    )
    cell = blocked(repl, code)
    assert "native code" in (cell.error or "")


def test_subclass_walking_to_os_system_is_blocked(repl: ReplHost) -> None:
    code = (
        "wrap = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]\n"
        "wrap.__init__.__globals__['system']('id')"
    )
    blocked(repl, code)


def test_monkeypatching_os_and_builtins_does_not_fool_the_policy(repl: ReplHost, outside: Path) -> None:
    code = (
        "import os, posixpath, builtins\n"
        "saved = posixpath.realpath, os.getcwd, builtins.isinstance\n"
        "os.path.realpath = posixpath.realpath = lambda p, **k: '/tmp'\n"
        "os.getcwd = lambda: '/usr/lib'\n"
        "builtins.isinstance = lambda *a: False\n"
        "try:\n"
        f"    data = open({str(outside / '.ssh' / 'id_rsa')!r}).read()\n"
        "finally:\n"
        "    posixpath.realpath, os.getcwd, builtins.isinstance = saved"
    )
    blocked(repl, code)


def test_walking_the_heap_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import gc\nprint(len(gc.get_objects()))")


def test_building_code_objects_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "f = lambda: 1\nf.__code__.replace(co_consts=(2,))")


def test_raising_the_memory_limit_is_blocked(repl: ReplHost) -> None:
    blocked(repl, "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))")


def test_sub_interpreters_are_blocked(repl: ReplHost) -> None:
    blocked(repl, "import _xxsubinterpreters\n_xxsubinterpreters.create()")


def test_sqlite_files_are_blocked(repl: ReplHost) -> None:
    blocked(repl, "import sqlite3\nsqlite3.connect('/tmp/rlm-redteam.db')")


# --- resource bombs: contained, and the REPL goes on ----------------------------------------------


def test_a_memory_bomb_is_a_memory_error_and_variables_survive(repl: ReplHost) -> None:
    repl.execute("kept = 'still here'")
    cell = repl.execute("hog = []\nwhile True:\n    hog.append(bytes(1 << 28))")
    assert cell.error is not None and "MemoryError" in cell.error
    after = repl.execute("del hog\nprint(kept)")
    assert after.output == "still here\n"


def test_one_huge_allocation_is_a_memory_error(repl: ReplHost) -> None:
    cell = repl.execute("x = ' ' * (1 << 40)")
    assert cell.error is not None and "MemoryError" in cell.error


def test_a_100_mb_print_is_capped(repl: ReplHost) -> None:
    cell = repl.execute("print('x' * 100_000_000)")
    assert cell.error is None
    assert len(cell.output) < 10_000 and "characters cut" in cell.output


def test_deep_recursion_is_a_recursion_error(repl: ReplHost) -> None:
    cell = repl.execute("def down(n):\n    return down(n + 1)\ndown(0)")
    assert cell.error is not None and "RecursionError" in cell.error
    assert repl.execute("print('ok')").output == "ok\n"


def test_a_big_file_write_stops_at_the_file_size_limit(input_file: Path) -> None:
    limits = {"RLIMIT_FSIZE": 1 << 20, "RLIMIT_CORE": 0}
    with make_host(input_file, limits=limits) as host:
        cell = host.execute("open('big.bin', 'wb').write(b'x' * (4 << 20))")
        assert cell.error is not None and "File too large" in cell.error
        assert host.execute("print('ok')").output == "ok\n"


def test_an_infinite_loop_is_interrupted_and_variables_are_kept(input_file: Path) -> None:
    with make_host(input_file, cell_timeout=0.3) as host:
        host.execute("kept = 41")
        cell = host.execute("while True:\n    pass")
        assert cell.error is not None and "TimeoutError" in cell.error and "variables are kept" in cell.error
        assert not cell.restarted
        assert host.execute("print(kept + 1)").output == "42\n"


def test_a_cell_that_ignores_interrupts_is_killed_and_the_model_told(input_file: Path) -> None:
    with make_host(input_file, cell_timeout=0.3) as host:
        host.execute("kept = 41")
        old_pid = host.proc.pid if host.proc else 0
        cell = host.execute("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
        assert cell.restarted and cell.error is not None and "ALL your variables were lost" in cell.error
        assert host.proc is not None and host.proc.pid != old_pid
        after = host.execute("print(len(context), 'kept' in dir())")
        assert after.output == f"{len(host.corpus.text)} False\n"


def test_a_crash_from_unbounded_recursion_restarts_the_worker(input_file: Path) -> None:
    with make_host(input_file, cell_timeout=10.0) as host:
        code = "import sys\nsys.setrecursionlimit(10**8)\nx = []\nfor _ in range(10**6):\n    x = [x]\nrepr(x)"
        cell = host.execute(code)
        assert cell.error is not None
        assert cell.restarted and "ALL your variables were lost" in cell.error
        assert host.execute("print('alive')").output == "alive\n"


def test_the_worker_environment_holds_no_secret(input_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-env-key")
    with make_host(input_file) as host:
        cell = host.execute("import os\nprint(sorted(os.environ))")
    assert cell.output == "['HOME', 'LANG', 'MALLOC_ARENA_MAX', 'PATH', 'PYTHONIOENCODING', 'TMPDIR']\n"


def test_the_worker_runs_in_a_private_scratch_directory(repl: ReplHost) -> None:
    cell = repl.execute("import os\nprint(os.getcwd())")
    assert cell.output.strip() == os.path.realpath(repl.scratch)
    assert oct(os.stat(repl.scratch).st_mode & 0o777) == "0o700"


def test_threads_still_work_under_the_sandbox(repl: ReplHost) -> None:
    code = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "with ThreadPoolExecutor(4) as pool:\n"
        "    print(sum(pool.map(lambda n: n * n, range(10))))"
    )
    assert repl.execute(code).output == "285\n"


def test_model_calls_still_go_through_the_host(repl: ReplHost) -> None:
    assert repl.execute("print(llm_query('hi'))").output == "echo: hi\n"


def test_path_objects_work_inside_scratch_and_are_checked_outside(repl: ReplHost, outside: Path) -> None:
    inside = repl.execute(
        "import pathlib, shutil\npathlib.Path('a.txt').write_text('a')\n"
        "shutil.copyfile(pathlib.Path('a.txt'), pathlib.Path('b.txt'))\nprint(pathlib.Path('b.txt').read_text())"
    )
    assert inside.error is None and inside.output == "a\n"
    target = str(outside / "x")
    blocked(repl, f"import pathlib, shutil\nshutil.copyfile(pathlib.Path('a.txt'), pathlib.Path({target!r}))")


FIND_PROTOCOL_PIPE = (  # the first fd past stdio that takes a write: the worker's reply pipe
    "import os\n"
    "pipe = None\n"
    "for fd in range(3, 64):\n"
    "    try:\n"
    "        if os.write(fd, b'\\n') == 1:\n"
    "            pipe = fd\n"
    "            break\n"
    "    except OSError:\n"
    "        pass\n"
)


def test_an_endless_write_to_the_protocol_pipe_ends_the_worker_not_the_host(input_file: Path) -> None:
    with make_host(input_file, max_message=1 << 20) as host:
        host.execute("kept = 1")
        cell = host.execute(FIND_PROTOCOL_PIPE + "while True:\n    os.write(pipe, b'x' * 65536)")
        assert cell.restarted and cell.error is not None and "variables were lost" in cell.error
        assert host.execute("print('fresh')").output == "fresh\n"


def test_a_forged_reply_with_odd_types_is_read_as_text(input_file: Path) -> None:
    forged = b'{"op": "done", "output": [1, 2], "error": {"e": 1}, "restored": "x"}\n'
    with make_host(input_file) as host:
        cell = host.execute(FIND_PROTOCOL_PIPE + f"os.write(pipe, {forged!r})")
        assert cell.output == "[1, 2]" and cell.error == "{'e': 1}" and cell.restored == []
