"""What model calls cost: a shipped price table for common models, overridable in config.toml.

Prices are USD per million tokens, list prices for standard (non-batch, non-cached-input) use as
published by the providers in 2025. They go stale: a `[prices."model-name"]` table in the config
file (`input = 0.40`, `output = 1.60`) overrides or adds a model. A model with no known price has
no cost (None), and asking for a cost limit on it is a config error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rlm_cli.errors import ConfigError


@dataclass(frozen=True)
class Price:
    """USD per million input and output tokens."""

    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


SHIPPED: dict[str, Price] = {
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "o3": Price(2.00, 8.00),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    "claude-opus-4": Price(15.00, 75.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-sonnet-4-5": Price(3.00, 15.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-haiku": Price(0.80, 4.00),
    "gemini-2.5-pro": Price(1.25, 10.00),
    "gemini-2.5-flash": Price(0.30, 2.50),
}

_DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


def _normal(model: str) -> str:
    """`openai/gpt-4.1-mini-2025-04-14` and `gpt-4.1-mini` name the same price."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    return _DATED.sub("", name)


def parse_overrides(table: Any, origin: str) -> dict[str, Price]:
    """The `[prices]` table of a config file; anything malformed is a ConfigError naming it."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{origin}: [prices] must be a table of models")
    out: dict[str, Price] = {}
    for model, entry in table.items():
        where = f'{origin}: [prices."{model}"]'
        if not isinstance(entry, Mapping) or set(entry) != {"input", "output"}:
            raise ConfigError(f"{where} needs exactly `input` and `output` (USD per 1M tokens)")
        values = []
        for key in ("input", "output"):
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{where} {key} must be a number of USD per 1M tokens, got {value!r}")
            values.append(float(value))
        out[str(model)] = Price(*values)
    return out


class PriceTable:
    """Shipped prices with the user's overrides on top; lookups forgive provider prefixes and dates."""

    def __init__(self, overrides: Mapping[str, Price] | None = None) -> None:
        self._prices = {_normal(k): v for k, v in SHIPPED.items()}
        self._exact = dict(overrides or {})
        self._prices.update({_normal(k): v for k, v in self._exact.items()})

    def price(self, model: str) -> Price | None:
        return self._exact.get(model) or self._prices.get(_normal(model))

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        price = self.price(model)
        return None if price is None else price.cost(input_tokens, output_tokens)

    def require(self, models: list[str]) -> None:
        """A cost limit needs a price for every model the run will call."""
        for model in models:
            if self.price(model) is None:
                raise ConfigError(
                    f"--max-cost needs a price for model {model!r}, and none is known: add "
                    f'[prices."{model}"] with input and output (USD per 1M tokens) to the config file'
                )
