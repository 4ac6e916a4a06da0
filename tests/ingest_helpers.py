"""Builders for the ingestion tests: trees, PDFs (pypdf writes them), and a one-call loader."""

from __future__ import annotations

import io
from pathlib import Path

from rlm_cli.corpus import Corpus
from rlm_cli.ingest import IngestOptions, load_corpus


def tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: content} under root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def load(*paths: Path | str, **options: object) -> Corpus:
    return load_corpus([str(p) for p in paths], IngestOptions(**options))  # type: ignore[arg-type]


def paths_of(corpus: Corpus) -> list[str]:
    return [d.path for d in corpus.documents]


def reasons(corpus: Corpus) -> dict[str, str]:
    return {s.path: s.reason for s in corpus.skipped}


def make_pdf(pages: list[str], password: str | None = None, compress: bool = False) -> bytes:
    """A real PDF with one line of text per page (Helvetica), optionally encrypted or with Flate
    compressed content streams."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for text in pages:
        page = writer.add_blank_page(612, 792)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    if compress:
        for page in writer.pages:
            page.compress_content_streams()
    if password is not None:
        writer.encrypt(user_password=password, algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
