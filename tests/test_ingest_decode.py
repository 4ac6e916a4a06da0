"""Decoding, compressed files and PDFs: every file becomes text with a known encoding, or a reason."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
from pathlib import Path

import pytest
from ingest_helpers import load, make_pdf, paths_of, reasons, tree

import rlm_cli.ingest.pdf as pdf
from rlm_cli.errors import InputError
from rlm_cli.ingest import IngestOptions, load_corpus


def only_doc(path: Path, **options: object) -> tuple[str, str]:
    corpus = load(path, **options)
    return corpus.text, corpus.documents[0].encoding


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "héllo\n".encode(), "utf-8 (BOM)"),
        (codecs.BOM_UTF16_LE + "héllo\n".encode("utf-16-le"), "utf-16-le (BOM)"),
        (codecs.BOM_UTF16_BE + "héllo\n".encode("utf-16-be"), "utf-16-be (BOM)"),
        (codecs.BOM_UTF32_LE + "héllo\n".encode("utf-32-le"), "utf-32-le (BOM)"),
        ("héllo\n".encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_boms_and_utf16_are_decoded_and_the_bom_dropped(tmp_path: Path, data: bytes, encoding: str) -> None:
    (tmp_path / "f.txt").write_bytes(data)
    assert only_doc(tmp_path / "f.txt") == ("héllo\n", encoding)


def test_utf8_is_the_fast_path(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("naïve ☃\n", encoding="utf-8")
    assert only_doc(tmp_path / "f.txt") == ("naïve ☃\n", "utf-8")


def test_latin1_text_is_detected_not_mangled(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_bytes("Name;Stadt\nMüller;Köln\nCafé;Genève\n".encode("latin-1"))
    text, encoding = only_doc(tmp_path / "f.csv")
    assert text == "Name;Stadt\nMüller;Köln\nCafé;Genève\n"
    assert encoding.startswith(("windows-1252", "iso-8859-1"))


def test_a_bad_byte_in_utf8_is_replaced_and_never_crashes(tmp_path: Path) -> None:
    (tmp_path / "f.log").write_bytes("naïve ☃ ok\n".encode() * 100 + b"bad \xff\xfe byte\n" + b"more\n")
    text, encoding = only_doc(tmp_path / "f.log")
    assert text.endswith("naïve ☃ ok\nbad \ufffd\ufffd byte\nmore\n")
    assert encoding == "utf-8 (invalid bytes replaced)"


def test_binary_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x", "img.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                                 "noise.bin": os.urandom(4096).replace(b"\x00", b"\x01")})
    corpus = load(root)
    assert paths_of(corpus) == [f"{root}/a.txt"]
    assert reasons(corpus) == {f"{root}/img.png": "binary", f"{root}/noise.bin": "binary"}


def test_gzip_bzip2_and_xz_logs_are_read_transparently(tmp_path: Path) -> None:
    body = b"10:00 ERROR disk full\n"
    root = tree(tmp_path / "p", {"a.log.gz": gzip.compress(body) + gzip.compress(b"second member\n"),
                                 "b.log.bz2": bz2.compress(body), "c.log.xz": lzma.compress(body)})
    corpus = load(root)
    assert [d.kind for d in corpus.documents] == ["text/gzip", "text/bzip2", "text/xz"]
    first = corpus.documents[0]
    assert corpus.text[first.start : first.end] == "10:00 ERROR disk full\nsecond member\n"
    assert first.size == (root / "a.log.gz").stat().st_size


def test_corrupt_compressed_data_is_skipped_with_a_reason(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x", "bad.gz": gzip.compress(b"x" * 1000)[:20]})
    assert reasons(load(root))[f"{root}/bad.gz"] == "bad compressed data"


def test_decompression_stops_at_max_file_size(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x", "bomb.gz": gzip.compress(b"\n" * (20 << 20))})
    corpus = load(root, max_file_size=1 << 20)
    assert reasons(corpus)[f"{root}/bomb.gz"] == "too large"


def test_decompression_past_max_input_size_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(b"\n" * (20 << 20)))
    with pytest.raises(InputError, match="over --max-input-size"):
        load(tmp_path / "bomb.gz", max_input_size=1 << 20)


def test_files_over_max_file_size_are_skipped_and_a_total_over_max_input_size_fails(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"small.txt": "x", "big.txt": "y" * 5000})
    assert reasons(load(root, max_file_size=1000)) == {f"{root}/big.txt": "too large"}
    with pytest.raises(InputError, match=r"over --max-input-size \(4\.9 KiB > 1000 B\)"):
        load(root, max_input_size=1000)


def test_pdf_pages_are_marked_so_answers_can_cite_them(tmp_path: Path) -> None:
    (tmp_path / "r.pdf").write_bytes(make_pdf(["intro text", "deadline is May 3"]))
    corpus = load(tmp_path / "r.pdf")
    assert corpus.text == "--- page 1 ---\nintro text\n--- page 2 ---\ndeadline is May 3\n"
    assert (corpus.documents[0].kind, corpus.documents[0].pages) == ("pdf", 2)


def test_an_encrypted_pdf_is_skipped_with_a_reason(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x", "locked.pdf": make_pdf(["secret"], password="pw")})
    corpus = load(root)
    assert [(s.reason, s.detail) for s in corpus.skipped] == [("encrypted pdf", "a password is required")]


def test_a_corrupt_pdf_is_skipped_with_a_reason(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.txt": "x", "broken.pdf": make_pdf(["text"])[:400]})
    assert reasons(load(root))[f"{root}/broken.pdf"] == "bad pdf"


def test_a_pdf_page_with_an_oversized_content_stream_is_refused_before_extraction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "MAX_PAGE_CONTENT", 1000)
    bomb = make_pdf(["y" * 50_000], compress=True)
    assert len(bomb) < 5000
    root = tree(tmp_path / "p", {"a.txt": "x", "bomb.pdf": bomb})
    corpus = load(root)
    assert [(s.reason, s.detail) for s in corpus.skipped] == [
        ("pdf too complex", "page 1 content streams exceed the size limit")
    ]


def test_stdin_is_sniffed_for_gzip_and_pdf(tmp_path: Path) -> None:
    gz = load_corpus(["-"], stdin=io.BytesIO(gzip.compress(b"piped log\n")))
    assert (gz.text, gz.documents[0].kind, gz.documents[0].path) == ("piped log\n", "text/gzip", "<stdin>")
    doc = load_corpus(["-"], stdin=io.BytesIO(make_pdf(["from a pipe"])))
    assert (doc.text, doc.documents[0].kind) == ("--- page 1 ---\nfrom a pipe\n", "pdf")


def test_stdin_over_max_input_size_is_an_input_error() -> None:
    with pytest.raises(InputError, match="over --max-input-size"):
        load_corpus(["-"], IngestOptions(max_input_size=10), stdin=io.BytesIO(b"x" * 100))


def test_empty_stdin_is_no_readable_input() -> None:
    with pytest.raises(InputError, match="no readable input"):
        load_corpus(["-"], stdin=io.BytesIO(b""))
