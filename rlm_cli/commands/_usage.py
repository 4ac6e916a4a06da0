"""Usage errors as one line: `rlm: error: --max-iterations must be at least 1 (see rlm ask --help)`.

Typer's bundled Click prints a four-line block (usage, hint, blank, `Error: ...`) with validator
wording; the root group runs Click in non-standalone mode and reports its exceptions itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from typer._click.exceptions import (
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperGroup
from typer.exceptions import Abort

from rlm_cli.render.safe_text import error_line

_REWORDED = (
    (re.compile(r"^Value error, (.*)$"), r"\1"),
    (re.compile(r"^Input should be greater than or equal to (\S+)$"), r"must be at least \1"),
    (re.compile(r"^Input should be greater than (\S+)$"), r"must be greater than \1"),
    (re.compile(r"^Input should be less than or equal to (\S+)$"), r"must be at most \1"),
    (re.compile(r"^Input should be less than (\S+)$"), r"must be less than \1"),
    (re.compile(r"^Input should be a valid integer.*$"), "must be a whole number"),
    (re.compile(r"^Input should be a valid number.*$"), "must be a number"),
    (re.compile(r"^Input should be a valid boolean.*$"), "must be true or false"),
)
_CHOICE = re.compile(r"^'(.*)' is not one of (.*?)\.?$")


def _one_line(text: str) -> str:
    return " ".join(text.split()).rstrip(".")


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _param_name(exc: BadParameter) -> str | None:
    param = exc.param
    if param is None:
        return None
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    if opts:
        return max(opts, key=len)
    return param.metavar or (param.name or "").upper()


def _reworded(detail: str) -> str:
    for pattern, replacement in _REWORDED:
        detail = pattern.sub(replacement, detail)
    choice = _CHOICE.match(detail)
    if choice:
        options = choice.group(2).replace("'", "")
        return f"must be one of {options}, got {choice.group(1)!r}"
    return detail


def describe(exc: UsageError) -> str:
    """What is wrong, in one line, naming the flag or argument."""
    name = _param_name(exc) if isinstance(exc, BadParameter) else None
    if isinstance(exc, MissingParameter):
        full = _one_line(exc.format_message())
        message = f"missing {(name or exc.param_type or 'value').split()[-1]}"
        if "Choose from: " in full:
            message += f" (one of {full.split('Choose from: ', 1)[1]})"
    elif name is not None:
        detail = _reworded(_one_line(exc.message))
        message = f"{name} {detail}" if detail.startswith("must ") else f"{name}: {detail}"
    elif isinstance(exc, NoSuchOption) and exc.possibilities:
        message = f"{_one_line(exc.message)} (did you mean {' or '.join(sorted(exc.possibilities))}?)"
    else:
        message = _one_line(exc.format_message())
    return _lower_first(message)


def _exit(message: str, code: int) -> NoReturn:
    sys.stderr.write(error_line(message))
    sys.stderr.flush()
    sys.exit(code)


class OneLineErrors(TyperGroup):
    """The root group: Click's usage errors become one `rlm: error:` line on stderr, exit 2."""

    def main(
        self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
        standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else (prog_name or "rlm")
            _exit(f"{describe(exc)} (see {where} --help)", exc.exit_code)
        except ClickException as exc:
            _exit(_one_line(exc.format_message()), exc.exit_code)
        except Abort:
            _exit("aborted", 1)
        sys.exit(code if isinstance(code, int) else 0)
