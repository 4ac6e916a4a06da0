"""Bytes to text: UTF-8 first (the fast path), then BOMs, then a detector only for what is left.

A bad byte never fails a run: undecodable bytes become U+FFFD. Binary data is refused, so the
caller can report it as skipped.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable

SNIFF = 8192
DETECT_SAMPLE = 1 << 16
# chardet's confidence is low even when it is right about western text; below this, an unusual
# guess is less likely than Windows-1252, the usual non-UTF-8 encoding of CSVs and old logs.
TRUSTED_CONFIDENCE = 0.3
WESTERN = frozenset({"ascii", "windows-1252", "iso-8859-1", "iso-8859-15", "latin-1"})
FALLBACK = "windows-1252"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1b")


class NotText(Exception):
    """The data is binary."""


Buffer = bytes | bytearray | memoryview


def looks_binary(head: Buffer) -> bool:
    """A NUL in the first bytes (as git decides), unless it is UTF-16/32 text."""
    head = bytes(head[:SNIFF])
    return b"\x00" in head and _bom(head) is None and _utf16_without_bom(head) is None


def plain_utf8_candidate(head: Buffer) -> bool:
    """Whether `decode` tries strict UTF-8 first: no BOM, and no NUL in the first SNIFF bytes.
    `head` must hold the first SNIFF bytes of the data (or all of it)."""
    return _bom(head[:4]) is None and b"\x00" not in head[:SNIFF]


def decode(data: Buffer) -> tuple[str, str]:
    """(text, encoding label). Raises NotText for binary data."""
    if not plain_utf8_candidate(data):
        bom = _bom(data[:4])
        if bom is not None:
            name, skip = bom
            return str(memoryview(data)[skip:], name, "replace"), f"{name} (BOM)"
        name = _utf16_without_bom(bytes(data[:SNIFF]))
        if name is None:
            raise NotText("binary")
        return str(data, name, "replace"), name
    try:
        return str(data, "utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        return _detected(data, exc.start)


def utf8_length(chunks: Iterable[bytes]) -> tuple[int, int, bool] | None:
    """(bytes, characters, ends with a newline) of data that `decode` would return as plain "utf-8",
    counted chunk by chunk so no text is built; None when it would not (a BOM, a NUL in the head, an
    invalid byte anywhere): then the caller decodes the whole with `decode`. The first chunk must
    hold at least SNIFF bytes unless it is all the data. ASCII chunks are counted without decoding."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    size = chars = 0
    pending = False
    last = b""
    try:
        for chunk in chunks:
            if not chunk:
                continue
            if size == 0 and not plain_utf8_candidate(chunk):
                return None
            size += len(chunk)
            last = chunk[-1:]
            if not pending and chunk.isascii():
                chars += len(chunk)
                continue
            chars += len(decoder.decode(chunk))
            pending = bool(decoder.getstate()[0])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return size, chars, last == b"\n"


def _bom(head: Buffer) -> tuple[str, int] | None:
    head = bytes(head[:4])
    for mark, name in _BOMS:
        if head.startswith(mark):
            return name, len(mark)
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text of mostly ASCII characters has a NUL in every other byte, and only there."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    if odd.count(0) > 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _mostly_utf8(sample: bytes) -> bool:
    """UTF-8 with a few bad bytes (a cut multi-byte character, a stray byte) is still UTF-8."""
    text = sample.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    return len(text) - len(text.encode("ascii", "ignore")) - bad > bad


def _detected(data: Buffer, bad_at: int) -> tuple[str, str]:
    """Not UTF-8: ask chardet about the bytes around the first bad one (imported only now)."""
    import chardet

    lo = max(0, bad_at - DETECT_SAMPLE // 2)
    sample = bytes(data[lo : lo + DETECT_SAMPLE])
    if sum(sample.count(c) for c in _CONTROL) > 0.1 * len(sample):
        raise NotText("binary")
    if _mostly_utf8(sample):
        return str(data, "utf-8", "replace"), "utf-8 (invalid bytes replaced)"
    guess = chardet.detect(sample)
    name = (guess.get("encoding") or "").lower()
    if guess.get("mime_type") == "application/octet-stream" and not name:
        raise NotText("binary")
    if name in ("ascii", "utf-8"):
        return str(data, "utf-8", "replace"), "utf-8 (invalid bytes replaced)"
    if name and (name in WESTERN or (guess.get("confidence") or 0) >= TRUSTED_CONFIDENCE):
        try:
            return str(data, name, "replace"), f"{name} (detected)"
        except LookupError:
            pass
    return str(data, FALLBACK, "replace"), f"{FALLBACK} (guessed)"
