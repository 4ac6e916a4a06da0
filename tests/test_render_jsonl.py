"""--jsonl: every event, one strict JSON object per line, flushed as it happens."""

from __future__ import annotations

import io
import json

from render_script import whole_run

from rlm_cli.events import Notice, SubcallFinished, event_from_dict
from rlm_cli.render.jsonl import JsonlRenderer


class Flushes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def flush(self) -> None:
        self.seen.append(self.getvalue())


def test_every_event_is_one_valid_json_line_root_deltas_included() -> None:
    out = io.StringIO()
    render = JsonlRenderer(out)
    events = whole_run()
    for event in events:
        render(event)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["type"] for r in records] == [e.type for e in events]
    assert "root_delta" in {r["type"] for r in records}
    assert "".join(r["text"] for r in records if r["type"] == "root_delta").startswith("I will split the log")


def test_each_line_is_flushed_as_its_event_arrives() -> None:
    out = Flushes()
    render = JsonlRenderer(out)
    for event in whole_run()[:5]:
        render(event)
    assert [len(s.splitlines()) for s in out.seen] == [1, 2, 3, 4, 5]


def test_newlines_in_text_stay_inside_one_line() -> None:
    out = io.StringIO()
    JsonlRenderer(out)(Notice(level="info", message="two\nlines\u2028and a separator"))
    assert out.getvalue().count("\n") == 1
    assert json.loads(out.getvalue())["message"] == "two\nlines\u2028and a separator"


def test_a_nan_becomes_null_so_the_line_stays_strict_json() -> None:
    out = io.StringIO()
    event = SubcallFinished(
        call_id="s1", parent="1.1", depth=1, model="m", kind="llm", response="", input_tokens=0,
        output_tokens=0, seconds=float("nan"), cost=float("inf"),
    )
    JsonlRenderer(out)(event)
    record = json.loads(out.getvalue(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert record["seconds"] is None and record["cost"] is None


def test_text_the_stream_cannot_encode_is_escaped_not_lost() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    JsonlRenderer(out)(Notice(level="info", message="naïve ✓"))
    assert json.loads(raw.getvalue().decode("ascii"))["message"] == "naïve ✓"


def test_a_line_reads_back_as_the_same_event() -> None:
    for event in whole_run():
        assert event_from_dict(json.loads(json.dumps(event.to_dict()))) == event
