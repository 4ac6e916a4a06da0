"""Which paths a walk leaves out: .gitignore/.ignore files (nested, with git's precedence), the
repository's info/exclude, git's global excludes file, hidden names and well-known junk directories.

Matching is pathspec's GitIgnoreSpec (git's wildmatch rules, negation included). A level is one
ignore file's patterns plus where they apply; deeper levels win, and inside one directory `.ignore`
wins over `.gitignore`, as in ripgrep.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

IGNORE_FILES = (".gitignore", ".ignore")
VCS_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", ".jj"})
DEFAULT_DIRS = frozenset(
    {
        "node_modules", "bower_components", "__pycache__", ".venv", "venv", ".tox", ".nox", ".eggs",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".gradle", ".terraform", ".next", ".nuxt",
        "build", "dist", "target", "htmlcov",
    }
)


@dataclass(frozen=True)
class Level:
    """One ignore file: `source` for reports; a walk path `rel` is matched as prefix + rel[strip:]."""

    source: str
    spec: GitIgnoreSpec
    strip: int = 0
    prefix: str = ""

    def decide(self, rel: str) -> bool | None:
        """True: ignored, False: re-included by a `!` pattern, None: no pattern here matches."""
        return self.spec.check_file(self.prefix + rel[self.strip :]).include


def is_default_ignored(name: str) -> bool:
    """Directories nobody means to ask about: dependencies, caches, virtualenvs, build output."""
    return name in DEFAULT_DIRS or name in VCS_DIRS or name.endswith(".egg-info")


def load_level(path: str, source: str, strip: int = 0, prefix: str = "") -> Level | None:
    """The patterns of one ignore file, or None if it is empty or unreadable.

    With a prefix (a file above the walked root), patterns that ignore the root itself or a
    directory on the way to it are dropped: the user named that directory, so it is read (as git
    reads a path it is given), while the file's other patterns still apply inside it."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
        spec = GitIgnoreSpec.from_lines(lines)
    except (OSError, ValueError):
        return None
    if prefix:
        parts = prefix.rstrip("/").split("/")
        on_the_way = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        kept = [p for p in spec.patterns if not (p.include and any(p.match_file(d) for d in on_the_way))]
        spec = GitIgnoreSpec(kept)
    return Level(source, spec, strip, prefix) if spec.patterns else None


def dir_levels(dirpath: str, names: set[str], rel: str, shown: Callable[[str], str]) -> list[Level]:
    """The ignore files of one directory inside the walk, lowest precedence first."""
    levels = []
    for name in IGNORE_FILES:
        if name in names:
            level = load_level(os.path.join(dirpath, name), shown(name), strip=len(rel))
            if level is not None:
                levels.append(level)
    return levels


def outer_levels(root: str) -> list[Level]:
    """Rules that apply to `root` from outside it: global excludes, the repository's info/exclude and
    the .gitignore/.ignore files of the directories between the repository root and `root`."""
    top = Path(root).resolve()
    repo = next((d for d in (top, *top.parents) if (d / ".git").exists()), None)
    base = repo or top
    to_root = "" if base == top else top.relative_to(base).as_posix() + "/"
    levels: list[Level] = []
    global_file = global_excludes_file()
    if global_file is not None:
        level = load_level(str(global_file), "git global excludes", prefix=to_root)
        if level is not None:
            levels.append(level)
    if repo is None:
        return levels
    info = repo / ".git" / "info" / "exclude"
    level = load_level(str(info), ".git/info/exclude", prefix=to_root)
    if level is not None:
        levels.append(level)
    parts = top.relative_to(repo).parts
    for depth in range(len(parts)):
        ancestor = repo.joinpath(*parts[:depth])
        prefix = top.relative_to(ancestor).as_posix() + "/"
        for name in IGNORE_FILES:
            level = load_level(str(ancestor / name), str(ancestor / name), prefix=prefix)
            if level is not None:
                levels.append(level)
    return levels


def global_excludes_file() -> Path | None:
    """git's core.excludesFile, else $XDG_CONFIG_HOME/git/ignore (git's own default)."""
    home = Path(os.path.expanduser("~"))
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    for config in (home / ".gitconfig", xdg / "git" / "config"):
        value = _core_excludes(config)
        if value:
            return Path(os.path.expanduser(value))
    default = xdg / "git" / "ignore"
    return default if default.is_file() else None


def _core_excludes(config: Path) -> str | None:
    if not config.is_file():
        return None
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read(config, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    for section in parser.sections():
        if section.strip().lower() == "core":
            value = parser[section].get("excludesfile")
            if value:
                return value.strip().strip('"')
    return None
