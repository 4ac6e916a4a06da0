"""`rlm doctor`: why `rlm ask` would or would not work here, on one screen.

Checks the config, the key (never printed), the endpoint and model (GET /models, short timeout),
local OpenAI-compatible servers on their usual ports, and what the sandbox can enforce. Exit 0
only when every check `rlm ask` depends on passes; otherwise the first failure's exit code.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from rlm_cli.commands._shared import user_errors
from rlm_cli.commands.completions import complete_model, complete_profile
from rlm_cli.errors import ConfigError, ExitCode

LOCAL_SERVERS: list[tuple[str, int]] = [
    ("Ollama", 11434),
    ("llama.cpp", 8080),
    ("vLLM", 8000),
    ("LM Studio", 1234),
]
ENDPOINT_TIMEOUT = 5.0
LOCAL_TIMEOUT = 1.0
MARKS = {"ok": "ok", "warn": "warn", "fail": "FAIL", "info": "--"}


@dataclass
class Check:
    """One line of the report; `fails` is the exit code it forces, if any."""

    status: str
    name: str
    detail: str
    hints: list[str] = field(default_factory=list)
    fails: ExitCode | None = None


@dataclass
class LocalServer:
    name: str
    url: str
    models: list[str]


def doctor(
    model: Annotated[
        str | None,
        typer.Option(
            "--model", "-m", metavar="MODEL", help="Check this model. [env: RLM_MODEL]", autocompletion=complete_model
        ),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL", help="Check this endpoint. [env: RLM_BASE_URL]")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", metavar="NAME", help="Check this profile. [env: RLM_PROFILE]", autocompletion=complete_profile
        ),
    ] = None,
) -> None:
    """Check config, key, endpoint, model, local servers and sandbox; exit 0 only if `rlm ask` would work."""
    from rlm_cli.settings import check_flags

    with user_errors():
        check_flags({"model": model, "base_url": base_url})
    checks = run_checks({"model": model, "base_url": base_url}, profile)
    typer.echo(report(checks))
    failed = next((c.fails for c in checks if c.fails is not None), None)
    raise typer.Exit(int(failed) if failed is not None else 0)


def run_checks(flags: dict[str, Any], profile: str | None) -> list[Check]:
    from rlm_cli.settings import resolve_settings

    with ThreadPoolExecutor(max_workers=len(LOCAL_SERVERS) or 1) as pool:
        probes = pool.map(_probe_local, LOCAL_SERVERS)  # in the background while the endpoint is checked
        checks: list[Check] = []
        try:
            settings = resolve_settings(flags, profile=profile)
        except ConfigError as exc:
            checks.append(Check("fail", "config", str(exc), fails=ExitCode.CONFIG))
            settings = None
        else:
            checks.append(_config_check(profile))
            checks.extend(_permission_checks())
            checks.append(_key_check(settings, flags, profile))
            endpoint, listing = _endpoint_check(settings)
            checks.append(endpoint)
            if listing.ok:
                checks.extend(_model_checks(settings, listing))
        found = [server for server in probes if server is not None]
    broken = any(c.fails is not None for c in checks)
    offer = broken or settings is None or settings.api_key is None
    checks.append(_local_check(found, offer, configured=settings.base_url if settings else None))
    checks.extend(_sandbox_checks())
    return checks


def report(checks: list[Check]) -> str:
    from rlm_cli import __version__

    system = f"{platform.system()} {platform.machine()}"
    lines = [f"rlm {__version__}, Python {platform.python_version()}, {system}"]
    width = max(len(c.name) for c in checks)
    for c in checks:
        lines.append(f"  {MARKS[c.status]:<4}  {c.name:<{width}}  {c.detail}")
        lines.extend(f"  {'':<4}  {'':<{width}}    {hint}" for hint in c.hints)
    failures = [c for c in checks if c.fails is not None]
    if failures:
        first = failures[0]
        lines.append(f"rlm ask will not work: {first.name}: {first.detail} (exit {int(first.fails or 1)})")
    else:
        lines.append("rlm ask should work with these settings.")
    return "\n".join(lines)


def _config_check(profile: str | None) -> Check:
    from rlm_cli import paths

    path = paths.config_file()
    detail = f"{path}" if path.exists() else f"{path} (not created; defaults apply)"
    if profile:
        detail += f", profile {profile}"
    elif os.environ.get("RLM_PROFILE"):
        detail += f", profile {os.environ['RLM_PROFILE']} (from RLM_PROFILE)"
    return Check("ok", "config", detail)


def _permission_checks() -> list[Check]:
    """A key file others can read is a leaked key waiting to happen."""
    from rlm_cli import config_store, paths
    from rlm_cli.settings import read_config_file

    checks = []
    config_path = paths.config_file()
    for path in (config_store.keys_file(config_path), config_path):
        mode = config_store.readable_by_others(path)
        if mode is None or not _holds_key(read_config_file(path)):
            continue
        checks.append(
            Check("warn", "secrets", f"{path} holds a key and is mode {mode:o}", [f"chmod 600 {path}"])
        )
    return checks


def _holds_key(data: dict[str, Any]) -> bool:
    profiles = data.get("profiles", {})
    tables = profiles.values() if isinstance(profiles, dict) else []
    return bool(data.get("api_key")) or any(isinstance(t, dict) and t.get("api_key") for t in tables)


def _key_check(settings: Any, flags: dict[str, Any], profile: str | None) -> Check:
    from rlm_cli.settings import OPENAI_BASE_URL, normalise_url

    url = settings.base_url
    if settings.api_key:
        return Check("ok", "key", f"set ({settings.sources.get('api_key')}); sent only to {url}")
    unused = [f"{c.source} is only sent to {c.url}" for c in _candidates(flags, profile) if c.url != url]
    if normalise_url(url) == OPENAI_BASE_URL:
        hints = [*unused, "export OPENAI_API_KEY=... (or: rlm config set api_key), or use a local server"]
        return Check("fail", "key", f"no key for {url}", hints, ExitCode.CONFIG)
    return Check("ok", "key", f"none for {url} (fine for a local server; a placeholder is sent)", unused)


def _candidates(flags: dict[str, Any], profile: str | None) -> list[Any]:
    from rlm_cli import config_store, paths
    from rlm_cli.settings import key_candidates, read_config_file

    config_path = paths.config_file()
    return key_candidates(
        {k: v for k, v in flags.items() if v is not None},
        os.environ,
        read_config_file(config_path),
        read_config_file(config_store.keys_file(config_path)),
        profile or os.environ.get("RLM_PROFILE") or None,
        config_path,
    )


def _endpoint_check(settings: Any) -> tuple[Check, Any]:
    from rlm_cli.models import catalog
    from rlm_cli.settings import NO_KEY

    url = settings.base_url
    timeout = min(ENDPOINT_TIMEOUT, settings.request_timeout)
    listing = catalog.fetch(url, settings.api_key or NO_KEY, timeout=timeout)
    ms = f"{listing.seconds * 1000:.0f} ms"
    if listing.status == 0:
        detail = f"{url}: cannot connect ({listing.error})"
        return Check("fail", "endpoint", detail, fails=ExitCode.MODEL), listing
    if listing.status in (401, 403):
        if not settings.api_key:
            return Check("info", "endpoint", f"{url} is reachable ({ms}) and asks for a key"), listing
        return (
            Check("fail", "endpoint", f"{url} refused the key ({listing.error})", fails=ExitCode.CONFIG),
            listing,
        )
    if listing.status >= 500:
        return Check("fail", "endpoint", f"{url}: {listing.error}", fails=ExitCode.MODEL), listing
    if not listing.ok:
        detail = f"{url} is reachable ({ms}) but GET /models said {listing.error or listing.status}"
        return Check("warn", "endpoint", detail, ["the model name cannot be checked here"]), listing
    catalog.remember(url, listing.models)
    return Check("ok", "endpoint", f"{url} answers ({ms}, {_models(listing.models)} listed)"), listing


def _model_checks(settings: Any, listing: Any) -> list[Check]:
    checks = []
    wanted = [("model", settings.model)]
    if settings.sub_model and settings.sub_model != settings.model:
        wanted.append(("sub_model", settings.sub_model))
    for name, model in wanted:
        if model in listing.models:
            checks.append(Check("ok", name, f"{model} is listed"))
            continue
        listed = ", ".join(listing.models[:8]) + (", ..." if len(listing.models) > 8 else "")
        hints = [f"listed: {listed}" if listed else "the endpoint lists no models"]
        if listing.owners == frozenset({"llamacpp"}):
            detail = f"{model} is not listed (llama.cpp serves its one model whatever the name)"
            checks.append(Check("warn", name, detail))
        else:
            checks.append(Check("fail", name, f"{model} is not served here", hints, ExitCode.CONFIG))
    return checks


def _probe_local(server: tuple[str, int]) -> LocalServer | None:
    from rlm_cli.models import catalog

    name, port = server
    url = f"http://127.0.0.1:{port}/v1"
    listing = catalog.fetch(url, None, timeout=LOCAL_TIMEOUT)
    if not listing.ok:
        return None
    catalog.remember(url, listing.models)
    return LocalServer(name, url, listing.models)


def _local_check(found: list[LocalServer], offer: bool, configured: str | None) -> Check:
    if not found:
        ports = ", ".join(f"{name} {port}" for name, port in LOCAL_SERVERS)
        return Check("info", "local", f"no local server on 127.0.0.1 ({ports})")
    names = ", ".join(f"{s.name} at {s.url} ({_models(s.models)})" for s in found)
    hints: list[str] = []
    if offer:
        for s in found:
            if configured and s.url == configured:
                continue
            model = s.models[0] if s.models else "MODEL"
            hints.append(f"export RLM_BASE_URL={s.url} RLM_MODEL={_quote(model)}")
            profile = s.name.lower().replace(" ", "").replace(".", "")
            hints.append(
                f"  or keep it: rlm config set --profile {profile} base_url {s.url} && "
                f"rlm config set --profile {profile} model {_quote(model)}"
            )
    return Check("info", "local", names, hints)


def _models(models: list[str]) -> str:
    return f"{len(models)} model" + ("" if len(models) == 1 else "s")


def _quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def _sandbox_checks() -> list[Check]:
    """What the REPL worker's sandbox can enforce here (rlm_cli.repl.sandbox.probe, when built in)."""
    import importlib

    try:
        sandbox = importlib.import_module("rlm_cli.repl.sandbox")
    except ImportError:
        detail = "no sandbox module in this build: the REPL is only a separate process"
        return [Check("info", "sandbox", detail)]
    probe = getattr(sandbox, "probe", None)
    if probe is None:
        return [Check("info", "sandbox", "this build's sandbox reports no capabilities")]
    try:
        entries = list(probe())
    except Exception as exc:  # noqa: BLE001 - a failing probe is a finding, not a crash
        return [Check("warn", "sandbox", f"the sandbox probe failed: {type(exc).__name__}: {exc}")]
    return [
        Check("ok" if enforced else "warn", "sandbox", f"{name}: {detail}")
        for name, enforced, detail in _entries(entries)
    ]


def _entries(entries: Iterable[Any]) -> list[tuple[str, bool, str]]:
    out = []
    for entry in entries:
        if isinstance(entry, tuple):
            name, enforced, detail = entry
        else:
            name, enforced, detail = entry.name, entry.enforced, entry.detail
        out.append((str(name), bool(enforced), str(detail)))
    return out
