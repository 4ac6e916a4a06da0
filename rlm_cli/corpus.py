"""The input as the REPL sees it: one `context` string and where every part of it came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rlm_cli.repl.corpus_tools import CorpusTools


@dataclass(frozen=True)
class Document:
    """One input file (or stdin) inside `context`: text lives at context[start:end]."""

    path: str
    kind: str
    size: int
    start: int
    end: int
    encoding: str = "utf-8"
    pages: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """An input that was not loaded, and why (reported on stderr, never silently dropped)."""

    path: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Part:
    """A decoded input before it is placed in `context`."""

    path: str
    kind: str
    size: int
    text: str
    encoding: str = "utf-8"
    pages: int = 0

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def ends_newline(self) -> bool:
        return self.text.endswith("\n")


@dataclass(frozen=True)
class Measured:
    """A decoded input's length without its text: all `--dry-run` needs to place it in `context`."""

    path: str
    kind: str
    size: int
    chars: int
    ends_newline: bool
    encoding: str = "utf-8"
    pages: int = 0

    @classmethod
    def of(cls, part: Part) -> Measured:
        return cls(part.path, part.kind, part.size, part.chars, part.ends_newline, part.encoding, part.pages)


def header(path: str) -> str:
    """The line that opens each document when there are several (as `tail` prints them)."""
    return f"==> {path} <==\n"


def _document(part: Part | Measured, start: int, end: int) -> Document:
    return Document(part.path, part.kind, part.size, start, end, part.encoding, part.pages)


def _tail(ends_newline: bool) -> str:
    """What closes each document when there are several: one blank line before the next header."""
    return "\n" if ends_newline else "\n\n"


def place(parts: Sequence[Part | Measured]) -> tuple[list[Document], int]:
    """Where each part lands in `context`, and its total length: the one layout rule, shared by the
    real join and by --dry-run (which never builds the text). A lone input is its own text; several
    get a header each."""
    if len(parts) == 1:
        return [_document(parts[0], 0, parts[0].chars)], parts[0].chars
    documents: list[Document] = []
    offset = 0
    for p in parts:
        offset += len(header(p.path))
        documents.append(_document(p, offset, offset + p.chars))
        offset += p.chars + len(_tail(p.ends_newline))
    return documents, offset


class _Totals:
    """Counts shared by a loaded Corpus and a dry run's Inventory."""

    documents: list[Document]
    skipped: list[Skipped]

    @property
    def chars(self) -> int:
        raise NotImplementedError

    @property
    def bytes(self) -> int:
        return sum(d.size for d in self.documents)

    def estimated_tokens(self) -> int:
        """A tokenizer-free estimate (about four characters a token) that works offline."""
        return (self.chars + 3) // 4

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.reason] = counts.get(s.reason, 0) + 1
        return counts


@dataclass
class Inventory(_Totals):
    """What a load would produce, without the text: documents where they would land, skips, length."""

    documents: list[Document]
    skipped: list[Skipped]
    length: int

    @property
    def chars(self) -> int:
        return self.length

    @classmethod
    def from_parts(cls, parts: Sequence[Part | Measured], skipped: list[Skipped] | None = None) -> Inventory:
        documents, length = place(parts)
        return cls(documents, list(skipped or []), length)


@dataclass
class Corpus(_Totals):
    text: str
    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)
    _tools: CorpusTools | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_parts(cls, parts: list[Part], skipped: list[Skipped] | None = None) -> Corpus:
        """Join parts into one string, laid out by `place`."""
        documents, _ = place(parts)
        if len(parts) == 1:
            text = parts[0].text
        else:
            text = "".join(piece for p in parts for piece in (header(p.path), p.text, _tail(p.ends_newline)))
        return cls(text, documents, list(skipped or []))

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def lines(self) -> int:
        if not self.text:
            return 0
        return self.text.count("\n") + (0 if self.text.endswith("\n") else 1)

    def preview(self, chars: int = 400) -> tuple[str, str]:
        """A short head and tail so the model can see the shape of the input, not its content."""
        if len(self.text) <= 2 * chars:
            return self.text, ""
        return self.text[:chars], self.text[-chars:]

    def manifest(self) -> list[dict[str, Any]]:
        return [d.to_dict() for d in self.documents]

    def tools(self) -> CorpusTools:
        """grep / read / locate over this corpus, exactly as the REPL has them (built once: the line
        index it fills lazily is kept)."""
        if self._tools is None:
            from rlm_cli.repl.corpus_tools import CorpusTools

            self._tools = CorpusTools(self.text, self.manifest())
        return self._tools

    def locate(self, offset: int) -> str:
        """'path:line' of a character offset in `text`."""
        return self.tools().locate(offset)
