"""`rlm config path|show|set|unset|init`: inspect and edit config.toml (and keys.toml for keys)."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Annotated, Any

import typer

from rlm_cli.commands._help import ReadableCommand
from rlm_cli.commands._shared import note, sub_app, user_errors
from rlm_cli.commands.completions import complete_profile, complete_setting
from rlm_cli.errors import ConfigError, UsageError

app = sub_app(
    "config",
    "Inspect and edit the settings (config.toml; keys go in keys.toml, readable only by you).",
)

ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile", metavar="NAME", help="Act on [profiles.NAME] instead of the top level.",
        autocompletion=complete_profile,
    ),
]
NameArgument = Annotated[
    str,
    typer.Argument(
        metavar="NAME", help="A setting name (see `rlm config show`).", autocompletion=complete_setting
    ),
]


def mask(key: str | None) -> str:
    """Enough of a key to tell two apart, never enough to use it."""
    if not key:
        return "(not set)"
    return "****" + key[-4:] if len(key) >= 16 else "****"


def _shown(name: str, value: Any) -> str:
    if name == "api_key":
        return mask(value)
    if value is None:
        return "(same as model)" if name == "sub_model" else "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@app.command("path")
def path_cmd() -> None:
    """Print where config.toml lives (RLM_CONFIG_DIR overrides the platform default)."""
    from rlm_cli import paths

    typer.echo(str(paths.config_file()))


@app.command("show")
def show(
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", metavar="NAME", help="Show this profile. [env: RLM_PROFILE]",
            autocompletion=complete_profile,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Print the effective settings and where each came from (flag, env, file, default); keys masked."""
    from rlm_cli import paths
    from rlm_cli.settings import SETTING_NAMES, read_config_file, resolve_settings

    with user_errors():
        settings = resolve_settings(profile=profile)
        profiles = sorted(read_config_file().get("profiles", {}))
    active = profile or _env_profile()
    rows = [(name, _shown(name, getattr(settings, name)), settings.sources.get(name, "default"))
            for name in SETTING_NAMES]
    if as_json:
        doc = {
            "config_file": str(paths.config_file()),
            "profile": active,
            "profiles": profiles,
            "settings": {name: {"value": value, "source": source} for name, value, source in rows},
        }
        for name, _, _ in rows:
            if name != "api_key":
                doc["settings"][name]["value"] = getattr(settings, name)
        typer.echo(json.dumps(doc, indent=2))
        return
    exists = "" if paths.config_file().exists() else " (not created yet: rlm config init)"
    typer.echo(f"config file: {paths.config_file()}{exists}")
    typer.echo(f"profile: {active or '(none)'}" + (f"; available: {', '.join(profiles)}" if profiles else ""))
    width = max(len(name) for name, _, _ in rows)
    value_width = min(40, max(len(value) for _, value, _ in rows))
    for name, value, source in rows:
        typer.echo(f"{name:<{width}}  {value:<{value_width}}  {source}")


def _env_profile() -> str | None:
    import os

    return os.environ.get("RLM_PROFILE") or None


def _checked(name: str, raw: str) -> Any:
    """The value converted to the setting's type and validated like `rlm ask` would."""
    from rlm_cli.settings import SETTING_NAMES, Settings, _convert, _validate, normalise_url

    if name not in SETTING_NAMES:
        raise UsageError(f"unknown setting {name!r}; settings are: {', '.join(SETTING_NAMES)}")
    try:
        value = _convert(name, raw, "rlm config set")
        if name == "base_url":
            value = normalise_url(value)
        _validate(Settings(**{name: value}))
    except ConfigError as exc:
        raise UsageError(str(exc).removeprefix("rlm config set: ")) from None
    return value


def _read_secret(value: str | None) -> str:
    """A key from the argument, or (better: stays out of shell history) from stdin or a hidden prompt."""
    if value is not None and value != "-":
        return value.strip()
    if sys.stdin is None or sys.stdin.closed:
        raise UsageError("no key given: pass it, or pipe it on stdin")
    if sys.stdin.isatty():
        return getpass.getpass("API key (hidden): ").strip()
    return sys.stdin.readline().strip()


@app.command("set", cls=ReadableCommand)
def set_cmd(
    name: NameArgument,
    value: Annotated[
        str | None,
        typer.Argument(
            metavar="VALUE", help="The value. For api_key omit it (or give '-') to read stdin or a hidden prompt."
        ),
    ] = None,
    profile: ProfileOption = None,
) -> None:
    """Set NAME to VALUE in config.toml; api_key goes in keys.toml (0600), bound to the current base_url."""
    from rlm_cli import config_store, paths

    config_path = paths.config_file()
    where = f" [profiles.{profile}]" if profile else ""
    with user_errors():
        if name == "api_key":
            key = _read_secret(value)
            if not key:
                raise UsageError("the key is empty")
            if value not in (None, "-"):
                note(
                    "warning: a key typed on the command line stays in your shell history and shows in `ps`; "
                    "prefer `rlm config set api_key` (hidden prompt) or piping it to `rlm config set api_key -`"
                )
            url = config_store.file_base_url(config_path, profile)
            stored = config_store.set_key(config_path, profile, key, url)
            note(f"stored api_key{where} in {stored} (readable only by you); it is sent only to {url}")
            return
        if value is None:
            raise UsageError(f"missing VALUE: rlm config set {name} VALUE")
        checked = _checked(name, value)
        config_store.set_value(config_path, profile, name, checked)
        note(f"set {name} = {_toml(checked)}{where} in {config_path}")
        if name == "base_url":
            bound = config_store.stored_key_url(config_path, profile)
            if bound is not None and bound != checked:
                note(
                    f"the api_key stored{where} is for {bound} and will not be sent to {checked}; "
                    f"set it again with: rlm config set{' --profile ' + profile if profile else ''} api_key"
                )


@app.command("unset", cls=ReadableCommand)
def unset_cmd(name: NameArgument, profile: ProfileOption = None) -> None:
    """Remove NAME from config.toml (api_key: from keys.toml too), so the default applies again."""
    from rlm_cli import config_store, paths
    from rlm_cli.settings import SETTING_NAMES

    config_path = paths.config_file()
    where = f" [profiles.{profile}]" if profile else ""
    with user_errors():
        if name not in SETTING_NAMES:
            raise UsageError(f"unknown setting {name!r}; settings are: {', '.join(SETTING_NAMES)}")
        removed = config_store.unset_value(config_path, profile, name)
        if name == "api_key":
            removed = config_store.unset_key(config_path, profile) or removed
    note(f"unset {name}{where}" if removed else f"{name} was not set{where}; nothing changed")


def _toml(value: Any) -> str:
    import tomlkit

    return tomlkit.item(value).as_string()


def template() -> str:
    """A config.toml with every setting commented out at its default, to uncomment and edit."""
    from rlm_cli.settings import SETTING_NAMES, Settings, env_name

    defaults = Settings()
    lines = [
        "# rlm configuration. Precedence: flags > environment (RLM_<NAME>) > this file > defaults.",
        "# Uncomment a line to change it. Keys: `rlm config set api_key` stores them in keys.toml.",
        "",
    ]
    for name in SETTING_NAMES:
        if name == "api_key":
            continue
        value = getattr(defaults, name)
        if value is None:
            lines.append(f"# {name} = ...   # env {env_name(name)}; not set by default")
        else:
            lines.append(f"# {name} = {_toml(value)}   # env {env_name(name)}")
    lines += [
        "",
        "# A named profile, used with --profile local (or RLM_PROFILE=local):",
        "# [profiles.local]",
        '# base_url = "http://127.0.0.1:11434/v1"',
        '# model = "qwen2.5-coder:7b"',
        "",
    ]
    return "\n".join(lines)


@app.command("init")
def init(
    force: Annotated[bool, typer.Option("--force", help="Replace an existing config.toml.")] = False,
) -> None:
    """Write a commented config.toml listing every setting at its default."""
    from rlm_cli import config_store, paths

    config_path = paths.config_file()
    with user_errors():
        if config_path.exists() and not force:
            raise ConfigError(f"{config_path} already exists (--force replaces it)")
        config_store.write_atomic(config_path, template())
    note(f"wrote {config_path}")
