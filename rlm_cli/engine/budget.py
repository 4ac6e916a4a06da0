"""One budget ledger for the whole tree of calls: usage, cost and limits, safe across threads.

A call is reserved before it is sent and settled when it returns. A reservation is granted only
while what is spent plus what is already in flight plus this call's input stays within every limit,
so a run can overshoot a token or cost limit by no more than the replies of the calls in flight
when it ran out (sub-call counts are never overshot). Once a budget has run out it stays out:
every later reservation and every `check` raises BudgetExhausted, whose exit code names the budget.
Cached calls cost nothing (no tokens, no money) but still count as sub-calls: `--max-subcalls`
bounds fan-out, and a runaway loop of cached calls is still a runaway loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rlm_cli.errors import ConfigError, ExitCode, RlmError
from rlm_cli.models.pricing import PriceTable


class BudgetExhausted(RlmError):
    """A run-wide limit ran out; the exit code says which one."""


@dataclass(frozen=True)
class Limits:
    """None means unlimited."""

    max_subcalls: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    timeout: float | None = None


@dataclass
class ModelUsage:
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": None if self.cost is None else round(self.cost, 6),
        }


@dataclass(frozen=True)
class Reservation:
    """A granted call: what was set aside for it until it settles."""

    model: str
    tokens: int
    cost: float
    subcall: bool


class Ledger:
    """Every model call of a run, root and sub-calls at every depth, is reserved and settled here."""

    def __init__(
        self,
        limits: Limits | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or Limits()
        self.prices = prices or PriceTable()
        self._clock = clock
        self._lock = threading.Lock()
        self._models: dict[str, ModelUsage] = {}
        self.subcalls = 0
        self._billed_subcalls = 0
        self._tokens = 0
        self._cost = 0.0
        self._held_tokens = 0
        self._held_cost = 0.0
        self._held_subcalls = 0
        self.started = clock()
        self.deadline = None if self.limits.timeout is None else self.started + self.limits.timeout
        self.exhausted: BudgetExhausted | None = None

    # -- limits -----------------------------------------------------------------------------

    def remaining_time(self) -> float | None:
        return None if self.deadline is None else self.deadline - self._clock()

    def clip(self, seconds: float) -> float:
        """A timeout that ends no later than the run's deadline (at least a moment, so it can fire)."""
        left = self.remaining_time()
        return seconds if left is None else max(0.05, min(seconds, left))

    def _exhaust(self, code: ExitCode, message: str) -> BudgetExhausted:
        if self.exhausted is None:
            self.exhausted = BudgetExhausted(message, code)
        return self.exhausted

    def _out_of_tokens(self, limit: int) -> BudgetExhausted:
        return self._exhaust(ExitCode.MAX_TOKENS, f"--max-tokens {limit:,} ran out ({self._tokens:,} tokens used)")

    def _out_of_money(self, limit: float) -> BudgetExhausted:
        return self._exhaust(ExitCode.MAX_COST, f"--max-cost ${limit:g} ran out (${self._cost:.4f} spent)")

    def _check_locked(self) -> None:
        if self.exhausted is not None:
            raise self.exhausted
        if self.deadline is not None and self._clock() >= self.deadline:
            raise self._timed_out_locked()

    def _timed_out_locked(self) -> BudgetExhausted:
        return self._exhaust(ExitCode.TIMEOUT, f"--timeout {self.limits.timeout:g}s ran out")

    def timed_out(self) -> BudgetExhausted:
        """The deadline passed (seen by the caller): the run's budget error, recorded if it is the first."""
        with self._lock:
            return self._timed_out_locked()

    def check(self) -> None:
        """Raise BudgetExhausted if any budget has run out (the deadline included)."""
        with self._lock:
            self._check_locked()

    def take_subcall(self) -> None:
        """Count one sub-call that is not itself a request (a recursive child), within the limit."""
        with self._lock:
            self._check_locked()
            self._admit_subcall()
            self.subcalls += 1
            self._billed_subcalls += 1

    def _admit_subcall(self) -> None:
        limit = self.limits.max_subcalls
        if limit is not None and self._billed_subcalls + self._held_subcalls >= limit:
            raise self._exhaust(ExitCode.MAX_SUBCALLS, f"--max-subcalls {limit} ran out")

    def reserve(self, model: str, input_tokens: int, *, subcall: bool) -> Reservation:
        """Set aside one request's expected input; raises BudgetExhausted when it would not fit."""
        cost = 0.0
        with self._lock:
            self._check_locked()
            if subcall:
                self._admit_subcall()
            max_tokens = self.limits.max_tokens
            if max_tokens is not None and self._tokens + self._held_tokens + input_tokens > max_tokens:
                if not self._tokens and not self._held_tokens:
                    raise self._exhaust(
                        ExitCode.MAX_TOKENS,
                        f"--max-tokens {max_tokens:,} is too small: the first request alone needs about "
                        f"{input_tokens:,} tokens (estimate), so raise it",
                    )
                raise self._out_of_tokens(max_tokens)
            max_cost = self.limits.max_cost
            if max_cost is not None:
                price = self.prices.price(model)
                if price is None:
                    raise ConfigError(f"--max-cost is set and model {model!r} has no known price")
                cost = price.cost(input_tokens, 0)
                if self._cost + self._held_cost + cost > max_cost:
                    raise self._out_of_money(max_cost)
            self._held_tokens += input_tokens
            self._held_cost += cost
            self._held_subcalls += int(subcall)
            return Reservation(model, input_tokens, cost, subcall)

    def settle(self, reservation: Reservation, input_tokens: int, output_tokens: int) -> float | None:
        """Replace the reservation with what the call used; returns the call's cost (None: no price)."""
        cost = self.prices.cost(reservation.model, input_tokens, output_tokens)
        with self._lock:
            self._held_tokens -= reservation.tokens
            self._held_cost -= reservation.cost
            self._held_subcalls -= int(reservation.subcall)
            self._add(reservation.model, input_tokens, output_tokens, cost, reservation.subcall, cached=False)
            self._billed_subcalls += int(reservation.subcall)
            max_tokens, max_cost = self.limits.max_tokens, self.limits.max_cost
            if max_tokens is not None and self._tokens >= max_tokens:
                self._out_of_tokens(max_tokens)
            if max_cost is not None and self._cost >= max_cost:
                self._out_of_money(max_cost)
        return cost

    def record_cached(self, model: str, *, subcall: bool = True) -> None:
        """A call answered from the cache: free, but a sub-call within --max-subcalls like any other."""
        with self._lock:
            self._check_locked()
            if subcall:
                self._admit_subcall()
            self._add(model, 0, 0, 0.0, subcall, cached=True)
            self._billed_subcalls += int(subcall)

    def record(self, model: str, input_tokens: int, output_tokens: int, *, subcall: bool, cached: bool = False) -> None:
        """Account a call that was not reserved (no limits are checked)."""
        if cached:
            self.record_cached(model, subcall=subcall)
            return
        cost = self.prices.cost(model, input_tokens, output_tokens)
        with self._lock:
            self._add(model, input_tokens, output_tokens, cost, subcall, cached=False)
            self._billed_subcalls += int(subcall)

    def _add(
        self, model: str, input_tokens: int, output_tokens: int, cost: float | None, subcall: bool, cached: bool
    ) -> None:
        usage = self._models.setdefault(model, ModelUsage())
        usage.calls += 1
        usage.cached_calls += int(cached)
        usage.input_tokens += input_tokens
        usage.output_tokens += output_tokens
        if cost is None or usage.cost is None:
            usage.cost = None
        else:
            usage.cost += cost
        self._tokens += input_tokens + output_tokens
        self._cost += cost or 0.0
        self.subcalls += int(subcall)

    # -- reports ----------------------------------------------------------------------------

    @property
    def tokens(self) -> int:
        with self._lock:
            return self._tokens

    def per_model(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: usage.to_dict() for name, usage in self._models.items()}

    def totals(self) -> dict[str, Any]:
        """Token totals and cost (None when some model called has no known price)."""
        with self._lock:
            models = self._models.values()
            known = all(u.cost is not None for u in models)
            return {
                "calls": sum(u.calls for u in models),
                "cached_calls": sum(u.cached_calls for u in models),
                "input_tokens": sum(u.input_tokens for u in models),
                "output_tokens": sum(u.output_tokens for u in models),
                "total_tokens": self._tokens,
                "cost": round(self._cost, 6) if known else None,
            }
