"""The input as the REPL sees it: one `context` string and where every part of it came from."""

from __future__ import annotations

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


def header(path: str) -> str:
    """The line that opens each document when there are several (as `tail` prints them)."""
    return f"==> {path} <==\n"


def _document(part: Part, start: int, end: int) -> Document:
    return Document(part.path, part.kind, part.size, start, end, part.encoding, part.pages)


@dataclass
class Corpus:
    text: str
    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)
    _tools: CorpusTools | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_parts(cls, parts: list[Part], skipped: list[Skipped] | None = None) -> Corpus:
        """Join parts into one string. A lone input is its own text; several get a header each."""
        skipped = list(skipped or [])
        if len(parts) == 1:
            p = parts[0]
            return cls(p.text, [_document(p, 0, len(p.text))], skipped)
        pieces: list[str] = []
        documents: list[Document] = []
        offset = 0
        for p in parts:
            head = header(p.path)
            pieces.append(head)
            offset += len(head)
            pieces.append(p.text)
            documents.append(_document(p, offset, offset + len(p.text)))
            offset += len(p.text)
            tail = "\n" if p.text.endswith("\n") else "\n\n"
            pieces.append(tail)
            offset += len(tail)
        return cls("".join(pieces), documents, skipped)

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def bytes(self) -> int:
        return sum(d.size for d in self.documents)

    @property
    def lines(self) -> int:
        if not self.text:
            return 0
        return self.text.count("\n") + (0 if self.text.endswith("\n") else 1)

    def estimated_tokens(self) -> int:
        """A tokenizer-free estimate (about four characters a token) that works offline."""
        return (len(self.text) + 3) // 4

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.reason] = counts.get(s.reason, 0) + 1
        return counts

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
