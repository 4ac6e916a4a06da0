"""The REPL sandbox: what model-written code may do, enforced in layers.

Inside the worker (`install`, called before any model code runs):
  * a seccomp filter (Linux x86-64): no fork/exec, no sockets, no signals to other processes, no
    raising resource limits, no ptrace/mount/namespace/module syscalls. This holds even against
    code that gets past Python (the kernel enforces it).
  * an audit hook (PEP 578): writes only under the scratch directory; reads only of the input
    files, scratch and the Python installation; no subprocess, exec, fork, sockets, DNS, ctypes,
    native modules outside the stdlib, sub-interpreters or signals. Everything the hook uses is
    bound when it is made, so code that monkeypatches `os` or `builtins` cannot talk it round.
Outside it (`preexec`, run by the host in the child before exec): resource limits (address
space, CPU, file size, processes, no core dumps) and a new user+network namespace where the
kernel allows one.

An audit hook is a policy layer, not a wall: CPython has no memory safety against hostile
bytecode. The kernel-side layers are what hold; `probe()` says which of them this system has.

Stdlib only: the worker runs with -I and loads this file by path.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

DENIED_MODULES = frozenset(
    {
        "ctypes", "_ctypes", "_posixsubprocess", "_posixshmem", "_multiprocessing", "_sqlite3",
        "_dbm", "_gdbm", "readline", "_tkinter", "_curses", "_curses_panel", "syslog", "pwd", "grp",
        "spwd", "nis", "ossaudiodev",
    }
)
DENIED_MODULE_PREFIXES = ("_test", "_xx", "xx")

DENIED_EVENTS = {
    "os.system": "running a shell command",
    "os.exec": "exec",
    "os.posix_spawn": "starting a process",
    "os.spawn": "starting a process",
    "os.fork": "fork",
    "os.forkpty": "fork",
    "os.startfile": "starting a process",
    "subprocess.Popen": "starting a subprocess",
    "pty.spawn": "starting a process",
    "os.kill": "sending a signal",
    "os.killpg": "sending a signal",
    "signal.pthread_kill": "sending a signal",
    "resource.setrlimit": "changing resource limits",
    "resource.prlimit": "changing resource limits",
    "gc.get_objects": "walking the heap",
    "gc.get_referrers": "walking the heap",
    "gc.get_referents": "walking the heap",
    "code.__new__": "building code objects",
    "cpython.PyInterpreterState_New": "starting a sub-interpreter",
    "os.link": "creating links",
    "os.symlink": "creating links",
    "webbrowser.open": "opening a browser",
    "sqlite3.connect": "opening a database file",
}
DENIED_EVENT_PREFIXES = {"ctypes.": "ctypes (native code)", "socket.": "network access"}

WRITE_EVENTS = {
    # event name -> (index of path, index of dir_fd or None)
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.mkdir": ((0, 2),),
    "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),),
    "os.utime": ((0, 3),),
    "os.truncate": ((0, None),),
    "os.chflags": ((0, None),),
    "os.lchflags": ((0, None),),
    "os.setxattr": ((0, None),),
    "os.removexattr": ((0, None),),
    "os.rename": ((0, 2), (1, 3)),
    "shutil.rmtree": ((0, 1),),
    "shutil.copyfile": ((1, None),),
    "shutil.copymode": ((1, None),),
    "shutil.copystat": ((1, None),),
    "shutil.copytree": ((1, None),),
    "shutil.move": ((0, None), (1, None)),
    "shutil.chown": ((0, None),),
    "tempfile.mkstemp": ((0, None),),
    "tempfile.mkdtemp": ((0, None),),
    "shutil.make_archive": ((0, None),),
    "shutil.unpack_archive": ((1, None),),
}
READ_EVENTS = {
    "os.listdir": 0, "os.scandir": 0, "os.getxattr": 0, "os.listxattr": 0,
    "shutil.copyfile": 0, "shutil.copytree": 0, "shutil.make_archive": 2, "shutil.unpack_archive": 0,
}

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _make_hook(scratch: str, read_files: frozenset[str], read_dirs: tuple[str, ...]) -> Callable[[str, tuple], None]:
    """The audit hook. Every name it calls is bound here, not looked up in a module at call time."""
    getcwd, lstat, stat, readlink, fsdecode, fspath = os.getcwd, os.lstat, os.stat, os.readlink, os.fsdecode, os.fspath
    _isinstance, _str, _bytes, _int, _len = isinstance, str, bytes, int, len
    _oserror, _denied = OSError, PermissionError
    denied_events, denied_prefixes = dict(DENIED_EVENTS), tuple(DENIED_EVENT_PREFIXES.items())
    write_events, read_events = dict(WRITE_EVENTS), dict(READ_EVENTS)
    denied_modules, module_prefixes = DENIED_MODULES, DENIED_MODULE_PREFIXES
    write_flags = _WRITE_FLAGS
    python_dirs = tuple(d for d in read_dirs if d != scratch)

    def deny(what: str, why: str = "") -> None:
        raise _denied(f"rlm sandbox: {what} is blocked" + (f" ({why})" if why else ""))

    def resolve(path: str, dir_fd: Any = None) -> str:
        """An absolute path with every existing symlink followed (a private realpath)."""
        if not path.startswith("/"):
            if _isinstance(dir_fd, _int) and dir_fd >= 0:
                base = readlink(f"/proc/self/fd/{dir_fd}")
            else:
                base = getcwd()
            path = base + "/" + path
        pending = path.split("/")
        pending.reverse()
        out: list[str] = []
        hops = 0
        while pending:
            part = pending.pop()
            if part == "" or part == ".":
                continue
            if part == "..":
                if out:
                    out.pop()
                continue
            candidate = "/" + "/".join(out) + ("/" if out else "") + part
            try:
                mode = lstat(candidate).st_mode
            except _oserror:
                out.append(part)
                continue
            if mode & 0o170000 == 0o120000:
                hops += 1
                if hops > 40:
                    deny("a symlink loop")
                target = readlink(candidate)
                if target.startswith("/"):
                    out = []
                more = target.split("/")
                more.reverse()
                pending.extend(more)
                continue
            out.append(part)
        return "/" + "/".join(out)

    def under(path: str, roots: tuple[str, ...]) -> bool:
        for root in roots:
            if path == root or path.startswith(root + "/"):
                return True
        return False

    def text(path: Any) -> str | None:
        if _isinstance(path, _int):
            return None
        if _isinstance(path, _bytes):
            return fsdecode(path)
        if _isinstance(path, _str):
            return path
        # A path object reaches only the shutil/tempfile events; the os-level events that follow
        # (open, os.remove, ...) carry the converted string and are checked again.
        try:
            return text(fspath(path))
        except TypeError:
            deny(f"a path of type {type(path).__name__}")
        return None

    def special(path: str) -> bool:
        """Devices, FIFOs and sockets: opening them could reach outside the scratch directory."""
        try:
            mode = stat(path).st_mode & 0o170000
        except _oserror:
            return False
        return mode not in (0o100000, 0o040000)

    def check_read(raw: Any, dir_fd: Any = None) -> str | None:
        """Deny reading outside the allowed places; the resolved path when it is allowed."""
        path = text(raw if raw is not None else ".")
        if path is None:
            return None
        real = resolve(path, dir_fd)
        if real in read_files:
            return real
        if not under(real, read_dirs) or special(real):
            deny(f"reading {path!r}", "only the input files, scratch and the Python installation are readable")
        return real

    def check_write(raw: Any, dir_fd: Any = None) -> None:
        path = text(raw)
        if path is None:
            return
        real = resolve(path, dir_fd)
        if not under(real, (scratch,)) or special(real):
            deny(f"writing {path!r}", "only the scratch directory is writable")

    def check_open(path: Any, mode: Any, flags: Any) -> None:
        name = text(path)
        if name is None:
            return
        if mode is None and not name.startswith("/") and ".." in name.split("/"):
            deny(f"opening {name!r} relative to a directory with '..'")
        writing = (
            _isinstance(mode, _str) and ("w" in mode or "a" in mode or "x" in mode or "+" in mode)
        ) or (_isinstance(flags, _int) and flags & write_flags)
        if writing:
            check_write(name)
            return
        real = check_read(name)
        if real is None or under(real, (scratch,)):
            return
        try:
            is_dir = stat(real).st_mode & 0o170000 == 0o040000
        except _oserror:
            is_dir = False
        if is_dir:  # a directory fd outside scratch would make later dir_fd-relative paths unverifiable
            deny(f"opening the directory {name!r}")

    def check_import(args: tuple) -> None:
        module = args[0] if _isinstance(args[0], _str) else ""
        top = module.split(".")[0]
        if top in denied_modules or top.startswith(module_prefixes):
            deny(f"importing {module}")
        filename = args[1] if _len(args) > 1 else None
        if _isinstance(filename, _str) and not under(resolve(filename), python_dirs):
            deny(f"loading native code from {filename!r}")

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            check_open(args[0], args[1], args[2])
            return
        if event == "import":
            check_import(args)
            return
        reason = denied_events.get(event)
        if reason is not None:
            deny(f"{reason} ({event})")
        for prefix, why in denied_prefixes:
            if event.startswith(prefix):
                deny(f"{why} ({event})")
        spec = write_events.get(event)
        if spec is not None:
            for path_at, fd_at in spec:
                dir_fd = args[fd_at] if fd_at is not None and fd_at < _len(args) else None
                check_write(args[path_at], dir_fd)
        where = read_events.get(event)
        if where is not None and where < _len(args):
            check_read(args[where])
        if event == "os.chdir" and not _isinstance(args[0], _int):
            path = text(args[0])
            if path is not None and not under(resolve(path), (scratch,)):
                deny(f"changing directory to {path!r}")

    return hook


def python_dirs() -> list[str]:
    """Where the stdlib lives: the existing entries of the import path (under -I -S, only the stdlib
    and lib-dynload) and the directory of `os` itself."""
    dirs = {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)}
    dirs.add(os.path.realpath(os.path.dirname(os.__file__)))
    return sorted(dirs)


# --- seccomp (Linux x86-64) -------------------------------------------------------------------

_AUDIT_ARCH_X86_64 = 0xC000003E
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_EPERM, _ENOSYS = 1, 38
_LD, _JEQ, _JSET, _JGE, _RET = 0x20, 0x15, 0x45, 0x35, 0x06
_CLONE_THREAD = 0x00010000
_NR_CLONE, _NR_CLONE3, _NR_KILL, _NR_TGKILL, _NR_PRLIMIT = 56, 435, 62, 234, 302
_DENIED_SYSCALLS = (
    41,  # socket
    57, 58, 59, 322,  # fork vfork execve execveat
    101, 310, 311,  # ptrace process_vm_readv/writev
    133, 259,  # mknod mknodat
    155, 161, 165, 166,  # pivot_root chroot mount umount2
    160,  # setrlimit
    167, 168, 169, 172, 173, 135,  # swapon swapoff reboot iopl ioperm personality
    175, 176, 313, 246, 320,  # modules and kexec
    200, 424,  # tkill pidfd_send_signal
    248, 249, 250,  # keyrings
    272, 308,  # unshare setns
    298, 321, 323,  # perf_event_open bpf userfaultfd
    425, 426, 427,  # io_uring
)


def _seccomp_program(pid: int) -> list[tuple[int, int, int, int]]:
    """A BPF program over seccomp_data (nr at 0, arch at 4, args from 16, 8 bytes each)."""
    eperm, allow = _RET_ERRNO | _EPERM, _RET_ALLOW
    prog: list[tuple[int, int, int, int]] = [
        (_LD, 0, 0, 4),
        (_JEQ, 1, 0, _AUDIT_ARCH_X86_64),
        (_RET, 0, 0, eperm),
        (_LD, 0, 0, 0),
        (_JGE, 0, 1, 0x40000000),  # the x32 ABI
        (_RET, 0, 0, eperm),
    ]
    for nr in _DENIED_SYSCALLS:
        prog += [(_JEQ, 0, 1, nr), (_RET, 0, 0, eperm)]
    prog += [(_JEQ, 0, 1, _NR_CLONE3), (_RET, 0, 0, _RET_ERRNO | _ENOSYS)]  # glibc falls back to clone
    prog += [  # clone: threads only
        (_JEQ, 0, 4, _NR_CLONE),
        (_LD, 0, 0, 16),
        (_JSET, 0, 1, _CLONE_THREAD),
        (_RET, 0, 0, allow),
        (_RET, 0, 0, eperm),
    ]
    for nr in (_NR_KILL, _NR_TGKILL):  # signals only to this process
        prog += [
            (_LD, 0, 0, 0),
            (_JEQ, 0, 4, nr),
            (_LD, 0, 0, 16),
            (_JEQ, 0, 1, pid),
            (_RET, 0, 0, allow),
            (_RET, 0, 0, eperm),
        ]
    prog += [  # prlimit64: reading limits only (new_limit == NULL)
        (_LD, 0, 0, 0),
        (_JEQ, 0, 6, _NR_PRLIMIT),
        (_LD, 0, 0, 32),
        (_JEQ, 0, 3, 0),
        (_LD, 0, 0, 36),
        (_JEQ, 0, 1, 0),
        (_RET, 0, 0, allow),
        (_RET, 0, 0, eperm),
        (_RET, 0, 0, allow),
    ]
    return prog


def apply_seccomp() -> str:
    """Install the filter on this (single-threaded) process; '' on success, else why not."""
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        return f"seccomp filter not available on {sys.platform}/{os.uname().machine}"
    import ctypes

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ops = _seccomp_program(os.getpid())
        array = (Filter * len(ops))(*[Filter(*op) for op in ops])
        program = Program(len(ops), array)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            return f"seccomp: PR_SET_NO_NEW_PRIVS failed ({os.strerror(ctypes.get_errno())})"
        if libc.prctl(22, 2, ctypes.byref(program), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
            return f"seccomp filter refused by the kernel ({os.strerror(ctypes.get_errno())})"
        return ""
    except (OSError, AttributeError) as exc:
        return f"seccomp filter unavailable ({exc})"
    finally:
        for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
            del sys.modules[name]


def install(scratch: str, read_paths: list[str], extra_dirs: list[str], seccomp: bool = True) -> dict[str, Any]:
    """Lock this process down. Called by the worker once, after it read its context file."""
    scratch = os.path.realpath(scratch)
    seccomp_error = apply_seccomp() if seccomp else "seccomp filter disabled"
    dirs = tuple(sorted({scratch, *python_dirs(), *(os.path.realpath(d) for d in extra_dirs)}))
    files = frozenset(os.path.realpath(p) for p in read_paths)
    sys.addaudithook(_make_hook(scratch, files, dirs))
    return {"audit": True, "seccomp": seccomp_error, "net": namespace("net"), "user": namespace("user")}


def namespace(kind: str) -> str:
    """This process's namespace of `kind` ("net:[4026531833]"), or "" where /proc has none."""
    try:
        return os.readlink(f"/proc/self/ns/{kind}")
    except OSError:
        return ""


# --- host side: limits and namespaces, applied in the child between fork and exec -----------------


def _libc_unshare() -> Callable[[int], int] | None:
    """libc's unshare, looked up in the parent (no dlopen after fork); None off Linux."""
    if sys.platform != "linux":
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).unshare
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_UNSHARE: list[Callable[[int], int] | None] = []


def preexec(limits: dict[str, int], isolate_network: bool) -> Callable[[], None]:
    """A preexec_fn: resource limits (never above the current hard limit), then new namespaces."""
    import resource

    plan: list[tuple[int, int, int]] = []
    for name, value in limits.items():
        which = getattr(resource, name)
        _, hard = resource.getrlimit(which)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        soft = cap
        if name == "RLIMIT_CPU" and cap > 5:
            soft = cap - 5  # SIGXCPU first, SIGKILL at the hard limit
        plan.append((which, soft, cap))
    if isolate_network and not _UNSHARE:
        _UNSHARE.append(_libc_unshare())
    unshare = _UNSHARE[0] if isolate_network else None
    setrlimit = resource.setrlimit

    def run() -> None:
        for which, soft, hard in plan:
            try:
                setrlimit(which, (soft, hard))
            except (ValueError, OSError):
                pass
        if unshare is not None and unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
            unshare(CLONE_NEWNET)

    return run


def user_tasks() -> int:
    """Tasks (processes and threads) this user runs now: RLIMIT_NPROC counts them all."""
    uid, count = os.getuid(), 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                count += len(os.listdir(f"/proc/{entry}/task"))
        except OSError:
            continue
    return count


def limits_for(context_bytes: int, cell_timeout: float, sandbox: bool) -> dict[str, int]:
    """Resource limits for a worker holding `context_bytes` of input."""
    gib = 1 << 30
    limits = {
        "RLIMIT_AS": 2 * gib + 8 * context_bytes,
        "RLIMIT_CPU": int(max(600.0, 50 * cell_timeout)),
        "RLIMIT_FSIZE": max(gib, 2 * context_bytes),
        "RLIMIT_CORE": 0,
    }
    if sandbox and os.getuid() != 0:
        limits["RLIMIT_NPROC"] = user_tasks() + 256
    return limits


Protection = tuple[str, bool, str]


def report(status: dict[str, Any], host_net: str, sandbox: bool) -> list[Protection]:
    """What the worker could and could not enforce, from its `ready` status."""
    if not sandbox:
        return [("sandbox", False, "--sandbox off: model code runs with your permissions")]
    net = status.get("net", "")
    isolated = bool(net) and net != host_net
    user = bool(status.get("user")) and status.get("user") != namespace("user")
    seccomp = status.get("seccomp", "no status")
    root = os.getuid() == 0
    fork_detail = "RLIMIT_NPROC"
    if root:
        fork_detail = "the kernel refuses fork (seccomp)" if not seccomp else "running as root: RLIMIT_NPROC is ignored"
    return [
        ("policy (audit hook)", bool(status.get("audit")),
         "files, imports, ctypes, processes, sockets and signals checked in the worker"),
        ("network namespace", isolated,
         "the worker has no network interfaces" if isolated
         else "no network namespace (unprivileged user namespaces unavailable?); the policy blocks sockets"),
        ("user namespace", user,
         "the worker holds no privileges outside its namespace" if user
         else "no user namespace: the worker keeps this user's privileges"),
        ("seccomp filter", not seccomp,
         "the kernel refuses fork, exec, sockets and signals" if not seccomp else str(seccomp)),
        ("memory, CPU and file-size limits", True, "RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_CORE=0"),
        ("fork limit", not root or not seccomp, fork_detail),
    ]


def probe() -> list[Protection]:
    """Which protections this system can enforce, as (name, enforced, detail), by starting a probe worker."""
    import json
    import subprocess

    code = (
        "import importlib.util as u, json, sys, os\n"
        f"s = u.spec_from_file_location('rlm_sandbox', {__file__!r}); m = u.module_from_spec(s)\n"
        "s.loader.exec_module(m)\n"
        "print(json.dumps(m.install(os.getcwd(), [], [])))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", code],
            capture_output=True, text=True, timeout=30, env={"PATH": os.defpath}, cwd=os.path.dirname(__file__),
            preexec_fn=preexec(limits_for(0, 60.0, True), True),
        )
        status = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError) as exc:
        return [("sandbox", False, f"the probe worker failed: {exc}")]
    return report(status, namespace("net"), True)
