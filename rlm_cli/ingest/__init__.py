"""Turn paths and stdin into a Corpus. The CLI calls `load_corpus`; nothing here knows about models.

Every input ends up either as a document or as a Skipped entry with a reason: nothing is dropped
or cut silently. Files are read with one read() each and joined into `context` once.
`measure_corpus` (--dry-run) makes the same decisions but keeps only lengths: plain UTF-8 files
are counted in chunks, so memory stays bounded however large the input.
"""

from __future__ import annotations

import errno
import itertools
import os
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from rlm_cli.corpus import Corpus, Inventory, Measured, Part, Skipped
from rlm_cli.errors import InputError, UsageError
from rlm_cli.ingest.compressed import BadArchive, TooLarge, compression_of, decompress
from rlm_cli.ingest.decode import SNIFF, NotText, decode, looks_binary, utf8_length
from rlm_cli.ingest.sizes import format_size, parse_size
from rlm_cli.ingest.stream import CHUNK, WAITING, StreamTooLarge, read_stream
from rlm_cli.ingest.walk import Candidate, Filters, walk

STDIN_PATH = "<stdin>"
DEFAULT_MAX_INPUT = 4 << 30
SNIFF_FIRST_ABOVE = 8 << 20
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class IngestOptions(Filters):
    """What to load and how much (flags of `rlm ask`): the walk's filters plus the size limits."""

    max_file_size: int | None = None
    max_input_size: int = DEFAULT_MAX_INPUT
    stdin_notice_after: float = 3.0


def options_from_flags(flags: dict[str, Any]) -> IngestOptions:
    """IngestOptions from `rlm ask` flags (None or missing: the default); a bad size is a usage error."""

    def size(name: str) -> int | None:
        value = flags.get(name)
        if value is None:
            return None
        try:
            return parse_size(str(value))
        except ValueError as exc:
            raise UsageError(f"--{name.replace('_', '-')}: {exc}") from None

    exts = tuple(e.strip() for item in flags.get("ext") or () for e in str(item).split(",") if e.strip())
    return IngestOptions(
        hidden=bool(flags.get("hidden")),
        no_ignore=bool(flags.get("no_ignore")),
        include=tuple(flags.get("include") or ()),
        exclude=tuple(flags.get("exclude") or ()),
        extensions=exts,
        max_file_size=size("max_file_size"),
        max_input_size=size("max_input_size") or DEFAULT_MAX_INPUT,
    )


class OverLimit(InputError):
    """The input is over --max-input-size; `inventory` is what a dry run measured (None otherwise)."""

    inventory: Inventory | None = None


class _Skip(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _is_pdf(shown: str, data: bytes | bytearray) -> bool:
    """`data` must hold the first 1 KiB of the input (or all of it)."""
    return data[:5] == PDF_MAGIC or (shown.lower().endswith(".pdf") and PDF_MAGIC in data[:1024])


class _Loader:
    """Collects parts and skips in input order, and keeps the running total under the limit. With
    `measure_only` it keeps each part's length (a Measured) instead of its text."""

    def __init__(
        self, options: IngestOptions, notify: Callable[[str], None] | None, measure_only: bool = False
    ) -> None:
        self.options = options
        self.notify = notify
        self.measure_only = measure_only
        self.parts: list[Part | Measured] = []
        self.skipped: list[Skipped] = []
        self.total = 0
        self.seen: set[tuple[int, int]] = set()

    def over_total(self, size: int) -> OverLimit:
        limit = self.options.max_input_size
        return OverLimit(
            f"the input is over --max-input-size ({format_size(size)} > {format_size(limit)}): "
            "narrow it with --include/--exclude/--ext, or raise --max-input-size"
        )

    def count(self, size: int) -> None:
        """Add what is loaded; a dry run goes on past the limit so it can list everything first."""
        self.total += size
        if self.total > self.options.max_input_size and not self.measure_only:
            raise self.over_total(self.total)

    def room(self) -> int:
        """How many more bytes this file may decompress to."""
        left = self.options.max_input_size - self.total
        cap = self.options.max_file_size
        return left if cap is None else min(left, cap)

    def add(self, shown: str, raw: bytes | bytearray, size: int) -> None:
        """Turn one input's bytes into a Part (text, decompressed text or PDF text) or a Skipped;
        only a Part counts towards --max-input-size (by its bytes once decompressed)."""
        try:
            part, loaded = self._convert(shown, raw, size)
        except _Skip as skip:
            self.skipped.append(Skipped(shown, skip.reason, skip.detail))
            return
        self.count(loaded)
        self.parts.append(Measured.of(part) if self.measure_only else part)

    def _convert(self, shown: str, data: bytes | bytearray, size: int) -> tuple[Part, int]:
        if not data:
            raise _Skip("empty")
        kind = "text"
        compression = compression_of(bytes(data[:6]))
        if compression is not None:
            room = self.room()
            try:
                data = decompress(bytes(data), compression, room)
            except TooLarge:
                if room == self.options.max_input_size - self.total:
                    raise self.over_total(self.total + room + 1) from None
                raise _Skip("too large", f"over --max-file-size once decompressed ({compression})") from None
            except BadArchive as exc:
                raise _Skip("bad compressed data", f"{compression}: {exc}"[:200]) from None
            kind = f"text/{compression}"
            if not data:
                raise _Skip("empty", f"empty once decompressed ({compression})")
        if _is_pdf(shown, data):
            from rlm_cli.ingest.pdf import PdfSkip, pdf_text

            try:
                text, pages = pdf_text(bytes(data))
            except PdfSkip as exc:
                raise _Skip(*exc.args) from None
            return Part(shown, "pdf", size, text, "", pages), len(data)
        try:
            text, encoding = decode(data)
        except NotText:
            raise _Skip("binary") from None
        return Part(shown, kind, size, text, encoding), len(data)

    def read_file(self, c: Candidate) -> None:
        if c.identity in self.seen:
            self.skipped.append(Skipped(c.shown, "duplicate"))
            return
        self.seen.add(c.identity)
        cap = self.options.max_file_size
        if cap is not None and c.size > cap:
            self.skipped.append(Skipped(c.shown, "too large", f"{format_size(c.size)} > --max-file-size"))
            return
        try:
            with open(c.path, "rb", buffering=0) as fh:
                if c.size > SNIFF_FIRST_ABOVE:
                    head = fh.read(SNIFF)
                    if looks_binary(head) and compression_of(head) is None and not head.startswith(PDF_MAGIC):
                        self.skipped.append(Skipped(c.shown, "binary"))
                        return
                    fh.seek(0)
                counted = self._count_plain(c.shown, fh) if self.measure_only else None
                data = b"" if counted is not None else fh.read()
        except OSError as exc:
            self.skipped.append(Skipped(c.shown, "unreadable", exc.strerror or str(exc)))
            return
        if counted is not None:
            size, chars, ends_newline = counted
            self.count(size)
            self.parts.append(Measured(c.shown, "text", size, chars, ends_newline))
            return
        self.add(c.shown, data, len(data))

    def _count_plain(self, shown: str, fh: BinaryIO) -> tuple[int, int, bool] | None:
        """(bytes, chars, ends with newline) of a file `_convert` would decode as plain UTF-8 text,
        read in chunks; anything else (empty, compressed, PDF, other encodings, binary) rewinds and
        returns None, for the whole-file path to decide exactly as a real load does."""
        head = fh.read(CHUNK)
        if head and compression_of(head[:6]) is None and not _is_pdf(shown, head):
            counted = utf8_length(itertools.chain((head,), iter(lambda: fh.read(CHUNK), b"")))
            if counted is not None:
                return counted
        fh.seek(0)
        return None

    def read_stream(self, stream: BinaryIO, shown: str, waiting: str) -> None:
        notice = self.options.stdin_notice_after
        try:
            data = read_stream(stream, self.options.max_input_size - self.total, self.notify, notice, waiting)
        except StreamTooLarge as exc:
            raise self.over_total(self.total + int(str(exc))) from None
        except OSError as exc:
            self.skipped.append(Skipped(shown, "unreadable", exc.strerror or str(exc)))
            return
        self.add(shown, data, len(data))


def _explicit(raw: str, loader: _Loader, options: IngestOptions) -> list[Candidate]:
    """A path the user named: files are read even if hidden or ignored; FIFOs are read as streams."""
    try:
        st = os.stat(raw)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            loader.skipped.append(Skipped(raw, "symlink loop", exc.strerror or ""))
        elif exc.errno == errno.ENOENT and os.path.islink(raw):
            loader.skipped.append(Skipped(raw, "broken symlink", exc.strerror or ""))
        elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise InputError(f"no such file or directory: {raw}") from None
        else:
            loader.skipped.append(Skipped(raw, "unreadable", exc.strerror or ""))
        return []
    if stat.S_ISDIR(st.st_mode):
        found: list[Candidate] = []
        walk(raw, options, found, loader.skipped)
        return found
    if stat.S_ISREG(st.st_mode):
        shown = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return [Candidate(raw, shown, st.st_size, (st.st_dev, st.st_ino))]
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        try:
            with open(raw, "rb") as fh:
                loader.read_stream(fh, raw, f"rlm: waiting for input on {raw}")
        except OSError as exc:
            loader.skipped.append(Skipped(raw, "unreadable", exc.strerror or ""))
        return []
    loader.skipped.append(Skipped(raw, "not a regular file", "socket" if stat.S_ISSOCK(st.st_mode) else ""))
    return []


def load_corpus(
    paths: Sequence[str],
    options: IngestOptions | None = None,
    stdin: BinaryIO | None = None,
    notify: Callable[[str], None] | None = None,
) -> Corpus:
    """Read every path ('-' is stdin) into one Corpus; raise InputError when nothing usable remains
    or when the total is over --max-input-size (checked on sizes before anything is read)."""
    loader = _load(paths, options or IngestOptions(), stdin, notify, measure_only=False)
    parts, loader.parts = loader.parts, []
    return Corpus.from_parts(cast(list[Part], parts), loader.skipped)


def measure_corpus(
    paths: Sequence[str],
    options: IngestOptions | None = None,
    stdin: BinaryIO | None = None,
    notify: Callable[[str], None] | None = None,
) -> Inventory:
    """What `load_corpus` would load (same documents, offsets, skips and errors) without building
    `context`: the --dry-run manifest in bounded memory."""
    loader = _load(paths, options or IngestOptions(), stdin, notify, measure_only=True)
    return Inventory.from_parts(loader.parts, loader.skipped)


def _load(
    paths: Sequence[str],
    options: IngestOptions,
    stdin: BinaryIO | None,
    notify: Callable[[str], None] | None,
    measure_only: bool,
) -> _Loader:
    loader = _Loader(options, notify, measure_only)
    plan: list[Candidate | None] = []
    for raw in paths:
        if raw == "-":
            plan.append(None)
        else:
            plan.extend(_explicit(raw, loader, options))
    on_disk = sum(c.size for c in plan if c is not None)
    if on_disk > options.max_input_size and not measure_only:
        loadable = sum(c.size for c in plan if c is not None and not _binary_on_disk(c))
        if loadable > options.max_input_size:
            raise loader.over_total(loadable)
    for candidate in plan:
        if candidate is not None:
            loader.read_file(candidate)
            continue
        stream = stdin if stdin is not None else (sys.stdin.buffer if sys.stdin is not None else None)
        if stream is None:
            raise InputError("stdin is closed but '-' was given as an input")
        loader.read_stream(stream, STDIN_PATH, WAITING)
    if measure_only and loader.total > options.max_input_size:
        over = loader.over_total(loader.total)
        over.inventory = Inventory.from_parts(loader.parts, loader.skipped)
        raise over
    if not loader.parts:
        raise InputError(_nothing(loader.skipped))
    return loader


def _binary_on_disk(c: Candidate) -> bool:
    """Whether the file would be skipped as binary (decided on its head, as a load decides)."""
    try:
        with open(c.path, "rb") as fh:
            head = fh.read(SNIFF)
    except OSError:
        return True
    return looks_binary(head) and compression_of(head) is None and not _is_pdf(c.shown, head)


def _nothing(skipped: list[Skipped]) -> str:
    if not skipped:
        return "no readable input (nothing found)"
    counts: dict[str, int] = {}
    for s in skipped:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    return "no readable input (skipped: " + ", ".join(f"{n} {r}" for r, n in sorted(counts.items())) + ")"
