"""The command line: parse, build settings, call the engine, render, exit. Nothing else lives here.

Heavy modules (openai, pypdf, rich, the engine) are imported inside commands so `rlm --help`
and `rlm --version` stay instant.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from rlm_cli import __version__, stops
from rlm_cli.commands import bench as bench_cmd
from rlm_cli.commands import cache as cache_cmd
from rlm_cli.commands import completions as completions_cmd
from rlm_cli.commands import config as config_cmd
from rlm_cli.commands import doctor as doctor_cmd
from rlm_cli.commands import history as history_cmd
from rlm_cli.commands import models as models_cmd
from rlm_cli.commands._help import ReadableCommand
from rlm_cli.commands._options import (
    BaseUrlOption,
    ModelOption,
    ProfileOption,
    PromptStyleOption,
    RequestTimeoutOption,
    SubModelOption,
)
from rlm_cli.commands._usage import OneLineErrors
from rlm_cli.errors import EXIT_CODE_MEANINGS, ExitCode, RlmError, UsageError
from rlm_cli.render.safe_text import error_line

EXIT_CODES_HELP = "Exit codes: " + "; ".join(f"{int(c)} {m}" for c, m in EXIT_CODE_MEANINGS.items()) + "."

app = typer.Typer(
    name="rlm",
    help="Answer questions over inputs far larger than a model's context window (Recursive Language Models).",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=OneLineErrors,
)


class SandboxMode(StrEnum):
    on = "on"
    off = "off"


def _version(value: bool) -> None:
    if value:
        print(f"rlm {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """rlm: the input never goes into the prompt; the model explores it with code."""


def _debug() -> bool:
    return os.environ.get("RLM_DEBUG", "") not in ("", "0")


def _fail(message: str, code: ExitCode) -> typer.Exit:
    sys.stderr.write(error_line(message))
    sys.stderr.flush()
    return typer.Exit(int(code))


def _split_inputs(inputs: list[str]) -> tuple[list[str], str]:
    if not inputs:
        raise UsageError("missing QUESTION: rlm ask [PATH ...] QUESTION")
    *paths, question = inputs
    if not question.strip():
        raise UsageError("the question is empty")
    from rlm_cli.question import check_question

    return paths, check_question(question)


def _stdin_paths(paths: list[str]) -> list[str]:
    """With no PATH, piped stdin is the input; a terminal or a closed stdin is a clear error."""
    if paths:
        return paths
    if sys.stdin is None or sys.stdin.closed:
        raise RlmError("no input: give a PATH, or pipe text into rlm (stdin is closed)", ExitCode.INPUT)
    if sys.stdin.isatty():
        raise RlmError("no input: give a PATH, or pipe text into rlm", ExitCode.INPUT)
    return ["-"]


@app.command(epilog=EXIT_CODES_HELP, cls=ReadableCommand)
def ask(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="[PATH]... QUESTION",
            help="Files or directories to ask about ('-' is stdin; with none, piped stdin), then the question.",
            show_default=False,
        ),
    ],
    model: ModelOption = None,
    sub_model: SubModelOption = None,
    base_url: BaseUrlOption = None,
    max_iterations: Annotated[
        int | None,
        typer.Option("--max-iterations", metavar="N", min=1, help="Root turns before a last call (default 20)."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", metavar="N", min=1, help="Sub-calls in flight at once (default 8).")
    ] = None,
    output_limit: Annotated[
        int | None,
        typer.Option(
            "--output-limit", metavar="CHARS", min=100,
            help="Characters of REPL output shown to the model (default 4000).",
        ),
    ] = None,
    request_timeout: RequestTimeoutOption = None,
    prompt_style: PromptStyleOption = None,
    cell_timeout: Annotated[
        float | None,
        typer.Option(
            "--cell-timeout", metavar="SECONDS", min=0.1,
            help="Seconds one REPL cell may run before it is interrupted (default 60).",
        ),
    ] = None,
    sandbox: Annotated[
        SandboxMode | None,
        typer.Option(
            "--sandbox",
            help="on: model code cannot reach the network, other files or processes; off: it runs with your "
            "permissions (default on).",
        ),
    ] = None,
    max_depth: Annotated[
        int | None,
        typer.Option(
            "--max-depth", metavar="N", min=1, help="Levels of rlm_query children; 1: plain sub-calls (default 1).",
        ),
    ] = None,
    max_subcalls: Annotated[
        int | None,
        typer.Option("--max-subcalls", metavar="N", min=0, help="Sub-calls for the whole run (default unlimited)."),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(
            "--max-tokens", metavar="N", min=1,
            help="Tokens for the whole run, all calls (default unlimited).",
        ),
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost", metavar="USD",
            help="USD for the whole run, by the price table (default unlimited).",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", metavar="SECONDS",
            help="Seconds of wall clock for the whole run (default unlimited).",
        ),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the sub-call cache.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document with the answer and usage.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Print one JSON event per line on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Show only the answer and errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show full code and outputs.")] = False,
    profile: ProfileOption = None,
    include: Annotated[
        list[str] | None, typer.Option("--include", metavar="GLOB", help="Only files matching this glob (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", metavar="GLOB", help="Leave out paths matching this glob (repeatable)."),
    ] = None,
    ext: Annotated[
        list[str] | None,
        typer.Option("--ext", metavar="EXT", help="Only these extensions, e.g. --ext py,md (repeatable)."),
    ] = None,
    hidden: Annotated[bool, typer.Option("--hidden", help="Also read hidden files and directories.")] = False,
    no_ignore: Annotated[
        bool, typer.Option("--no-ignore", help="Ignore .gitignore/.ignore files and the default ignores.")
    ] = False,
    max_file_size: Annotated[
        str | None, typer.Option("--max-file-size", metavar="SIZE", help="Skip files larger than this (e.g. 10M).")
    ] = None,
    max_input_size: Annotated[
        str | None, typer.Option("--max-input-size", metavar="SIZE", help="Fail if the input is larger (default 4G).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be loaded (files, sizes, tokens); no model call.")
    ] = False,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="Do not keep this run in the run history (`rlm logs`).")
    ] = False,
    html: Annotated[
        str | None, typer.Option("--html", metavar="PATH", help="Also write the run as one HTML report.")
    ] = None,
) -> None:
    """Ask QUESTION about the PATHs (or stdin). The answer goes to stdout, progress to stderr."""
    if as_json and jsonl:
        raise _fail("--json and --jsonl cannot be used together", ExitCode.USAGE)
    if quiet and verbose:
        raise _fail("--quiet and --verbose cannot be used together", ExitCode.USAGE)
    ingest = {
        "include": include, "exclude": exclude, "ext": ext, "hidden": hidden, "no_ignore": no_ignore,
        "max_file_size": max_file_size, "max_input_size": max_input_size,
    }
    try:
        stops.require_stdout()
        if dry_run:
            from rlm_cli.ingest.report import dry_run as show_manifest

            raise typer.Exit(show_manifest(inputs, ingest, as_json, _stdin_paths))
        result = _ask(
            inputs,
            {
                "model": model,
                "sub_model": sub_model,
                "base_url": base_url,
                "max_iterations": max_iterations,
                "concurrency": concurrency,
                "output_limit": output_limit,
                "request_timeout": request_timeout,
                "prompt_style": prompt_style.value if prompt_style else None,
                "cell_timeout": cell_timeout,
                "sandbox": sandbox.value if sandbox else None,
                "max_depth": max_depth,
                "max_subcalls": max_subcalls,
                "max_tokens": max_tokens,
                "max_cost": max_cost,
                "timeout": timeout,
                "cache": False if no_cache else None,
                "log": False if no_log else None,
            },
            profile=profile,
            mode="json" if as_json else "jsonl" if jsonl else "text",
            verbosity=0 if quiet else 2 if verbose else 1,
            ingest=ingest,
            html=html,
        )
    except RlmError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        if stops.stdout_gone():
            raise typer.Exit(int(ExitCode.BROKEN_PIPE)) from None
        raise _fail("interrupted", ExitCode.INTERRUPTED) from None
    raise typer.Exit(int(result))


def _ask(
    inputs: list[str], flags: dict[str, Any], profile: str | None, mode: str, verbosity: int,
    ingest: dict[str, Any] | None = None, html: str | None = None,
) -> ExitCode:
    from rlm_cli.engine.loop import run
    from rlm_cli.events import InputLoaded
    from rlm_cli.ingest import load_corpus, options_from_flags
    from rlm_cli.render import renderer
    from rlm_cli.render.answer import print_answer
    from rlm_cli.settings import check_flags, require_key, resolve_settings
    from rlm_cli.trace import recorder_for

    paths, question = _split_inputs(inputs)
    check_flags(flags)
    settings = resolve_settings(flags, profile=profile)
    require_key(settings)
    corpus = load_corpus(_stdin_paths(paths), options_from_flags(ingest or {}), notify=_notify)
    recorder = recorder_for(settings, corpus, html)
    if mode != "jsonl" and verbosity > 0:
        sys.stderr.write(_loaded_line(corpus) + "\n")
    with renderer(mode == "jsonl", verbosity) as view:
        emit = recorder.wrap(stops.guard_stdout(view) if mode == "jsonl" else view)
        emit(
            InputLoaded(
                documents=len(corpus.documents), chars=corpus.chars, bytes=corpus.bytes,
                skipped=corpus.skipped_by_reason(),
            )
        )
        result = run(question, corpus, settings, emit)
    if result.status == "interrupted":
        follows = "the best partial answer follows (not confirmed)" if result.answer is not None else "no answer yet"
        if not stops.stdout_gone():
            sys.stderr.write(f"rlm: interrupted: {follows}\n")
    elif result.error and result.status == "error":
        sys.stderr.write(error_line(result.error))
    elif result.status == "exhausted":
        follows = "best answer so far follows" if result.answer is not None else "no answer yet"
        sys.stderr.write(f"rlm: warning: {result.error}; {follows}\n")
    elif not result.confirmed and result.answer is not None and verbosity > 0 and mode != "jsonl":
        sys.stderr.write(f"rlm: warning: answer not confirmed ({result.status}); best answer follows\n")
    elif not result.confirmed and result.answer is None and mode != "jsonl":
        sys.stderr.write(f"rlm: warning: no answer ({result.status}) after {result.iterations} iteration(s)\n")
    try:
        if mode == "json":
            sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
        elif mode == "text" and result.answer is not None:
            print_answer(result.answer, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        stops.stdout_closed()
    recorder.finish()
    return ExitCode.BROKEN_PIPE if stops.stdout_gone() else result.exit_code


def _loaded_line(corpus: Any) -> str:
    from rlm_cli.ingest.report import summary_line

    return summary_line(corpus)


def _notify(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


app.add_typer(config_cmd.app, name="config")
app.add_typer(cache_cmd.app, name="cache")
app.command("doctor")(doctor_cmd.doctor)
app.command("models")(models_cmd.models)
app.command("completions", cls=ReadableCommand)(completions_cmd.completions)
app.command("bench")(bench_cmd.bench)
app.command("logs")(history_cmd.logs)
app.command("show", cls=ReadableCommand)(history_cmd.show)


def _exit_without_waiting(code: int = int(ExitCode.INTERRUPTED)) -> None:
    """After Ctrl-C, sub-call threads may still be waiting on the network; exiting normally would
    join them (for up to --request-timeout). Everything the user needs is printed: leave now."""
    import threading

    main_thread = threading.main_thread()
    if any(t.is_alive() and not t.daemon and t is not main_thread for t in threading.enumerate()):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def main() -> None:
    """Console entry point: every error is one line on stderr unless RLM_DEBUG asks for a traceback."""
    completions_cmd.enable_if_requested()
    stops.install()
    try:
        app(prog_name="rlm", standalone_mode=True)
    except SystemExit as exc:
        if exc.code == int(ExitCode.INTERRUPTED):
            _exit_without_waiting(stops.exit_code())
            sys.exit(stops.exit_code())
        raise
    except KeyboardInterrupt:
        sys.stderr.write("rlm: interrupted\n")
        _exit_without_waiting(stops.exit_code())
        sys.exit(stops.exit_code())
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if _debug():
            raise
        sys.stderr.write(f"rlm: internal error: {type(exc).__name__}: {exc} (set RLM_DEBUG=1 for a traceback)\n")
        sys.exit(int(ExitCode.INTERNAL))
