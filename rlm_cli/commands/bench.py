"""`rlm bench`: generated long-context tasks with known answers, `direct` and `rlm` side by side.

The table goes to stdout (or one JSON document with --json); a line per finished task goes to
stderr; the full results are saved under <data dir>/bench/ as they come in.
"""

from __future__ import annotations

import json
import shlex
import sys
from typing import Annotated, Any

import typer

from rlm_cli.commands._options import (
    BaseUrlOption,
    ModelOption,
    ProfileOption,
    PromptStyleOption,
    RequestTimeoutOption,
    SubModelOption,
)
from rlm_cli.commands._shared import note, user_errors
from rlm_cli.errors import ExitCode, RlmError, UsageError

DEFAULT_SIZES = "1x,5x,20x"


def _names(spec: str, known: tuple[str, ...] | list[str], what: str) -> list[str]:
    names = [n.strip() for n in spec.split(",") if n.strip()]
    for name in names:
        if name not in known:
            raise UsageError(f"unknown {what} {name!r}; choose from {', '.join(known)}")
    if not names:
        raise UsageError(f"no {what} given")
    return list(dict.fromkeys(names))


def _seeds(spec: str) -> list[int]:
    try:
        seeds = [int(s) for s in spec.split(",") if s.strip()]
    except ValueError:
        raise UsageError(f"bad --seeds {spec!r}: give integers separated by commas, e.g. 1,2,3") from None
    if not seeds:
        raise UsageError("no seeds given")
    return list(dict.fromkeys(seeds))


def bench(
    window: Annotated[
        int | None,
        typer.Option(
            "--window", metavar="TOKENS", min=1024,
            help="The model's context window in tokens (for direct and for 5x sizes).",
        ),
    ] = None,
    sizes: Annotated[
        str,
        typer.Option(
            "--sizes", metavar="SIZES",
            help="Input sizes: characters (8000, 64k, 1m) or window multiples (0.5x, 20x).",
        ),
    ] = DEFAULT_SIZES,
    families: Annotated[
        str | None, typer.Option("--families", metavar="NAMES", help="Task families, comma-separated (default: all).")
    ] = None,
    seeds: Annotated[
        str,
        typer.Option("--seeds", metavar="SEEDS", help="Seeds, comma-separated; one task per family, size and seed."),
    ] = "1",
    methods: Annotated[
        str,
        typer.Option("--methods", metavar="METHODS", help="direct, rlm or both (comma-separated)."),
    ] = "direct,rlm",
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", metavar="SECONDS", min=1.0,
            help="Seconds one rlm task may run (its rlm ask --timeout).",
        ),
    ] = 600.0,
    model: ModelOption = None,
    sub_model: SubModelOption = None,
    base_url: BaseUrlOption = None,
    max_iterations: Annotated[
        int | None, typer.Option("--max-iterations", metavar="N", min=1, help="Root turns per rlm task (default 20).")
    ] = None,
    request_timeout: RequestTimeoutOption = None,
    prompt_style: PromptStyleOption = None,
    profile: ProfileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the table.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")] = False,
) -> None:
    """Measure accuracy, tokens, cost and time on generated tasks with known answers."""
    flags = {"model": model, "sub_model": sub_model, "base_url": base_url, "max_iterations": max_iterations,
             "request_timeout": request_timeout, "prompt_style": prompt_style.value if prompt_style else None}
    with user_errors():
        try:
            code = _bench(window, sizes, families, seeds, methods, timeout, flags, profile, as_json, quiet)
        except KeyboardInterrupt:
            raise RlmError("interrupted (results so far are saved)", ExitCode.INTERRUPTED) from None
    raise typer.Exit(int(code))


def _bench(
    window: int | None, sizes: str, families: str | None, seeds: str, methods: str, timeout: float,
    flags: dict[str, Any], profile: str | None, as_json: bool, quiet: bool,
) -> ExitCode:
    from rlm_cli.bench import report, store, tasks
    from rlm_cli.bench.runner import METHODS, Outcome, Plan, run_plan
    from rlm_cli.bench.sizes import parse_sizes
    from rlm_cli.settings import check_flags, require_key, resolve_settings

    check_flags(flags)
    chosen_methods = _names(methods, METHODS, "method")
    if "direct" in chosen_methods and window is None:
        raise UsageError("the direct method needs the model's window: give --window TOKENS (or --methods rlm)")
    plan = Plan(
        families=_names(families, list(tasks.FAMILIES), "family") if families else list(tasks.FAMILIES),
        sizes=parse_sizes(sizes, window),
        seeds=_seeds(seeds),
        methods=chosen_methods,
        window=window,
        timeout=timeout,
    )
    settings = resolve_settings(flags, profile=profile)
    require_key(settings)
    bench_id = store.new_bench_id()
    outcomes: list[Outcome] = []
    document: dict[str, Any] = {
        "bench_id": bench_id,
        "command": shlex.join(["rlm", *sys.argv[1:]]),
        "settings": settings.public_dict(),
        "window": window,
        "sizes": [{"label": label, "chars": chars} for label, chars in plan.sizes],
        "families": list(plan.families),
        "seeds": list(plan.seeds),
        "methods": list(plan.methods),
        "timeout": timeout,
        "tasks": [],
        "summary": [],
        "complete": False,
    }
    path = store.save(bench_id, document)
    total = len(plan.sizes) * len(plan.families) * len(plan.seeds) * len(plan.methods)
    if not quiet:
        note(f"bench {bench_id}: {total} runs with {settings.model} at {settings.base_url}; results in {path}")

    def progress(outcome: Outcome) -> None:
        outcomes.append(outcome)
        document["tasks"] = [o.to_dict() for o in outcomes]
        store.save(bench_id, document)
        if not quiet:
            failed = f" [{outcome.status}: {outcome.error}]" if outcome.error else ""
            note(
                f"[{len(outcomes)}/{total}] {outcome.family} {outcome.size_label} seed {outcome.seed} "
                f"{outcome.method}: score {outcome.score:.2f}, "
                f"{outcome.input_tokens + outcome.output_tokens} tokens, {outcome.seconds:.1f}s{failed}"
            )

    run_plan(plan, settings, tasks.generate, progress)
    rows = report.summarise(outcomes, plan.methods)
    document.update(summary=rows, complete=True)
    store.save(bench_id, document)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(report.render_table(rows, plan.methods))
    sys.stdout.flush()
    if not quiet:
        note(f"results saved to {path}")
    if outcomes and all(o.status == "error" for o in outcomes):
        raise RlmError(f"every task failed; the first: {outcomes[0].error}", ExitCode.MODEL)
    return ExitCode.OK
