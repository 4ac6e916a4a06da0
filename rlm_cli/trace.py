"""Run logs: every run kept as one append-only JSONL file, written and flushed as events arrive.

A log is a header line (run id, question, when, which process), the input manifest (paths, sizes,
hashes; never the input), then the run's events in order, ending with `run_finished`. A crash or a
kill leaves every line written so far readable; a log without `run_finished` is "incomplete".
Streaming pieces (`root_delta`) are not stored: `root_message` holds the whole reply. Sub-call
prompts are mostly input text, so a long one keeps only its head, tail, length and hash.
`rlm logs` reads only each file's first and last lines, so listing hundreds of runs stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rlm_cli import __version__, paths
from rlm_cli.errors import InputError, UsageError
from rlm_cli.events import Emit, Event, event_from_dict

if TYPE_CHECKING:
    from rlm_cli.corpus import Corpus
    from rlm_cli.settings import Settings

FORMAT = 1
HEADER = "log_header"
MANIFEST = "input_manifest"
NOT_STORED = frozenset({"root_delta"})
KEEP_CHARS = {"prompt": 1200, "response": 16000, "output": 16000}
REDACTED = "[redacted]"
INCOMPLETE = "incomplete"
RUNNING = "running"
HASH_CHUNK = 1 << 20


def runs_dir() -> Path:
    return paths.data_dir() / "runs"


def blake2b_text(text: str, start: int = 0, end: int | None = None) -> str:
    """Hash text[start:end] in 1 MB slices, so a gigabyte input is never copied whole to hash it."""
    end = len(text) if end is None else end
    digest = hashlib.blake2b(digest_size=16)
    for pos in range(start, end, HASH_CHUNK):
        digest.update(text[pos : min(pos + HASH_CHUNK, end)].encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def manifest(corpus: Corpus) -> list[dict[str, Any]]:
    """One entry per input document: path, kind, size in bytes, chars and a blake2b of its text."""
    return [
        {
            "path": d.path, "kind": d.kind, "size": d.size, "chars": d.end - d.start,
            "blake2b": blake2b_text(corpus.text, d.start, d.end),
        }
        for d in corpus.documents
    ]


def elide(text: str, keep: int) -> str:
    """Head and tail of a long text (two thirds head: instructions usually lead a prompt), with
    its length and hash where the middle was."""
    if len(text) <= keep:
        return text
    head, tail = keep * 2 // 3, keep // 3
    hidden = len(text) - head - tail
    note = f"\n[… {hidden:,} of {len(text):,} characters not logged; blake2b {blake2b_text(text)} …]\n"
    return text[:head] + note + text[-tail:]


def compact(event: Event) -> dict[str, Any] | None:
    """The record stored for an event, or None for events a log does not keep."""
    if event.type in NOT_STORED:
        return None
    record = event.to_dict()
    for name, keep in KEEP_CHARS.items():
        value = record.get(name)
        if isinstance(value, str) and len(value) > keep:
            record[name] = elide(value, keep)
    return record


def fan_out(*emits: Emit) -> Emit:
    """One Emit that hands every event to each subscriber in turn (renderer, log, report)."""

    def emit(event: Event) -> None:
        for each in emits:
            each(event)

    return emit


class TraceStore:
    """An Emit subscriber that appends each event to the run's log. It never raises into the run:
    if the disk fails, it reports once through `on_error` and stops logging."""

    def __init__(
        self,
        directory: Path,
        keep: int,
        inputs: list[dict[str, Any]],
        secrets: Iterable[str | None] = (),
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = directory
        self.keep = keep
        self.inputs = inputs
        self.secrets = [s for s in secrets if s and len(s) >= 8]
        self.on_error = on_error
        self.path: Path | None = None
        self._file: IO[str] | None = None
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._failed = False

    def __call__(self, event: Event) -> None:
        record = compact(event)
        if record is None:
            return
        with self._lock:
            if self._failed:
                return
            try:
                if self._file is None:
                    if record["type"] != "run_started":
                        self._pending.append(record)
                        return
                    self._open(record)
                self._write(record)
                if record["type"] == "run_finished" and record.get("depth", 0) == 0:
                    self._close()
            except OSError as exc:
                self._fail(f"run log not written: {exc}")

    def _open(self, started: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / f"{started['run_id']}.jsonl"
        self._file = self.path.open("x", encoding="utf-8", newline="\n")
        self._write(
            {
                "type": HEADER, "format": FORMAT, "run_id": started["run_id"],
                "question": started["question"], "model": started.get("model"), "started": started.get("ts"),
                "pid": os.getpid(), "host": socket.gethostname(), "version": __version__,
            }
        )
        self._write({"type": MANIFEST, "documents": self.inputs})
        for record in self._pending:
            self._write(record)
        self._pending.clear()
        prune(self.directory, self.keep)

    def _write(self, record: dict[str, Any]) -> None:
        assert self._file is not None
        line = json.dumps(record, ensure_ascii=False, default=str)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
        self._file.write(line + "\n")
        self._file.flush()

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _fail(self, message: str) -> None:
        self._failed = True
        try:
            self._close()
        except OSError:
            pass
        if self.on_error is not None:
            self.on_error(message)

    def close(self) -> None:
        with self._lock:
            try:
                self._close()
            except OSError as exc:
                self._fail(f"run log not written: {exc}")


def _started(path: Path) -> float:
    """When a run started, from its header line (0 for a file that is not a run log)."""
    try:
        with path.open("rb") as fh:
            header = _decode(fh.readline())
    except OSError:
        return 0.0
    value = (header or {}).get("started")
    return float(value) if isinstance(value, int | float) else 0.0


def log_files(directory: Path | None = None) -> list[Path]:
    """Every run log, oldest first. Run ids have one-second resolution, so the order comes from
    each header's start time."""
    return sorted(_candidates(directory), key=lambda p: (_started(p), p.name))


def _candidates(directory: Path | None) -> list[Path]:
    directory = directory or runs_dir()
    try:
        return [p for p in directory.iterdir() if p.suffix == ".jsonl" and p.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return []


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest logs so that at most `keep` remain; returns what was deleted."""
    files = log_files(directory)
    doomed = files[: max(0, len(files) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def _decode(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None


def _last_line(fh: IO[bytes]) -> bytes:
    """The file's last line, read backwards in blocks so a long log costs one or two reads."""
    pos = fh.seek(0, os.SEEK_END)
    buf = b""
    while pos > 0:
        step = min(65536, pos)
        pos -= step
        fh.seek(pos)
        buf = fh.read(step) + buf
        body = buf.rstrip(b"\n")
        cut = body.rfind(b"\n")
        if cut >= 0:
            return body[cut + 1 :]
    return buf.rstrip(b"\n")


def _alive(header: dict[str, Any]) -> bool:
    """Whether the process that wrote this log is still running on this machine (POSIX only)."""
    pid = header.get("pid")
    if os.name != "posix" or not isinstance(pid, int) or header.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class RunSummary:
    """One line of `rlm logs`."""

    run_id: str
    path: str
    started: float | None
    question: str
    model: str | None
    status: str
    iterations: int | None
    subcalls: int | None
    tokens: int | None
    cost: float | None
    duration: float | None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _cost(result: dict[str, Any]) -> float | None:
    usage = result.get("usage") or {}
    for value in (usage.get("cost"), result.get("cost")):
        if isinstance(value, int | float):
            return float(value)
    return None


def summarize(path: Path) -> RunSummary | None:
    """A run's summary from its first and last lines only; None if the file is not a run log."""
    try:
        with path.open("rb") as fh:
            header = _decode(fh.readline())
            last = _decode(_last_line(fh))
    except OSError:
        return None
    if header is None or header.get("type") != HEADER:
        return None
    started = header.get("started")
    summary = RunSummary(
        run_id=str(header.get("run_id") or path.stem), path=str(path), started=started,
        question=str(header.get("question") or ""), model=header.get("model"), status=INCOMPLETE,
        iterations=None, subcalls=None, tokens=None, cost=None, duration=None,
    )
    if last is not None and last.get("type") == "run_finished":
        result = last.get("result") or {}
        summary.status = str(result.get("status", "?"))
        summary.iterations = result.get("iterations")
        summary.subcalls = result.get("subcalls")
        summary.tokens = (result.get("usage") or {}).get("total_tokens")
        summary.cost = _cost(result)
        summary.duration = result.get("duration")
        return summary
    if _alive(header):
        summary.status = RUNNING
    if last is not None and isinstance(last.get("ts"), int | float) and isinstance(started, int | float):
        summary.duration = max(0.0, last["ts"] - started)
    return summary


def list_runs(directory: Path | None = None) -> list[RunSummary]:
    """Every readable run log, newest first."""
    found = [s for s in map(summarize, _candidates(directory)) if s is not None]
    return sorted(found, key=lambda s: (s.started or 0.0, Path(s.path).name), reverse=True)


def resolve(ref: str, directory: Path | None = None) -> Path:
    """A log path from `last`, a run id, or a unique prefix of one."""
    files = log_files(directory)
    where = directory or runs_dir()
    if not files:
        raise InputError(f"no runs logged yet (logs live in {where})")
    if ref == "last":
        return files[-1]
    exact = [p for p in files if p.stem == ref]
    if exact:
        return exact[0]
    matches = [p for p in files if p.stem.startswith(ref)]
    if not matches:
        raise InputError(f"no run matches {ref!r} (`rlm logs` lists them)")
    if len(matches) > 1:
        shown = ", ".join(p.stem for p in matches[-3:])
        raise UsageError(f"{ref!r} matches {len(matches)} runs ({shown}{', …' if len(matches) > 3 else ''})")
    return matches[0]


@dataclass
class RunLog:
    """A whole log read back: header, input manifest, the events in order, and whether it ended."""

    header: dict[str, Any]
    inputs: list[dict[str, Any]]
    records: list[dict[str, Any]]
    complete: bool
    path: Path

    @property
    def result(self) -> dict[str, Any] | None:
        for record in reversed(self.records):
            if record.get("type") == "run_finished" and record.get("depth", 0) == 0:
                return record.get("result") or {}
        return None

    @property
    def status(self) -> str:
        """How the run ended, or `running` / `incomplete` as `rlm logs` says when it has not."""
        result = self.result
        if result is not None:
            return str(result.get("status", "?"))
        return RUNNING if _alive(self.header) else INCOMPLETE

    def events(self) -> list[Event]:
        """The records as typed events again (what the renderers take)."""
        out = [to_event(r) for r in self.records]
        return [e for e in out if e is not None]


def load(path: Path) -> RunLog:
    """Read a log; a line cut short by a crash (the last one) is skipped, never fatal."""
    header: dict[str, Any] = {}
    inputs: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read run log {path}: {exc.strerror or exc}") from None
    with fh:
        for line in fh:
            record = _decode(line)
            if record is None:
                continue
            kind = record.get("type")
            if kind == HEADER:
                header = record
            elif kind == MANIFEST:
                inputs = list(record.get("documents") or [])
            else:
                records.append(record)
    complete = bool(records) and records[-1].get("type") == "run_finished"
    return RunLog(header=header, inputs=inputs, records=records, complete=complete, path=path)


def to_event(record: dict[str, Any]) -> Event | None:
    """A stored record as its typed event (fields a class does not know are ignored, so older and
    newer logs still read); None when the record cannot be one."""
    try:
        event = event_from_dict(record)
    except (KeyError, TypeError):
        return None
    return None if type(event) is Event else event


class Recorder:
    """What `rlm ask` keeps besides what it shows: the run log (unless turned off) and, when asked,
    an HTML report written once the run ends. `wrap` puts both beside the renderer."""

    def __init__(
        self,
        corpus: Corpus,
        *,
        log: bool,
        keep: int,
        html: Path | None = None,
        secrets: Iterable[str | None] = (),
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        if html is not None and not html.parent.is_dir():
            raise UsageError(f"--html: directory {html.parent} does not exist")
        self.html = html
        self.secrets = [s for s in secrets if s and len(s) >= 8]
        self.inputs = manifest(corpus) if (log or html is not None) else []
        self.store = TraceStore(runs_dir(), keep, self.inputs, self.secrets, on_error) if log else None
        self.records: list[dict[str, Any]] = []

    def _collect(self, event: Event) -> None:
        record = compact(event)
        if record is not None:
            self.records.append(record)

    def wrap(self, emit: Emit) -> Emit:
        sinks = [emit]
        if self.store is not None:
            sinks.append(self.store)
        if self.html is not None:
            sinks.append(self._collect)
        return fan_out(*sinks) if len(sinks) > 1 else emit

    def finish(self) -> None:
        """Close the log and write the report; a report that cannot be written is an InputError."""
        if self.store is not None:
            self.store.close()
        if self.html is not None:
            write_html(self.html, self.records, self.inputs, self.secrets)


def write_html(
    path: Path, records: list[dict[str, Any]], inputs: list[dict[str, Any]], secrets: Iterable[str] = ()
) -> None:
    from rlm_cli.render.html import render_html

    page = render_html(records, inputs)
    for secret in secrets:
        page = page.replace(secret, REDACTED)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def recorder_for(settings: Settings, corpus: Corpus, html: str | None) -> Recorder:
    """The Recorder `rlm ask` uses: logging and its limit from settings, warnings on stderr."""

    def warn(message: str) -> None:
        sys.stderr.write(f"rlm: warning: {message}\n")
        sys.stderr.flush()

    return Recorder(
        corpus, log=settings.log, keep=settings.log_keep, html=Path(html) if html else None,
        secrets=[settings.api_key], on_error=warn,
    )
