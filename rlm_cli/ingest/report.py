"""What was loaded and what was not, for people: the stderr summary line and the --dry-run manifest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rlm_cli.corpus import Corpus, Inventory
from rlm_cli.ingest.sizes import format_size

# Left out by a rule the user can change, with the flag that changes it.
RULES = {"ignored": "--no-ignore", "default ignore": "--no-ignore", "hidden": "--hidden", "filtered": None}


def _counts(counts: dict[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{n:,} {reason}" for reason, n in ordered)


def summary_line(corpus: Corpus | Inventory) -> str:
    """One line: files, bytes, tokens, then what was skipped (problems) and left out (rules), by reason."""
    docs = len(corpus.documents)
    line = (
        f"rlm: loaded {docs:,} file{'' if docs == 1 else 's'}, {format_size(corpus.bytes)}, "
        f"{corpus.chars:,} chars (~{corpus.estimated_tokens():,} tokens)"
    )
    by_reason = corpus.skipped_by_reason()
    problems = {r: n for r, n in by_reason.items() if r not in RULES}
    rules = {r: n for r, n in by_reason.items() if r in RULES}
    if problems:
        line += f"; skipped {_counts(problems)}"
    if rules:
        flags = sorted({f for r in rules if (f := RULES[r])})
        line += f"; left out {_counts(rules)}" + (f" (see {', '.join(flags)})" if flags else "")
    return line


def manifest_text(corpus: Corpus | Inventory) -> str:
    """The --dry-run table: one row per document, then the skipped files with their reasons."""
    rows = [f"{'bytes':>12}  {'~tokens':>10}  {'kind':<10}  path"]
    for d in corpus.documents:
        extra = f"  [{d.pages} pages]" if d.pages else ""
        if d.encoding not in ("utf-8", ""):
            extra = f"  [{d.encoding}]"
        rows.append(f"{d.size:>12,}  {(d.end - d.start + 3) // 4:>10,}  {d.kind:<10}  {d.path}{extra}")
    for s in corpus.skipped:
        detail = f" ({s.detail})" if s.detail else ""
        rows.append(f"{'-':>12}  {'-':>10}  {'skipped':<10}  {s.path}: {s.reason}{detail}")
    rows.append(summary_line(corpus).removeprefix("rlm: "))
    return "\n".join(rows) + "\n"


def manifest_json(corpus: Corpus | Inventory) -> dict[str, Any]:
    return {
        "documents": [
            {**d.to_dict(), "estimated_tokens": (d.end - d.start + 3) // 4} for d in corpus.documents
        ],
        "skipped": [{"path": s.path, "reason": s.reason, "detail": s.detail} for s in corpus.skipped],
        "totals": {
            "files": len(corpus.documents),
            "bytes": corpus.bytes,
            "chars": corpus.chars,
            "estimated_tokens": corpus.estimated_tokens(),
            "skipped": corpus.skipped_by_reason(),
        },
    }


def dry_run(
    inputs: list[str], flags: dict[str, Any], as_json: bool, stdin_paths: Callable[[list[str]], list[str]]
) -> int:
    """`rlm ask --dry-run`: decide exactly as a run would, print the manifest on stdout, call no model
    and build no `context` (lengths only). The question may be left out: when the last argument is
    an existing path, all are paths; over --max-input-size, the manifest is printed, then the error."""
    import os
    import sys

    from rlm_cli.ingest import OverLimit, measure_corpus, options_from_flags

    paths = list(inputs)
    if paths and paths[-1] != "-" and not os.path.lexists(paths[-1]):
        paths.pop()
    notify = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    try:
        corpus = measure_corpus(stdin_paths(paths), options_from_flags(flags), notify=notify)
    except OverLimit as over:
        if over.inventory is None:
            raise
        _print_manifest(over.inventory, as_json)
        raise
    _print_manifest(corpus, as_json)
    return 0


def _print_manifest(corpus: Inventory, as_json: bool) -> None:
    import json
    import sys

    if as_json:
        sys.stdout.write(json.dumps(manifest_json(corpus), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(manifest_text(corpus))
    sys.stdout.flush()
