"""Edits to config.toml and keys.toml that keep the user's comments and layout (tomlkit).

API keys never go in config.toml through `rlm config set`: they go in keys.toml beside it, which
is written readable by the user only (0600) and binds each key to the base URL it was set for, so
changing base_url later never sends an old key to a new endpoint.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from rlm_cli.errors import ConfigError
from rlm_cli.settings import KEYS_FILE, OPENAI_BASE_URL, normalise_url

SECRET = "api_key"
_Table = Table | tomlkit.TOMLDocument


def keys_file(config_path: Path) -> Path:
    return config_path.with_name(KEYS_FILE)


def load(path: Path) -> tomlkit.TOMLDocument:
    """The file as an editable document ({} when absent); a malformed file is a ConfigError."""
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def write_atomic(path: Path, text: str, private: bool = False) -> None:
    """Replace `path` in one step; `private` files are created 0600 and stay so.

    A symlinked file (dotfiles managers do that) is written through: the link stays a link.
    """
    if path.is_symlink():
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists() and not private:
        mode = stat.S_IMODE(path.stat().st_mode)
    else:
        mode = 0o600 if private else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def table_for(doc: tomlkit.TOMLDocument, profile: str | None, create: bool) -> _Table | None:
    """The top level, or `[profiles.NAME]` (created on demand as a proper sub-table)."""
    if not profile:
        return doc
    profiles = doc.get("profiles")
    if profiles is None:
        if not create:
            return None
        profiles = tomlkit.table(is_super_table=True)
        doc["profiles"] = profiles
    table = profiles.get(profile)
    if table is None and create:
        table = tomlkit.table()
        profiles[profile] = table
    return table


def _drop_empty_profile(doc: tomlkit.TOMLDocument, profile: str | None) -> None:
    if not profile or "profiles" not in doc:
        return
    profiles = doc["profiles"]
    if profile in profiles and not profiles[profile]:
        del profiles[profile]
    if not profiles:
        del doc["profiles"]


def set_value(config_path: Path, profile: str | None, name: str, value: Any) -> None:
    doc = load(config_path)
    table = table_for(doc, profile, create=True)
    assert table is not None
    table[name] = value
    write_atomic(config_path, tomlkit.dumps(doc))


def unset_value(config_path: Path, profile: str | None, name: str) -> bool:
    """Remove a setting; False when it was not set there."""
    doc = load(config_path)
    table = table_for(doc, profile, create=False)
    if table is None or name not in table:
        return False
    del table[name]
    _drop_empty_profile(doc, profile)
    write_atomic(config_path, tomlkit.dumps(doc))
    return True


def file_base_url(config_path: Path, profile: str | None) -> str:
    """The endpoint config.toml configures for this profile (a profile inherits the top level)."""
    doc = load(config_path).unwrap()
    url = doc.get("base_url") or OPENAI_BASE_URL
    if profile:
        url = doc.get("profiles", {}).get(profile, {}).get("base_url") or url
    return normalise_url(str(url))


def set_key(config_path: Path, profile: str | None, key: str, base_url: str) -> Path:
    """Store a key in keys.toml (0600), bound to `base_url`."""
    path = keys_file(config_path)
    doc = load(path)
    if not doc.body:
        doc.add(tomlkit.comment("rlm API keys: each is sent only to the base_url stored beside it."))
    table = table_for(doc, profile, create=True)
    assert table is not None
    table[SECRET] = key
    table["base_url"] = normalise_url(base_url)
    write_atomic(path, tomlkit.dumps(doc), private=True)
    return path


def unset_key(config_path: Path, profile: str | None) -> bool:
    path = keys_file(config_path)
    doc = load(path)
    table = table_for(doc, profile, create=False)
    if table is None or SECRET not in table:
        return False
    for name in (SECRET, "base_url"):
        if name in table:
            del table[name]
    _drop_empty_profile(doc, profile)
    write_atomic(path, tomlkit.dumps(doc), private=True)
    return True


def stored_key_url(config_path: Path, profile: str | None) -> str | None:
    """The base URL a keys.toml key of this table is bound to, or None when there is no key."""
    table = table_for(load(keys_file(config_path)), profile, create=False)
    if table is None or SECRET not in table:
        return None
    return normalise_url(str(table.get("base_url") or OPENAI_BASE_URL))


def readable_by_others(path: Path) -> int | None:
    """The file's mode when group or others may read it (a leaked key), else None."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None
