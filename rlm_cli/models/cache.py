"""The sub-call cache: answers to identical sub-calls, kept in SQLite under the user cache dir.

Users re-ask similar questions over the same input and would pay again for the same sub-calls.
An entry is keyed by a hash of the endpoint, model, messages and sampling parameters, so any change
to what would be sent is a miss. Only sub-calls are cached: root calls stream and carry the whole
conversation, so they never repeat exactly. The database runs in WAL mode with a busy timeout, and
one connection serves all threads under a lock, so concurrent runs and threads can write safely.
A cache that cannot be opened or written never fails a run: it is simply not used.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlm_cli import paths
from rlm_cli.errors import ConfigError
from rlm_cli.models.client import Completion, Message

FILE_NAME = "subcalls.sqlite3"
BUSY_TIMEOUT = 30.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    finish_reason TEXT,
    created REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
)"""


def default_path() -> Path:
    return paths.cache_dir() / FILE_NAME


def make_key(endpoint: str, model: str, messages: list[Message], params: dict[str, Any]) -> str:
    """A stable hash of everything that decides the answer."""
    payload = {"v": 1, "endpoint": endpoint.rstrip("/"), "model": model, "messages": messages, "params": params}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    hits: int
    bytes: int
    oldest: float | None
    newest: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "entries": self.entries, "hits": self.hits, "bytes": self.bytes,
            "oldest": self.oldest, "newest": self.newest,
        }


class SubcallCache:
    """The SQLite store. Raises ConfigError only when it cannot be opened at all."""

    def __init__(self, path: Path | None = None, timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the sub-call cache {self.path}: {exc}") from None

    def get(self, key: str) -> Completion | None:
        """The stored answer, or None on a miss (or when the database cannot be read)."""
        try:
            with self._lock:
                row = self._conn.execute(
                    "SELECT model, text, input_tokens, output_tokens, finish_reason FROM entries WHERE key = ?",
                    (key,),
                ).fetchone()
                if row is not None:
                    self._conn.execute("UPDATE entries SET hits = hits + 1 WHERE key = ?", (key,))
        except sqlite3.Error:
            return None
        if row is None:
            return None
        model, text, input_tokens, output_tokens, finish = row
        return Completion(text, input_tokens, output_tokens, finish, model)

    def put(self, key: str, completion: Completion) -> bool:
        """Store an answer; False when it could not be written (the run goes on)."""
        try:
            with self._lock:
                self._conn.execute(
                    "INSERT OR REPLACE INTO entries "
                    "(key, model, text, input_tokens, output_tokens, finish_reason, created, hits) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                    (
                        key, completion.model, completion.text, completion.input_tokens,
                        completion.output_tokens, completion.finish_reason, time.time(),
                    ),
                )
        except sqlite3.Error:
            return False
        return True

    def stats(self) -> CacheStats:
        with self._lock:
            entries, hits, oldest, newest = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(hits), 0), MIN(created), MAX(created) FROM entries"
            ).fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return CacheStats(self.path, entries, hits, size, oldest, newest)

    def clear(self) -> int:
        """Remove every entry and give the space back; returns how many there were."""
        with self._lock:
            count = self._conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
            self._conn.execute("DELETE FROM entries")
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class CachingClient:
    """Sits around the model client for sub-calls: a hit is answered from disk, a miss is sent
    (through `send`, which the caller meters) and stored. The database is opened at the first
    sub-call, so runs that make none never touch it; if it cannot be opened, `on_error` is told
    once and sub-calls go straight to the model."""

    def __init__(
        self,
        endpoint: str,
        params: dict[str, Any],
        on_error: Callable[[str], None],
        path: Path | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.params = params
        self.on_error = on_error
        self.path = path
        self._store: SubcallCache | None = None
        self._failed = False
        self._lock = threading.Lock()

    def store(self) -> SubcallCache | None:
        with self._lock:
            if self._store is None and not self._failed:
                try:
                    self._store = SubcallCache(self.path)
                except ConfigError as exc:
                    self._failed = True
                    self.on_error(f"{exc}; sub-calls are not cached in this run")
            return self._store

    def complete(
        self, messages: list[Message], model: str, send: Callable[[], Completion]
    ) -> tuple[Completion, bool]:
        """The completion and whether it came from the cache."""
        store = self.store()
        if store is None:
            return send(), False
        key = make_key(self.endpoint, model, messages, self.params)
        hit = store.get(key)
        if hit is not None:
            return hit, True
        completion = send()
        store.put(key, completion)
        return completion, False

    def close(self) -> None:
        """Close the database; a straggling sub-call after this goes uncached rather than reopen it."""
        with self._lock:
            self._failed = True
            if self._store is not None:
                self._store.close()
                self._store = None
