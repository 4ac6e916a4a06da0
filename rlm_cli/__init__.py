"""rlm: answer questions over inputs far larger than a model's context window."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Result", "ask", "__version__"]


def __getattr__(name: str) -> Any:
    """`rlm_cli.ask` and `rlm_cli.Result` load the engine on first use, so `import rlm_cli` stays light."""
    if name == "ask":
        from rlm_cli.api import ask

        return ask
    if name == "Result":
        from rlm_cli.engine.result import Result

        return Result
    raise AttributeError(f"module 'rlm_cli' has no attribute {name!r}")
