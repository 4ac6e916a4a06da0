"""PDF text, one page at a time behind a `--- page N ---` marker, so answers can cite pages.

pypdf is imported only when a PDF is met. Before a page is extracted its content streams are
measured (Flate streams by inflating at most the limit), so a page built to explode in memory is
refused at a bounded cost. Encrypted files are read when the empty password opens them.
"""

from __future__ import annotations

import io
import logging
import zlib
from typing import Any

MAX_PAGE_CONTENT = 32 << 20
MAX_TOTAL_CONTENT = 512 << 20


class PdfSkip(Exception):
    """This PDF is not loaded; args are (reason, detail)."""


def page_marker(number: int) -> str:
    return f"--- page {number} ---\n"


def pdf_text(data: bytes) -> tuple[str, int]:
    """(text with page markers, page count). Raises PdfSkip with a reason."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").addHandler(logging.NullHandler())
    logging.getLogger("pypdf").propagate = False
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError:
                raise PdfSkip("encrypted pdf", "its cipher needs the 'cryptography' package") from None
            if not opened:
                raise PdfSkip("encrypted pdf", "a password is required")
        pieces: list[str] = []
        total = 0
        for number, page in enumerate(reader.pages, 1):
            size = _content_size(page)
            total += size
            if size > MAX_PAGE_CONTENT or total > MAX_TOTAL_CONTENT:
                raise PdfSkip("pdf too complex", f"page {number} content streams exceed the size limit")
            text = page.extract_text() or ""
            pieces.append(page_marker(number))
            pieces.append(text if text.endswith("\n") or not text else text + "\n")
        return "".join(pieces), len(pieces) // 2
    except PdfSkip:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise PdfSkip("bad pdf", f"{type(exc).__name__}: {exc}"[:200]) from None


def _streams(page: Any) -> list[Any]:
    contents = page.get("/Contents")
    if contents is None:
        return []
    contents = contents.get_object()
    if isinstance(contents, list):
        return [c.get_object() for c in contents]
    return [contents]


def _content_size(page: Any) -> int:
    """Decoded bytes of a page's content streams, counted without decoding more than the limit."""
    size = 0
    for stream in _streams(page):
        raw = getattr(stream, "_data", b"") or b""  # the still-encoded bytes (pypdf keeps them here)
        filters = stream.get("/Filter")
        names = [str(f) for f in filters] if isinstance(filters, list) else [str(filters)] if filters else []
        if names[:1] == ["/FlateDecode"]:
            inflater = zlib.decompressobj()
            try:
                size += len(inflater.decompress(raw, MAX_PAGE_CONTENT + 1))
            except zlib.error:
                size += len(raw)
        else:
            size += len(raw)
        if size > MAX_PAGE_CONTENT:
            break
    return size
