"""The endpoint's model list: fetched with a short timeout (GET {base_url}/models), cached on disk.

Fetching uses urllib, not openai, so `rlm doctor` stays quick. The cache feeds tab completion of
model names, which must never touch the network.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rlm_cli import paths
from rlm_cli.settings import normalise_url

CACHE_NAME = "models.json"
_LOCK = threading.Lock()  # doctor probes several servers at once


@dataclass(frozen=True)
class Listing:
    """What GET /models said: `status` 0 when no HTTP answer came (then `error` says why)."""

    status: int
    models: list[str]
    error: str = ""
    seconds: float = 0.0
    owners: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return self.status == 200


def fetch(base_url: str, key: str | None, timeout: float = 3.0) -> Listing:
    """One GET {base_url}/models; never raises for network trouble."""
    url = normalise_url(base_url) + "/models"
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "rlm-doctor"})
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
            body = response.read(4_000_000)
            status = response.status
    except urllib.error.HTTPError as exc:
        return Listing(exc.code, [], _http_error(exc), time.monotonic() - started)
    except OSError as exc:  # URLError, refused connections and timeouts are all OSErrors
        reason = getattr(exc, "reason", exc)
        text = "timed out" if isinstance(reason, TimeoutError) else str(reason)
        return Listing(0, [], text, time.monotonic() - started)
    elapsed = time.monotonic() - started
    try:
        data = json.loads(body)
        items = [item for item in data.get("data", []) if isinstance(item, dict) and "id" in item]
        models = sorted({str(item["id"]) for item in items})
        owners = frozenset(str(item.get("owned_by", "")) for item in items)
    except (ValueError, AttributeError, TypeError):
        return Listing(status, [], "the answer is not an OpenAI model list", elapsed)
    return Listing(status, models, "", elapsed, owners)


def _http_error(exc: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(exc.read(20_000)).get("error", {})
        message = detail.get("message") if isinstance(detail, dict) else str(detail)
    except (ValueError, AttributeError, OSError):
        message = None
    return f"HTTP {exc.code}" + (f": {message}" if message else "")


def cache_path() -> Path:
    return paths.cache_dir() / CACHE_NAME


def _read_cache() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    endpoints = data.get("endpoints") if isinstance(data, dict) else None
    return endpoints if isinstance(endpoints, dict) else {}


def remember(base_url: str, models: list[str]) -> None:
    """Keep the list for tab completion; a cache that cannot be written is not an error."""
    with _LOCK:
        endpoints = _read_cache()
        endpoints[normalise_url(base_url)] = {"fetched_at": int(time.time()), "models": models}
        path = cache_path()
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".models.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"endpoints": endpoints}, fh, indent=1)
            os.replace(tmp, path)
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


def cached(base_url: str | None = None) -> list[str]:
    """Models cached for `base_url`; with no URL (or none cached for it), every cached model."""
    endpoints = _read_cache()
    if base_url is not None:
        entry = endpoints.get(normalise_url(base_url))
        if isinstance(entry, dict) and isinstance(entry.get("models"), list):
            return [str(m) for m in entry["models"]]
    names: set[str] = set()
    for entry in endpoints.values():
        if isinstance(entry, dict) and isinstance(entry.get("models"), list):
            names.update(str(m) for m in entry["models"])
    return sorted(names)
