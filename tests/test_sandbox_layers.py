"""The sandbox's layers one by one: the kernel filter alone, the namespaces and their fallback, the
report of what this system enforces, and `sandbox off`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rlm_cli.corpus import Corpus, Part
from rlm_cli.repl import host as host_module
from rlm_cli.repl import sandbox
from rlm_cli.repl.host import QueryRequest, ReplHost

SECCOMP_ONLY = """
import importlib.util, json, os, socket, threading
spec = importlib.util.spec_from_file_location("sb", {path!r})
sb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sb)
out = {{"applied": sb.apply_seccomp()}}
def attempt(name, fn):
    try:
        fn()
        out[name] = "allowed"
    except OSError as exc:
        out[name] = exc.errno
attempt("fork", os.fork)
attempt("exec", lambda: os.execv("/bin/true", ["true"]))
attempt("socket", socket.socket)
attempt("kill parent", lambda: os.kill(os.getppid(), 0))
attempt("mknod", lambda: os.mknod("dev", 0o600 | 0o020000, os.makedev(1, 3)))
t = threading.Thread(target=lambda: out.__setitem__("thread", "ran"))
t.start(); t.join()
attempt("kill self", lambda: os.kill(os.getpid(), 0))
print(json.dumps(out))
"""


def corpus() -> Corpus:
    return Corpus.from_parts([Part("<stdin>", "text", 5, "hello")])


def echo(request: QueryRequest) -> list[str]:
    return list(request.prompts)


def test_the_kernel_filter_alone_refuses_fork_exec_sockets_and_signals(tmp_path: Path) -> None:
    """No audit hook here: these calls reach the kernel, and seccomp answers EPERM."""
    code = SECCOMP_ONLY.format(path=str(Path(sandbox.__file__)))
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=30, cwd=tmp_path
    )
    out = json.loads(done.stdout)
    assert out["applied"] == ""
    assert out["fork"] == out["exec"] == out["socket"] == out["kill parent"] == out["mknod"] == 1
    assert out["thread"] == "ran" and out["kill self"] == "allowed"


def test_the_worker_runs_in_its_own_network_and_user_namespace() -> None:
    with ReplHost(corpus(), echo) as repl:
        found = {name: enforced for name, enforced, _ in repl.protections}
        cell = repl.execute("import socket\nprint(socket.if_nameindex())")
    assert found["network namespace"] and found["user namespace"] and found["seccomp filter"]
    assert cell.error is not None and "PermissionError" in cell.error  # if_nameindex needs a socket: seccomp


def test_without_namespaces_the_policy_still_blocks_and_the_gap_is_said_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox, "_UNSHARE", [lambda flags: -1])
    monkeypatch.setattr(host_module, "_REPORTED", set())
    notices: list[str] = []
    with ReplHost(corpus(), echo, on_notice=notices.append) as repl:
        found = {name: enforced for name, enforced, _ in repl.protections}
        cell = repl.execute("import socket\nsocket.create_connection(('127.0.0.1', 9))")
    with ReplHost(corpus(), echo, on_notice=notices.append):
        pass
    assert not found["network namespace"] and found["policy (audit hook)"]
    assert cell.error is not None and "rlm sandbox: network access" in cell.error
    assert len(notices) == 1 and "network namespace" in notices[0]


def test_the_report_names_what_is_missing_when_seccomp_is_unavailable() -> None:
    status = {"audit": True, "seccomp": "seccomp filter not available on darwin/arm64", "net": "", "user": ""}
    report = {name: (enforced, detail) for name, enforced, detail in sandbox.report(status, "net:[1]", True)}
    assert report["seccomp filter"] == (False, "seccomp filter not available on darwin/arm64")
    assert report["network namespace"][0] is False
    assert report["policy (audit hook)"][0] is True


def test_probe_lists_each_protection_with_whether_it_holds_here() -> None:
    found = sandbox.probe()
    assert all(isinstance(n, str) and isinstance(e, bool) and isinstance(d, str) for n, e, d in found)
    names = {name: enforced for name, enforced, _ in found}
    assert names["policy (audit hook)"] and names["seccomp filter"] and names["network namespace"]


def test_sandbox_off_runs_code_unconfined_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_module, "_REPORTED", set())
    outside = tmp_path / "outside.txt"
    outside.write_text("reachable")
    notices: list[str] = []
    with ReplHost(corpus(), echo, sandbox=False, on_notice=notices.append) as repl:
        cell = repl.execute(f"print(open({str(outside)!r}).read())")
    assert cell.output == "reachable\n"
    assert notices and "--sandbox off" in notices[0]


def test_resource_limits_scale_with_the_context() -> None:
    small = sandbox.limits_for(0, 60.0, True)
    big = sandbox.limits_for(1 << 30, 60.0, True)
    assert big["RLIMIT_AS"] - small["RLIMIT_AS"] == 8 << 30
    assert small["RLIMIT_CORE"] == 0 and small["RLIMIT_CPU"] >= 600


def test_the_scratch_directory_is_removed_after_the_run() -> None:
    with ReplHost(corpus(), echo) as repl:
        repl.execute("open('left.txt', 'w').write('x')")
        scratch = repl.scratch
    assert not scratch.exists()


def test_a_worker_whose_host_vanished_removes_the_copy_of_the_input() -> None:
    with ReplHost(corpus(), echo) as repl:
        assert repl.proc is not None and repl.proc.stdin is not None
        repl.proc.stdin.close()  # as if the host had been killed: no "exit" message, just EOF
        repl.proc.wait(timeout=10)
        assert not repl.scratch.exists()
