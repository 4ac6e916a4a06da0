"""Transparent .gz / .bz2 / .xz reading, sniffed by magic bytes and bounded in output size.

The limit is checked while decompressing, chunk by chunk: a small bomb stops at the limit instead of
filling memory. Concatenated members (as `cat a.gz b.gz` or logrotate produce) are all read.
"""

from __future__ import annotations

import io
from typing import BinaryIO

CHUNK = 1 << 20
MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}


class TooLarge(Exception):
    """Decompressed output passed the limit."""


class BadArchive(Exception):
    """Corrupt or truncated compressed data."""


def compression_of(head: bytes) -> str | None:
    """'gzip', 'bzip2', 'xz' or None, from the first bytes."""
    for magic, name in MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def _opener(name: str, raw: BinaryIO) -> BinaryIO:
    if name == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw)
    if name == "bzip2":
        import bz2

        return bz2.BZ2File(raw)
    import lzma

    return lzma.LZMAFile(raw)


def decompress(data: bytes, name: str, limit: int) -> bytearray:
    """All the decompressed bytes, or TooLarge as soon as there are more than `limit`."""
    out = bytearray()
    try:
        with _opener(name, io.BytesIO(data)) as stream:
            while chunk := stream.read(CHUNK):
                out += chunk
                if len(out) > limit:
                    raise TooLarge(len(out))
    except TooLarge:
        raise
    except Exception as exc:  # OSError, EOFError, zlib.error, lzma.LZMAError: corrupt data of any kind
        raise BadArchive(str(exc) or type(exc).__name__) from None
    return out
