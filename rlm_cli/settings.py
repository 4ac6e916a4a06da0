"""One frozen Settings for a run. Precedence: flags > environment > config file > defaults.

Each value remembers where it came from (`Settings.sources`) so `rlm config show` can say so.
The API key is special: a key is only sent to the base URL it was configured for.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rlm_cli import paths
from rlm_cli.errors import ConfigError, UsageError
from rlm_cli.models.pricing import Price, parse_overrides

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4.1-mini"
NO_KEY = "no-key"
PROMPT_STYLES = ("auto", "compact", "full")
SANDBOX_MODES = ("on", "off")
KEYS_FILE = "keys.toml"


@dataclass(frozen=True)
class Settings:
    model: str = DEFAULT_MODEL
    sub_model: str | None = None
    base_url: str = OPENAI_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    max_iterations: int = 20
    concurrency: int = 8
    output_limit: int = 4000
    request_timeout: float = 120.0
    retries: int = 3
    max_output_tokens: int = 4096
    temperature: float | None = None
    prompt_style: str = "auto"
    max_depth: int = 1
    max_subcalls: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    timeout: float | None = None
    sub_window: int = 32_000
    cache: bool = True
    log: bool = True
    log_keep: int = 200
    cell_timeout: float = 60.0
    sandbox: str = "on"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    prices: Mapping[str, Price] = field(default_factory=dict, compare=False, repr=False)

    @property
    def effective_sub_model(self) -> str:
        return self.sub_model or self.model

    @property
    def effective_prompt_style(self) -> str:
        """`compact` or `full`; `auto` picks from the model name (small local models get `compact`)."""
        from rlm_cli.engine.prompts import resolve_style

        return resolve_style(self.prompt_style, self.model)

    def public_dict(self) -> dict[str, Any]:
        """Every setting except secrets: safe for --json, logs and `config show`."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("api_key", "sources", "prices"):
                continue
            out[f.name] = getattr(self, f.name)
        out["sub_model"] = self.effective_sub_model
        out["prompt_style"] = self.effective_prompt_style
        out["api_key_set"] = self.api_key is not None
        return out

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


SETTING_NAMES = tuple(f.name for f in fields(Settings) if f.name not in ("sources", "prices"))
_TYPES: dict[str, type] = {
    "model": str,
    "sub_model": str,
    "base_url": str,
    "api_key": str,
    "max_iterations": int,
    "concurrency": int,
    "output_limit": int,
    "request_timeout": float,
    "retries": int,
    "max_output_tokens": int,
    "temperature": float,
    "prompt_style": str,
    "max_depth": int,
    "max_subcalls": int,
    "max_tokens": int,
    "max_cost": float,
    "timeout": float,
    "sub_window": int,
    "cache": bool,
    "log": bool,
    "log_keep": int,
    "cell_timeout": float,
    "sandbox": str,
}


def env_name(setting: str) -> str:
    return "RLM_" + setting.upper()


def _convert(name: str, value: Any, origin: str) -> Any:
    kind = _TYPES.get(name, str)
    if value is None:
        return None
    try:
        if kind is bool and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind in (int, float) and isinstance(value, bool):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{origin}: {name} must be {kind.__name__}, got {value!r}") from None


def read_config_file(path: Path | None = None) -> dict[str, Any]:
    """The parsed config.toml, or {} when absent. A malformed file is a ConfigError."""
    path = path or paths.config_file()
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None


def _file_layer(data: dict[str, Any], profile: str | None, origin: str) -> dict[str, Any]:
    layer = {k: v for k, v in data.items() if k in SETTING_NAMES}
    unknown = sorted(k for k in data if k not in SETTING_NAMES and k not in ("profiles", "prices"))
    if unknown:
        raise ConfigError(f"{origin}: unknown setting {unknown[0]!r}")
    if profile:
        profiles = data.get("profiles", {})
        if profile not in profiles:
            raise ConfigError(f"{origin}: no profile named {profile!r}")
        layer.update({k: v for k, v in profiles[profile].items() if k in SETTING_NAMES})
    return layer


def normalise_url(url: str) -> str:
    return url.rstrip("/")


def is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def resolve_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
    profile: str | None = None,
) -> Settings:
    """Merge the layers; flags whose value is None count as not given."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    config_path = config_path or paths.config_file()
    profile = profile or env.get("RLM_PROFILE") or None
    file_data = read_config_file(config_path)
    file_layer = _file_layer(file_data, profile, str(config_path))
    profile_table = file_data.get("profiles", {}).get(profile, {}) if profile else {}

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in SETTING_NAMES:
        if name == "api_key":
            continue
        if name in flags:
            values[name], sources[name] = _convert(name, flags[name], "flag"), "flag"
        elif env_name(name) in env and env[env_name(name)] != "":
            key = env_name(name)
            values[name], sources[name] = _convert(name, env[key], key), f"env {key}"
        elif name in file_layer:
            where = f" [profiles.{profile}]" if name in profile_table else ""
            values[name] = _convert(name, file_layer[name], str(config_path))
            sources[name] = f"file {config_path}{where}"
        else:
            sources[name] = "default"
    if name_base := values.get("base_url"):
        values["base_url"] = normalise_url(name_base)
    elif env.get("OPENAI_BASE_URL"):
        values["base_url"] = normalise_url(env["OPENAI_BASE_URL"])
        sources["base_url"] = "env OPENAI_BASE_URL"

    keys_data = read_config_file(config_path.with_name(KEYS_FILE))
    candidates = key_candidates(flags, env, file_data, keys_data, profile, config_path)
    key, key_source = _pick_key(values.get("base_url", OPENAI_BASE_URL), candidates)
    values["api_key"] = key
    sources["api_key"] = key_source
    prices = parse_overrides(file_data.get("prices", {}), str(config_path))
    settings = Settings(**values, sources=sources, prices=prices)
    _validate(settings)
    return settings


@dataclass(frozen=True)
class KeyCandidate:
    """A configured key and the one endpoint it may be sent to (`url` None: any endpoint)."""

    key: str = field(repr=False)
    url: str | None
    source: str


def key_candidates(
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    file_data: Mapping[str, Any],
    keys_data: Mapping[str, Any],
    profile: str | None,
    config_path: Path,
) -> list[KeyCandidate]:
    """Every configured key in precedence order, each bound to the base URL written beside it.

    A key in a config-file table is for that table's base URL (a profile inherits the top-level
    one); a key in keys.toml is for the base_url stored with it; the default is OpenAI's API.
    """
    out: list[KeyCandidate] = []
    if flags.get("api_key"):
        out.append(KeyCandidate(str(flags["api_key"]), None, "flag"))
    if env.get("RLM_API_KEY"):
        out.append(KeyCandidate(env["RLM_API_KEY"], None, "env RLM_API_KEY"))
    keys_path = config_path.with_name(KEYS_FILE)
    top_url = normalise_url(str(file_data.get("base_url") or OPENAI_BASE_URL))
    tables: list[tuple[Mapping[str, Any], Mapping[str, Any], str, str]] = []
    if profile:
        prof = file_data.get("profiles", {}).get(profile, {})
        tables.append((prof, keys_data.get("profiles", {}).get(profile, {}), f" [profiles.{profile}]",
                       normalise_url(str(prof.get("base_url") or top_url))))
    tables.append((file_data, keys_data, "", top_url))
    for config_table, keys_table, where, url in tables:
        if config_table.get("api_key"):
            out.append(KeyCandidate(str(config_table["api_key"]), url, f"file {config_path}{where}"))
        if keys_table.get("api_key"):
            bound = normalise_url(str(keys_table.get("base_url") or OPENAI_BASE_URL))
            out.append(KeyCandidate(str(keys_table["api_key"]), bound, f"file {keys_path}{where}"))
    if env.get("OPENAI_API_KEY"):
        openai_url = normalise_url(env.get("OPENAI_BASE_URL") or OPENAI_BASE_URL)
        out.append(KeyCandidate(env["OPENAI_API_KEY"], openai_url, "env OPENAI_API_KEY"))
    return out


def _pick_key(base_url: str, candidates: list[KeyCandidate]) -> tuple[str | None, str]:
    """Choose a key that was configured for this base URL, never one meant for another endpoint."""
    for candidate in candidates:
        if candidate.url is None or candidate.url == base_url:
            return candidate.key, candidate.source
    return None, "none"


def flag_name(setting: str) -> str:
    return "--" + setting.replace("_", "-")


def check_flags(flags: Mapping[str, Any]) -> None:
    """A bad value typed as a flag is a usage error naming the flag (env and file values stay config errors)."""
    for name, value in flags.items():
        if value is None or name not in SETTING_NAMES or name == "api_key":
            continue
        try:
            _validate(Settings(**{name: _convert(name, value, flag_name(name))}))
        except ConfigError as exc:
            message = str(exc)
            if message.startswith(name + " "):
                message = flag_name(name) + message[len(name):]
            raise UsageError(message) from None


def _validate(s: Settings) -> None:
    positive = ("max_iterations", "concurrency", "output_limit", "max_output_tokens", "log_keep")
    for name in positive:
        if getattr(s, name) < 1:
            raise ConfigError(f"{name} must be at least 1, got {getattr(s, name)}")
    if s.request_timeout <= 0:
        raise ConfigError(f"request_timeout must be positive, got {s.request_timeout}")
    if s.prompt_style not in PROMPT_STYLES:
        raise ConfigError(f"prompt_style must be one of {', '.join(PROMPT_STYLES)}, got {s.prompt_style!r}")
    if s.retries < 0:
        raise ConfigError(f"retries must be 0 or more, got {s.retries}")
    if s.cell_timeout <= 0:
        raise ConfigError(f"cell_timeout must be positive, got {s.cell_timeout}")
    if s.sandbox not in SANDBOX_MODES:
        raise ConfigError(f"sandbox must be on or off, got {s.sandbox!r}")
    _validate_budgets(s)
    parsed = urlparse(s.base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"base_url must be an http(s) URL, got {s.base_url!r}")


def _validate_budgets(s: Settings) -> None:
    """Run-wide limits: None is unlimited; a limit that can never be met is a config error."""
    for name in ("max_depth", "max_tokens", "sub_window"):
        value = getattr(s, name)
        if value is not None and value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    if s.max_subcalls is not None and s.max_subcalls < 0:
        raise ConfigError(f"max_subcalls must be 0 or more, got {s.max_subcalls}")
    for name in ("max_cost", "timeout"):
        value = getattr(s, name)
        if value is not None and value <= 0:
            raise ConfigError(f"{name} must be positive, got {value}")


def require_key(s: Settings) -> str:
    """The key to send. The OpenAI API needs one; a custom endpoint gets a placeholder when none is set."""
    if s.api_key:
        return s.api_key
    if normalise_url(s.base_url) == OPENAI_BASE_URL:
        raise ConfigError(
            "no API key: set OPENAI_API_KEY or RLM_API_KEY, or point --base-url at a local server"
        )
    return NO_KEY
