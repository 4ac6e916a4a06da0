"""--dry-run (`measure_corpus`) reports exactly what a real load would, without building `context`."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest
from ingest_helpers import make_pdf, tree

import rlm_cli.ingest as ingest
from rlm_cli.errors import InputError
from rlm_cli.ingest import IngestOptions, load_corpus, measure_corpus
from rlm_cli.ingest.decode import SNIFF, utf8_length
from rlm_cli.ingest.report import manifest_json, manifest_text

LATIN1 = "café, naïve, Zürich, señor; " * 40


def varied(root: Path) -> Path:
    """Every kind of input the loader tells apart, including some it skips or leaves out."""
    return tree(
        root,
        {
            "ascii.txt": "plain ascii\n" * 50,
            "no_newline.md": "ends without a newline",
            "utf8.txt": ("naïve façade, 東京, emoji 🎉\n" * 2000),
            "utf8_bom.txt": codecs.BOM_UTF8 + "with a BOM é\n".encode(),
            "utf16.txt": codecs.BOM_UTF16_LE + "UTF-16 text ü\n".encode("utf-16-le"),
            "latin1.csv": LATIN1.encode("latin-1"),
            "late_bad_byte.log": b"fine ascii line\n" * 3000 + b"then \xff a bad byte\n",
            "blob.bin": bytes(range(256)) * 4,
            "notes.txt.gz": gzip.compress(b"compressed notes\n" * 10),
            "report.pdf": make_pdf(["first page", "second page"]),
            "empty.txt": b"",
            "node_modules/dep.js": "ignored by default",
            ".hidden": "left out",
            ".gitignore": "*.tmp\n",
            "scratch.tmp": "ignored by .gitignore",
        },
    )


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks as small as allowed, so multi-byte characters and bad bytes straddle chunk edges."""
    monkeypatch.setattr(ingest, "CHUNK", SNIFF)


@pytest.mark.usefixtures("small_chunks")
def test_the_dry_run_manifest_equals_the_manifest_of_a_real_load(tmp_path: Path) -> None:
    root = varied(tmp_path / "p")
    real = load_corpus([str(root)])
    dry = measure_corpus([str(root)])
    assert manifest_json(dry) == manifest_json(real)
    assert manifest_text(dry) == manifest_text(real)
    assert {d.encoding for d in real.documents} >= {"utf-8", "utf-8 (BOM)", "utf-16-le (BOM)", "windows-1252 (guessed)"}
    assert {d.kind for d in real.documents} == {"text", "text/gzip", "pdf"}
    assert {s.reason for s in real.skipped} >= {"binary", "empty", "default ignore", "hidden", "ignored"}


@pytest.mark.usefixtures("small_chunks")
def test_a_lone_file_is_placed_as_a_real_load_places_it(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("é" * 10_000 + "\n")
    assert manifest_json(measure_corpus([str(path)])) == manifest_json(load_corpus([str(path)]))


def test_the_dry_run_fails_like_a_real_load_when_nothing_is_readable(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.bin": b"\x00\x01", "b.txt": b""})
    with pytest.raises(InputError) as real:
        load_corpus([str(root)])
    with pytest.raises(InputError) as dry:
        measure_corpus([str(root)])
    assert str(dry.value) == str(real.value)


def test_the_dry_run_honours_max_input_size_like_a_real_load(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.gz": gzip.compress(b"x" * 5000)})
    options = IngestOptions(max_input_size=2000)
    with pytest.raises(InputError) as real:
        load_corpus([str(root)], options)
    with pytest.raises(InputError) as dry:
        measure_corpus([str(root)], options)
    assert str(dry.value) == str(real.value)


def test_a_plain_utf8_file_is_counted_without_decoding_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.log").write_text("línea\n" * 100_000)

    def no_whole_decode(data: bytes) -> tuple[str, str]:
        raise AssertionError("decoded whole")

    monkeypatch.setattr(ingest, "decode", no_whole_decode)
    dry = measure_corpus([str(tmp_path / "big.log")])
    assert (dry.chars, dry.documents[0].encoding) == (600_000, "utf-8")


def test_utf8_length_counts_characters_across_chunk_edges() -> None:
    data = ("a" * (SNIFF - 1) + "é東🎉\n").encode()
    chunks = [data[i : i + 3] for i in range(SNIFF + 3, len(data), 3)]
    assert utf8_length([data[: SNIFF + 3], *chunks]) == (len(data), SNIFF + 3, True)


def test_utf8_length_refuses_what_decode_would_not_call_plain_utf8() -> None:
    assert utf8_length([b"ok" * SNIFF, b"\xe6\x9d"]) is None  # cut at the end
    assert utf8_length([b"ok" * SNIFF, b"\xff"]) is None
    assert utf8_length([codecs.BOM_UTF8 + b"x"]) is None
    assert utf8_length([b"a\x00b"]) is None
