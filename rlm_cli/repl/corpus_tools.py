"""Where things are in `context`: `grep` with path:line, `read` lines of a file, `locate` an offset.

Stdlib only: the REPL worker loads this file by path, and the host uses it too. Line numbers come
from a sparse newline index (one count per 64K-character block) built on first use, so nothing is
done per line at load time and a lookup costs at most one block scan, even on a 1 GB context.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from typing import Any

BLOCK = 1 << 16
PAGE_MARK = "--- page "
MAX_LINE_SHOWN = 300


class LineIndex:
    """Line numbers of offsets and offsets of lines in one text, through a lazily built block index."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._cum: list[int] | None = None

    def _blocks(self) -> list[int]:
        """cum[i] is the number of newlines in text[:i * BLOCK]."""
        if self._cum is None:
            text, cum, seen = self.text, [0], 0
            for start in range(0, len(text), BLOCK):
                seen += text.count("\n", start, start + BLOCK)
                cum.append(seen)
            self._cum = cum
        return self._cum

    def line_of(self, offset: int) -> int:
        """1-based line number of the character at `offset`."""
        offset = max(0, min(offset, len(self.text)))
        block = offset // BLOCK
        return self._blocks()[block] + self.text.count("\n", block * BLOCK, offset) + 1

    def offset_of(self, line: int) -> int:
        """Offset where 1-based `line` starts (len(text) when past the end)."""
        target = line - 1
        if target <= 0:
            return 0
        cum = self._blocks()
        if target > cum[-1]:
            return len(self.text)
        block = bisect.bisect_left(cum, target) - 1
        pos, seen = block * BLOCK, cum[block]
        while seen < target:
            pos = self.text.index("\n", pos) + 1
            seen += 1
        return pos


class Match:
    """One grep hit: where it is (path, line, page for PDFs, offset in `context`) and its line."""

    __slots__ = ("path", "line", "text", "offset", "page")

    def __init__(self, path: str, line: int, text: str, offset: int, page: int | None) -> None:
        self.path = path
        self.line = line
        self.text = text
        self.offset = offset
        self.page = page

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" + (f" (page {self.page})" if self.page else "")

    def __repr__(self) -> str:
        return f"{self.where}: {self.text}"

    __str__ = __repr__


class Matches(list):  # type: ignore[type-arg]
    """A list of Match that prints one `path:line: text` per line."""

    stopped_at: int | None = None

    def __repr__(self) -> str:
        lines = [repr(m) for m in self]
        if self.stopped_at is not None:
            lines.append(f"... stopped at max_matches={self.stopped_at}: narrow the pattern or raise it")
        return "\n".join(lines) if lines else "(no matches)"

    __str__ = __repr__


class CorpusTools:
    """grep / read / locate over `context` and its `documents` (dicts with path, kind, start, end)."""

    def __init__(self, context: str, documents: list[dict[str, Any]]) -> None:
        self.context = context
        self.documents = documents or [{"path": "context", "kind": "text", "start": 0, "end": len(context)}]
        self.starts = [int(d["start"]) for d in self.documents]
        self.index = LineIndex(context)

    def _doc_at(self, offset: int) -> dict[str, Any]:
        return self.documents[max(0, bisect.bisect_right(self.starts, offset) - 1)]

    def _line_in(self, doc: dict[str, Any], offset: int) -> int:
        return self.index.line_of(offset) - self.index.line_of(doc["start"]) + 1

    def _page(self, doc: dict[str, Any], offset: int) -> int | None:
        if doc.get("kind") != "pdf":
            return None
        at = self.context.rfind(PAGE_MARK, doc["start"], offset + 1)
        if at < 0:
            return None
        digits = re.match(r"\d+", self.context[at + len(PAGE_MARK) : at + len(PAGE_MARK) + 12])
        return int(digits.group()) if digits else None

    def find_documents(self, path: str) -> list[dict[str, Any]]:
        """Documents whose path is `path`, matches it as a glob, or ends with it (`a.py` finds `src/a.py`)."""
        exact = [d for d in self.documents if d["path"] == path]
        if exact:
            return exact
        if any(ch in path for ch in "*?["):
            return [d for d in self.documents if fnmatch.fnmatchcase(d["path"], path)]
        tail = path.lstrip("./")
        return [d for d in self.documents if d["path"] == tail or d["path"].endswith("/" + tail)]

    def locate(self, offset: int) -> str:
        """'path:line' (with the page for PDFs) of a character offset in `context`."""
        offset = int(offset)
        if not 0 <= offset <= len(self.context):
            raise ValueError(f"locate: offset {offset} is outside context (0..{len(self.context)})")
        doc = self._doc_at(offset)
        offset = max(offset, doc["start"])
        page = self._page(doc, offset)
        return f"{doc['path']}:{self._line_in(doc, offset)}" + (f" (page {page})" if page else "")

    def grep(
        self, pattern: str | re.Pattern[str], path: str | None = None, ignore_case: bool = False,
        max_matches: int = 200,
    ) -> Matches:
        """Regex search (^ and $ match at line ends); each hit knows its path, line and full line text."""
        if isinstance(pattern, str):
            pattern = re.compile(pattern, re.MULTILINE | (re.IGNORECASE if ignore_case else 0))
        docs = self.documents if path is None else self.find_documents(path)
        if path is not None and not docs:
            raise ValueError(f"grep: no document matches path {path!r}")
        found = Matches()
        text = self.context
        for doc in docs:
            start, end = int(doc["start"]), int(doc["end"])
            base = line = counted_to = -1
            for m in pattern.finditer(text, start, end):
                if len(found) >= max_matches:
                    found.stopped_at = max_matches
                    return found
                at = m.start()
                if base < 0:  # line numbers only for documents with a hit
                    base = self.index.line_of(start)
                    line, counted_to = base, start
                line += text.count("\n", counted_to, at)
                counted_to = at
                head = text.rfind("\n", start, at) + 1 or start
                tail = text.find("\n", at, end)
                shown = text[max(head, start) : end if tail < 0 else tail]
                if len(shown) > MAX_LINE_SHOWN:
                    shown = shown[:MAX_LINE_SHOWN] + " ..."
                found.append(Match(doc["path"], line - base + 1, shown, at, self._page(doc, at)))
        return found

    def read(self, path: str, start_line: int = 1, end_line: int | None = None) -> str:
        """Lines start_line..end_line (1-based, inclusive; None: to the end) of one document."""
        docs = self.find_documents(path)
        if len(docs) != 1:
            names = ", ".join(d["path"] for d in docs[:5]) or "none"
            raise ValueError(f"read: {len(docs)} documents match {path!r} ({names}); give the full path")
        doc = docs[0]
        start, end = int(doc["start"]), int(doc["end"])
        first = self.index.line_of(start) + max(1, int(start_line)) - 1
        lo = max(start, self.index.offset_of(first))
        if end_line is None:
            return self.context[lo:end]
        hi = self.index.offset_of(first + int(end_line) - max(1, int(start_line)) + 1)
        hi = min(end, hi)
        if hi > lo and self.context[hi - 1] == "\n":
            hi -= 1
        return self.context[lo:hi]
