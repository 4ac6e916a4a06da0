"""The ledger: reserve before a call, settle after, limits that hold across threads."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from rlm_cli.engine.budget import BudgetExhausted, Ledger, Limits
from rlm_cli.engine.subcalls import Tree, Usage
from rlm_cli.errors import ConfigError, ExitCode
from rlm_cli.events import discard
from rlm_cli.models.client import Completion
from rlm_cli.models.pricing import Price, PriceTable, parse_overrides
from rlm_cli.settings import Settings


def test_subcalls_stop_exactly_at_the_limit() -> None:
    ledger = Ledger(Limits(max_subcalls=2))
    for _ in range(2):
        ledger.settle(ledger.reserve("m", 10, subcall=True), 10, 5)
    with pytest.raises(BudgetExhausted) as caught:
        ledger.reserve("m", 10, subcall=True)
    assert caught.value.exit_code == ExitCode.MAX_SUBCALLS
    assert ledger.subcalls == 2


def test_root_calls_do_not_count_as_subcalls() -> None:
    ledger = Ledger(Limits(max_subcalls=0))
    ledger.settle(ledger.reserve("m", 10, subcall=False), 10, 5)
    with pytest.raises(BudgetExhausted):
        ledger.take_subcall()


def test_a_call_whose_input_would_not_fit_is_refused() -> None:
    ledger = Ledger(Limits(max_tokens=100))
    ledger.settle(ledger.reserve("m", 40, subcall=True), 40, 20)
    with pytest.raises(BudgetExhausted) as caught:
        ledger.reserve("m", 41, subcall=True)
    assert caught.value.exit_code == ExitCode.MAX_TOKENS
    assert "--max-tokens 100 ran out" in str(caught.value)


def test_reaching_the_token_limit_ends_every_later_reservation() -> None:
    ledger = Ledger(Limits(max_tokens=100))
    ledger.settle(ledger.reserve("m", 10, subcall=False), 10, 95)
    assert ledger.exhausted is not None
    with pytest.raises(BudgetExhausted):
        ledger.reserve("m", 1, subcall=False)
    with pytest.raises(BudgetExhausted):
        ledger.check()


def test_calls_in_flight_hold_their_input_so_others_cannot_overbook() -> None:
    ledger = Ledger(Limits(max_tokens=100))
    held = [ledger.reserve("m", 30, subcall=True) for _ in range(3)]
    with pytest.raises(BudgetExhausted):
        ledger.reserve("m", 30, subcall=True)
    for r in held:
        ledger.settle(r, 30, 10)
    assert ledger.tokens == 120


def test_cost_limit_uses_the_price_table() -> None:
    ledger = Ledger(Limits(max_cost=0.001), PriceTable({"m": Price(input=1.0, output=2.0)}))
    cost = ledger.settle(ledger.reserve("m", 500, subcall=True), 500, 250)
    assert cost == pytest.approx(0.001)
    with pytest.raises(BudgetExhausted) as caught:
        ledger.reserve("m", 1, subcall=True)
    assert caught.value.exit_code == ExitCode.MAX_COST
    assert ledger.totals()["cost"] == pytest.approx(0.001)


def test_the_deadline_is_a_budget_and_clips_timeouts() -> None:
    now = [100.0]
    ledger = Ledger(Limits(timeout=10), clock=lambda: now[0])
    assert ledger.clip(120) == 10
    now[0] = 107.0
    assert ledger.clip(120) == pytest.approx(3)
    now[0] = 110.0
    with pytest.raises(BudgetExhausted) as caught:
        ledger.reserve("m", 1, subcall=False)
    assert caught.value.exit_code == ExitCode.TIMEOUT


def test_cached_calls_cost_nothing_but_count_as_subcalls() -> None:
    ledger = Ledger(Limits(max_subcalls=6, max_tokens=10), PriceTable({"m": Price(1.0, 1.0)}))
    for _ in range(5):
        ledger.record_cached("m")
    ledger.settle(ledger.reserve("m", 5, subcall=True), 5, 1)
    usage = ledger.per_model()["m"]
    assert usage["calls"] == 6 and usage["cached_calls"] == 5
    assert usage["input_tokens"] == 5 and usage["cost"] == 0.000006 and ledger.subcalls == 6
    with pytest.raises(BudgetExhausted):
        ledger.record_cached("m")


def test_a_model_without_a_price_has_no_cost() -> None:
    ledger = Ledger()
    ledger.settle(ledger.reserve("local-model", 10, subcall=False), 10, 10)
    assert ledger.per_model()["local-model"]["cost"] is None
    assert ledger.totals()["cost"] is None


def test_sixteen_threads_never_get_more_subcalls_than_the_limit() -> None:
    ledger = Ledger(Limits(max_subcalls=50))
    granted = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            try:
                r = ledger.reserve("m", 1, subcall=True)
            except BudgetExhausted:
                return
            with lock:
                granted.append(r)
            ledger.settle(r, 1, 1)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 50 and ledger.subcalls == 50


def test_prices_ignore_provider_prefixes_and_dates_and_take_overrides() -> None:
    table = PriceTable(parse_overrides({"my-model": {"input": 1, "output": 3}}, "config.toml"))
    assert table.price("openai/gpt-4.1-mini-2025-04-14") == table.price("gpt-4.1-mini") == Price(0.40, 1.60)
    assert table.price("my-model") == Price(1.0, 3.0)
    assert table.price("gpt-4.1-mini-custom") is None


def test_a_malformed_price_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="input"):
        parse_overrides({"m": {"input": "cheap", "output": 1}}, "config.toml")
    with pytest.raises(ConfigError, match="exactly"):
        parse_overrides({"m": {"input": 1}}, "config.toml")


def test_a_stream_is_cut_when_the_deadline_passes_between_chunks() -> None:
    now = [0.0]
    tree = Tree(Settings(cache=False, base_url="http://127.0.0.1:9/v1"), discard)
    tree.ledger = Ledger(Limits(timeout=5), clock=lambda: now[0])

    class EndlessStream:
        def complete(self, messages: list, model: str, on_delta: Callable[[str], None], timeout: float) -> Completion:
            for _ in range(10):
                on_delta("a" * 40)
                now[0] += 1
            return Completion("a" * 400, 10, 100, "stop", model)

    tree.client = EndlessStream()  # type: ignore[assignment]
    shown: list[str] = []
    with pytest.raises(BudgetExhausted) as caught:
        tree.request([{"role": "user", "content": "go"}], "m", subcall=False, usage=Usage(), on_delta=shown.append)
    assert caught.value.exit_code == ExitCode.TIMEOUT
    assert len(shown) == 5
    assert tree.ledger.totals()["output_tokens"] == 60
