"""Walk a directory into a sorted list of files to read, and a reason for everything left out.

One `os.scandir` per directory and one `lstat` per file (for its size); nothing is opened here, so
a FIFO or socket in the tree cannot block the walk. Directory symlinks are not followed (as git,
ripgrep and fd do), so a symlink loop cannot hang it either; file symlinks are read.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from pathspec import GitIgnoreSpec

from rlm_cli.corpus import Skipped
from rlm_cli.ingest.ignore import VCS_DIRS, Level, dir_levels, is_default_ignored, outer_levels

COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")


@dataclass(frozen=True)
class Candidate:
    """A regular file to read: its path on disk, the path shown to the model, its size and identity."""

    path: str
    shown: str
    size: int
    identity: tuple[int, int]


@dataclass(frozen=True)
class Filters:
    """The user's --include/--exclude/--ext/--hidden/--no-ignore choices."""

    hidden: bool = False
    no_ignore: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()

    def compiled(self) -> tuple[GitIgnoreSpec | None, GitIgnoreSpec | None, tuple[str, ...]]:
        include = GitIgnoreSpec.from_lines(self.include) if self.include else None
        exclude = GitIgnoreSpec.from_lines(self.exclude) if self.exclude else None
        exts = tuple("." + e.lower().lstrip(".") for e in self.extensions)
        return include, exclude, exts


def has_extension(name: str, exts: tuple[str, ...]) -> bool:
    """`--ext log` takes app.log and app.log.gz; `--ext gz` takes app.log.gz."""
    lower = name.lower()
    if lower.endswith(exts):
        return True
    for suffix in COMPRESSED_SUFFIXES:
        if lower.endswith(suffix):
            return lower[: -len(suffix)].endswith(exts)
    return False


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _shown(root_shown: str, rel: str) -> str:
    """The path as shown to the model and the user: a name that is not valid UTF-8 (kept by Python as
    surrogate escapes, which cannot be written out) shows U+FFFD instead; the disk path is unchanged."""
    shown = rel if root_shown in (".", "") else f"{root_shown}/{rel}"
    if shown.isascii():
        return shown
    return shown.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _ignored_by(levels: list[Level], rel: str) -> Level | None:
    for level in reversed(levels):
        decision = level.decide(rel)
        if decision is not None:
            return level if decision else None
    return None


def walk(root: str, filters: Filters, out: list[Candidate], skipped: list[Skipped]) -> None:
    """Append the files under `root` to `out` (sorted, files of a directory before its subdirectories)."""
    include, exclude, exts = filters.compiled()
    root_shown = root.rstrip("/") or "/"
    base_levels = [] if filters.no_ignore else outer_levels(root)
    stack: list[tuple[str, str, list[Level]]] = [(root, "", base_levels)]
    while stack:
        dirpath, rel, levels = stack.pop()
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            where = _shown(root_shown, rel) if rel else root_shown
            skipped.append(Skipped(where, "unreadable", exc.strerror or ""))
            continue
        names = {e.name for e in entries}
        if not filters.no_ignore:
            if rel and "pyvenv.cfg" in names:
                skipped.append(Skipped(_shown(root_shown, rel), "default ignore", "virtualenv"))
                continue
            here = dir_levels(dirpath, names, rel, lambda name, rel=rel: _shown(root_shown, rel + name))
            if here:
                levels = levels + here
        subdirs: list[tuple[str, str, list[Level]]] = []
        for entry in entries:
            name = entry.name
            erel = rel + name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if name in VCS_DIRS and is_dir:
                skipped.append(Skipped(_shown(root_shown, erel), "default ignore", name))
                continue
            if not filters.hidden and name.startswith("."):
                skipped.append(Skipped(_shown(root_shown, erel), "hidden"))
                continue
            if not filters.no_ignore:
                if is_dir and is_default_ignored(name):
                    skipped.append(Skipped(_shown(root_shown, erel), "default ignore", name))
                    continue
                level = _ignored_by(levels, erel + "/" if is_dir else erel) if levels else None
                if level is not None:
                    skipped.append(Skipped(_shown(root_shown, erel), "ignored", level.source))
                    continue
            if exclude is not None and exclude.match_file(erel + "/" if is_dir else erel):
                skipped.append(Skipped(_shown(root_shown, erel), "filtered", "--exclude"))
                continue
            if is_dir:
                subdirs.append((entry.path, erel + "/", levels))
                continue
            if (include is not None and not include.match_file(erel)) or (
                exts and not has_extension(name, exts)
            ):
                skipped.append(Skipped(_shown(root_shown, erel), "filtered", "--include/--ext"))
                continue
            candidate = _file(entry, _shown(root_shown, erel), skipped)
            if candidate is not None:
                out.append(candidate)
        stack.extend(reversed(subdirs))


def _file(entry: os.DirEntry[str], shown: str, skipped: list[Skipped]) -> Candidate | None:
    """A regular file (or a symlink to one) as a Candidate; anything else is reported and left."""
    try:
        if entry.is_symlink():
            try:
                st = os.stat(entry.path)
            except OSError as exc:
                reasons = {errno.ELOOP: "symlink loop", errno.ENOENT: "broken symlink"}
                reason = reasons.get(exc.errno or 0, "unreadable")
                skipped.append(Skipped(shown, reason, exc.strerror or ""))
                return None
            if stat.S_ISDIR(st.st_mode):
                skipped.append(Skipped(shown, "symlink to directory", "not followed"))
                return None
        else:
            st = entry.stat(follow_symlinks=False)
    except OSError as exc:
        skipped.append(Skipped(shown, "unreadable", exc.strerror or ""))
        return None
    if not stat.S_ISREG(st.st_mode):
        skipped.append(Skipped(shown, "not a regular file", _kind_of(st.st_mode)))
        return None
    return Candidate(entry.path, shown, st.st_size, (st.st_dev, st.st_ino))
