"""Summaries of bench outcomes: one row per (family, size), the methods side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rlm_cli.bench.runner import Outcome


@dataclass(frozen=True)
class Cell:
    """One method on one (family, size): means over the seeds."""

    accuracy: float
    tokens: float
    cost: float | None
    seconds: float
    tasks: int
    failures: int

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": round(self.accuracy, 4), "tokens": round(self.tokens, 1),
                "cost": None if self.cost is None else round(self.cost, 6), "seconds": round(self.seconds, 2),
                "tasks": self.tasks, "failures": self.failures}


def _cell(outcomes: Sequence[Outcome]) -> Cell:
    n = len(outcomes)
    costs = [o.cost for o in outcomes]
    return Cell(
        accuracy=sum(o.score for o in outcomes) / n,
        tokens=sum(o.input_tokens + o.output_tokens for o in outcomes) / n,
        cost=None if any(c is None for c in costs) else sum(c for c in costs if c is not None) / n,
        seconds=sum(o.seconds for o in outcomes) / n,
        tasks=n,
        failures=sum(o.status in ("error", "timeout") for o in outcomes),
    )


def summarise(outcomes: Sequence[Outcome], methods: Sequence[str]) -> list[dict[str, Any]]:
    """Rows in run order: family, size label, size in chars, and a Cell per method."""
    keys: list[tuple[str, str, int]] = []
    for o in outcomes:
        key = (o.family, o.size_label, o.size)
        if key not in keys:
            keys.append(key)
    rows = []
    for family, label, size in sorted(keys, key=lambda k: (k[0], k[2])):
        row: dict[str, Any] = {"family": family, "size": label, "chars": size}
        for method in methods:
            mine = [o for o in outcomes if (o.family, o.size_label, o.method) == (family, label, method)]
            if mine:
                row[method] = _cell(mine).to_dict()
        rows.append(row)
    return rows


def _fmt_tokens(value: float) -> str:
    return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"


def _columns(rows: Sequence[dict[str, Any]], methods: Sequence[str]) -> list[str]:
    """acc, tokens and time always; cost only when some cost is known, fail only when some task failed."""
    cells = [row[m] for row in rows for m in methods if m in row]
    columns = ["acc", "tokens"]
    if any(c["cost"] is not None for c in cells):
        columns.append("cost")
    columns.append("time")
    if any(c["failures"] for c in cells):
        columns.append("failed")
    return columns


def _fmt(column: str, cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "-"
    if column == "acc":
        return f"{cell['accuracy']:.2f}"
    if column == "tokens":
        value = cell["tokens"]
        return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"
    if column == "cost":
        return "-" if cell["cost"] is None else f"${cell['cost']:.4f}"
    if column == "time":
        return f"{cell['seconds']:.1f}s"
    return f"{cell['failures']}/{cell['tasks']}"


def render_table(rows: Sequence[dict[str, Any]], methods: Sequence[str]) -> str:
    """A plain aligned table, methods side by side under a group header (means over seeds)."""
    columns = _columns(rows, methods)
    header = ["family", "size", "chars"] + columns * len(methods)
    body = [
        [row["family"], row["size"], f"{row['chars']:,}"] + [_fmt(c, row.get(m)) for m in methods for c in columns]
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in pairs)

    groups = [" " * (sum(widths[:3]) + 4)]
    span = len(columns)
    for k, method in enumerate(methods):
        group_width = sum(widths[3 + k * span : 3 + (k + 1) * span]) + 2 * (span - 1)
        groups.append(method.center(group_width, "-"))
    return "\n".join(["  ".join(groups), line(header), *map(line, body)]).rstrip() + "\n"
