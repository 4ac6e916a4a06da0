"""README's reference stays in step with the CLI: every command, flag, setting and RLM_* variable.

Everything is derived from the Typer app and the code, so a flag added anywhere must be documented
(and a documented flag must exist). A failure lists exactly what to add or remove. README format:
a heading naming `rlm NAME` (or `rlm` for the global options) starts that command's flags; the
first cell of each table row under it names the flags (`-m, --model`, `rlm config show [--json]`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import typer.main

from rlm_cli.cli import app
from rlm_cli.errors import EXIT_CODE_MEANINGS
from rlm_cli.settings import SETTING_NAMES, env_name

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
HEADING = re.compile(r"^#{2,4} .*?`rlm(?: ([a-z][\w-]*))?`")
FLAG = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")
ENV_IN_CODE = re.compile(r"""["'](RLM_[A-Z][A-Z0-9_]*)["']""")


def cli_flags() -> dict[str, set[str]]:
    """Top-level command -> every option string of it and its subcommands ("" is the root)."""
    out: dict[str, set[str]] = defaultdict(set)

    def walk(command: object, top: str) -> None:
        for param in getattr(command, "params", []):
            if getattr(param, "param_type_name", "") == "option":
                out[top].update(o for o in (*param.opts, *param.secondary_opts) if o != "--help")
        for name, sub in getattr(command, "commands", {}).items():
            out.setdefault(top or name, set())
            walk(sub, top or name)

    walk(typer.main.get_command(app), "")
    return dict(out)


def readme_flags() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    current: str | None = None
    for line in README.splitlines():
        if line.startswith("#"):
            match = HEADING.match(line)
            current = (match.group(1) or "") if match else None
            if current is not None:
                out.setdefault(current, set())
        elif current is not None and line.startswith("|") and not line.startswith("| ---"):
            first_cell = line.split("|")[1]
            out[current].update(f for f in FLAG.findall(first_cell) if f != "--help")
    return dict(out)


def test_every_command_has_a_reference_section() -> None:
    missing = sorted(set(cli_flags()) - set(readme_flags()))
    assert not missing, "README.md has no heading naming: " + ", ".join(f"`rlm {c}`" for c in missing)


def label(command: str, flag: str) -> str:
    return " ".join(part for part in ("rlm", command, flag) if part)


def test_every_flag_is_documented_and_every_documented_flag_exists() -> None:
    cli, readme = cli_flags(), readme_flags()
    missing = [label(cmd, flag) for cmd in sorted(cli) for flag in sorted(cli[cmd] - readme.get(cmd, set()))]
    extra = [label(cmd, flag) for cmd in sorted(readme) for flag in sorted(readme[cmd] - cli.get(cmd, set()))]
    problems = []
    if missing:
        problems.append("flags missing from README.md (add a table row under the command's heading): "
                        + "; ".join(missing))
    if extra:
        problems.append("flags in README.md that the CLI does not have: " + "; ".join(extra))
    assert not problems, "\n".join(problems)


def config_keys_table() -> set[str]:
    section = README.split("### Config keys", 1)[1].split("\n#", 1)[0]
    return {m.group(1) for m in re.finditer(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)}


def test_every_setting_is_a_documented_config_key_with_its_variable() -> None:
    documented = config_keys_table()
    missing = [name for name in SETTING_NAMES if name not in documented]
    extra = sorted(documented - set(SETTING_NAMES))
    no_env = [env_name(name) for name in SETTING_NAMES if f"`{env_name(name)}`" not in README]
    assert not missing, "config keys missing from README.md's Config keys table: " + ", ".join(missing)
    assert not extra, "README.md's Config keys table lists keys that do not exist: " + ", ".join(extra)
    assert not no_env, "environment variables missing from README.md: " + ", ".join(no_env)


def test_every_rlm_variable_the_code_reads_is_documented() -> None:
    used = {m.group(1) for path in (ROOT / "rlm_cli").rglob("*.py") for m in ENV_IN_CODE.finditer(path.read_text())}
    missing = sorted(name for name in used if f"`{name}`" not in README)
    assert not missing, "environment variables the code reads but README.md does not name: " + ", ".join(missing)


def test_every_exit_code_is_in_the_table() -> None:
    rows = {int(m.group(1)): m.group(2) for m in re.finditer(r"^\| (\d+) \| (.+) \|$", README, re.MULTILINE)}
    missing = [f"{int(code)} {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items() if int(code) not in rows]
    assert not missing, "exit codes missing from README.md: " + "; ".join(missing)
    assert set(rows) == {int(code) for code in EXIT_CODE_MEANINGS}
