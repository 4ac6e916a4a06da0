"""One self-contained HTML report of a run: no network, no external assets, everything escaped.

The question and answer come first, then each iteration with the model's reply, its code steps
and their output, and the sub-calls of each step as a tree of <details> (which opens and closes
without JavaScript; a few lines of script only add "expand all" and "collapse all").
It reads stored records (dicts) generically, so events that gain fields still render.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any

CSS = """
:root{--fg:#1d2430;--muted:#667085;--line:#d9dee7;--bg:#fff;--soft:#f5f7fa;--ok:#127a3a;--bad:#b42318;
--warn:#a15c07;--code:#0f1720;--codefg:#e6edf3}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main,header{max-width:1100px;margin:0 auto;padding:0 20px}
header{padding-top:24px}
h1{font-size:20px;margin:0 0 6px}
h2{font-size:17px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:16px 0 6px}
.question{font-size:18px;white-space:pre-wrap;margin:0 0 14px}
.answer{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:12px 14px;
white-space:pre-wrap;word-break:break-word;font-size:15px}
.meta{color:var(--muted);font-weight:normal;font-size:13px}
.stats{display:flex;flex-wrap:wrap;gap:6px 18px;margin:12px 0;color:var(--muted);font-size:13px}
.stats b{color:var(--fg);font-weight:600}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
border:1px solid currentColor;vertical-align:1px}
.confirmed,.ok,.final{color:var(--ok)}.error,.incomplete,.interrupted{color:var(--bad)}
.unconfirmed,.exhausted,.warning,.running{color:var(--warn)}.info{color:var(--muted)}
pre{margin:4px 0 8px;padding:8px 10px;border-radius:6px;overflow:auto;max-height:480px;
font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-word}
pre.code{background:var(--code);color:var(--codefg)}
pre.out{background:var(--soft);border:1px solid var(--line)}
pre.err{background:#fff4f2;border:1px solid #f3c4bd;color:var(--bad)}
.step{border-left:3px solid var(--line);padding-left:12px;margin:10px 0}
details{margin:3px 0}
summary{cursor:pointer;padding:2px 0}
summary:hover{color:#175cd3}
ul.tree{list-style:none;margin:0;padding-left:18px;border-left:1px dashed var(--line)}
ul.tree>li{margin:2px 0}
.label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em;margin-top:6px}
.notice{font-size:13px;margin:4px 0}
.preview{color:var(--muted);font-size:12.5px;font-style:italic}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
td,th{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}
.tools{margin:10px 0}
button{font:inherit;font-size:13px;padding:3px 10px;border:1px solid var(--line);background:var(--soft);
border-radius:6px;cursor:pointer}
footer{max-width:1100px;margin:30px auto;padding:0 20px;color:var(--muted);font-size:12px}
"""

SCRIPT = """
function setAll(open){document.querySelectorAll('details').forEach(function(d){d.open=open;});}
document.getElementById('expand-all').onclick=function(){setAll(true);};
document.getElementById('collapse-all').onclick=function(){setAll(false);};
"""


@dataclass
class Call:
    """A sub-call and whatever ran beneath it: nested calls, and a recursive child's own work (its
    model replies and code steps, in order)."""

    record: dict[str, Any]
    done: dict[str, Any] | None = None
    calls: list[Call] = field(default_factory=list)
    work: list[Step | dict[str, Any]] = field(default_factory=list)


@dataclass
class Step:
    record: dict[str, Any]
    done: dict[str, Any] | None = None
    calls: list[Call] = field(default_factory=list)


@dataclass
class Iteration:
    number: int
    replies: list[dict[str, Any]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Report:
    started: dict[str, Any] = field(default_factory=dict)
    loaded: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    iterations: list[Iteration] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)


def _depth(record: dict[str, Any]) -> int:
    value = record.get("depth", 0)
    return value if isinstance(value, int) else 0


def _step_key(depth: int, step_id: Any) -> str:
    """Steps are keyed by depth too: a child run numbers its steps from 1.1 again, and a sub-call
    at depth d belongs to a step at depth d - 1."""
    return f"{max(depth, 0)}:{step_id}"


def build(records: list[dict[str, Any]]) -> Report:
    """Arrange the flat records into iterations, steps and a tree of sub-calls (by parent id)."""
    report = Report()
    steps: dict[str, Step] = {}
    calls: dict[str, Call] = {}
    current: Iteration | None = None

    def iteration_for(number: Any) -> Iteration:
        nonlocal current
        if current is None or (isinstance(number, int) and number != current.number):
            current = Iteration(number if isinstance(number, int) else len(report.iterations) + 1)
            report.iterations.append(current)
        return current

    for record in records:
        kind = record.get("type")
        parent = record.get("parent")
        nested = _depth(record) > 0 or parent in calls
        if kind == "run_started" and not report.started:
            report.started = record
        elif kind == "input_loaded":
            report.loaded = record
        elif kind == "run_finished" and _depth(record) == 0:
            report.result = record.get("result") or {}
        elif kind == "iteration_started" and not nested:
            iteration_for(record.get("iteration"))
        elif kind == "root_message" and parent in calls:
            calls[parent].work.append(record)
        elif kind == "root_message" and not nested:
            iteration_for(record.get("iteration")).replies.append(record)
        elif kind == "code_started":
            step = Step(record)
            steps[_step_key(_depth(record), record.get("step_id"))] = step
            if nested and parent in calls:
                calls[parent].work.append(step)
            else:
                iteration_for(record.get("iteration")).steps.append(step)
        elif kind == "code_finished":
            found = steps.get(_step_key(_depth(record), record.get("step_id")))
            if found is None:
                found = Step(record)
                iteration_for(record.get("iteration")).steps.append(found)
            found.done = record
        elif kind == "subcall_started":
            call = Call(record)
            calls[str(record.get("call_id"))] = call
            owner = steps.get(_step_key(_depth(record) - 1, parent))
            if parent in calls:
                calls[parent].calls.append(call)
            elif owner is not None:
                owner.calls.append(call)
            else:
                iteration_for(current.number if current else 1).calls.append(call)
        elif kind == "subcall_finished":
            known = calls.get(str(record.get("call_id")))
            if known is not None:
                known.done = record
        elif kind == "notice":
            (current.notices if current else report.notices).append(record)
    return report


def _text(value: Any) -> str:
    return escape("" if value is None else str(value))


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "–"


def _secs(value: Any) -> str:
    return f"{value:.2f} s" if isinstance(value, int | float) else "–"


def _cost(result: dict[str, Any]) -> str | None:
    usage = result.get("usage") or {}
    for value in (usage.get("cost"), result.get("cost")):
        if isinstance(value, int | float):
            return f"${value:.4f}"
    return None


def _when(ts: Any) -> str:
    if not isinstance(ts, int | float):
        return "–"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _pre(text: Any, css: str) -> str:
    return f'<pre class="{css}">{_text(text)}</pre>'


def _preview(text: Any, width: int = 90) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _call_html(call: Call) -> str:
    rec, done = call.record, call.done or {}
    kind = f"{rec.get('kind', 'llm')}_query"
    if not done:
        status = '<span class="badge incomplete">no reply</span>'
    elif done.get("error"):
        status = '<span class="badge error">error</span>'
    else:
        status = '<span class="badge ok">ok</span>'
    cached = " · cached" if done.get("cached") else ""
    cost = done.get("cost")
    cost_text = f" · ${cost:.4f}" if isinstance(cost, int | float) else ""
    summary = (
        f'<b>{_text(rec.get("call_id"))}</b> {kind} <span class="meta">{_text(rec.get("model"))} · '
        f"{_num(done.get('input_tokens'))} in / {_num(done.get('output_tokens'))} out tok · "
        f"{_secs(done.get('seconds'))}{cached}{cost_text}</span> {status} "
        f'<span class="preview">{_text(_preview(rec.get("prompt")))}</span>'
    )
    parts = [f'<details class="call" data-call="{_text(rec.get("call_id"))}"><summary>{summary}</summary>']
    parts.append('<div class="label">prompt</div>' + _pre(rec.get("prompt"), "out"))
    parts.extend(_step_html(item) if isinstance(item, Step) else _reply_html(item) for item in call.work)
    parts.append(_tree(call.calls))
    if done.get("error"):
        parts.append('<div class="label">error</div>' + _pre(done.get("error"), "err"))
    elif done:
        parts.append('<div class="label">response</div>' + _pre(done.get("response"), "out"))
    parts.append("</details>")
    return "".join(parts)


def _tree(calls: list[Call]) -> str:
    if not calls:
        return ""
    return '<ul class="tree">' + "".join(f"<li>{_call_html(c)}</li>" for c in calls) + "</ul>"


def _calls_block(calls: list[Call]) -> str:
    if not calls:
        return ""
    done = [c.done for c in calls if c.done]
    tokens = sum(int(d.get("input_tokens") or 0) + int(d.get("output_tokens") or 0) for d in done)
    costs = [d["cost"] for d in done if isinstance(d.get("cost"), int | float)]
    errors = sum(1 for d in done if d.get("error"))
    extra = f", {errors} failed" if errors else ""
    cost = f" · ${sum(costs):.4f}" if costs else ""
    return (
        f'<details class="subcalls"><summary>{len(calls)} sub-call(s){extra} '
        f'<span class="meta">{tokens:,} tokens{cost}</span></summary>{_tree(calls)}</details>'
    )


def _step_html(step: Step) -> str:
    rec, done = step.record, step.done or {}
    if not done:
        mark = "incomplete"
    elif done.get("error"):
        mark = "error"
    elif done.get("final"):
        mark = "final"
    else:
        mark = "ok"
    parts = [
        f'<div class="step" id="step-{_text(rec.get("step_id"))}"><h3>Step {_text(rec.get("step_id"))} '
        f'<span class="badge {mark}">{mark}</span> <span class="meta">{_secs(done.get("seconds"))}</span></h3>',
        _pre(rec.get("code", ""), "code"),
    ]
    if done:
        output = done.get("output") or ""
        parts.append(_pre(output, "out") if output else '<div class="meta">(no output)</div>')
        if done.get("error"):
            parts.append(_pre(done.get("error"), "err"))
    parts.append(_calls_block(step.calls))
    parts.append("</div>")
    return "".join(parts)


def _notices(notices: list[dict[str, Any]]) -> str:
    return "".join(
        f'<div class="notice {_text(n.get("level"))}">{_text(n.get("level"))}: {_text(n.get("message"))}</div>'
        for n in notices
    )


def _reply_html(reply: dict[str, Any]) -> str:
    text = str(reply.get("text") or "")
    tokens = f"{_num(reply.get('input_tokens'))} in / {_num(reply.get('output_tokens'))} out tok"
    return (
        f'<details class="reply"><summary>Model reply <span class="meta">{len(text):,} chars · {tokens} · '
        f"{_secs(reply.get('seconds'))}</span></summary>{_pre(text, 'out')}</details>"
    )


def _iteration_html(it: Iteration) -> str:
    tokens_in = sum(int(r.get("input_tokens") or 0) for r in it.replies)
    tokens_out = sum(int(r.get("output_tokens") or 0) for r in it.replies)
    seconds = sum(float(r.get("seconds") or 0) for r in it.replies)
    seconds += sum(float((s.done or {}).get("seconds") or 0) for s in it.steps)
    costs = [r["cost"] for r in it.replies if isinstance(r.get("cost"), int | float)]
    cost = f" · ${sum(costs):.4f}" if costs else ""
    parts = [
        f'<section class="iteration" id="iteration-{it.number}"><h2>Iteration {it.number} '
        f'<span class="meta">root model {tokens_in:,} in / {tokens_out:,} out tokens{cost} · {seconds:.2f} s'
        "</span></h2>"
    ]
    parts.extend(_reply_html(reply) for reply in it.replies)
    parts.extend(_step_html(step) for step in it.steps)
    parts.append(_calls_block(it.calls))
    parts.append(_notices(it.notices))
    parts.append("</section>")
    return "".join(parts)


def _inputs_html(inputs: list[dict[str, Any]], loaded: dict[str, Any]) -> str:
    total = sum(int(d.get("size") or 0) for d in inputs)
    rows = "".join(
        f"<tr><td>{_text(d.get('path'))}</td><td>{_text(d.get('kind'))}</td><td>{_num(d.get('size'))}</td>"
        f"<td>{_num(d.get('chars'))}</td><td><code>{_text(d.get('blake2b'))}</code></td></tr>"
        for d in inputs
    )
    skipped = loaded.get("skipped") or {}
    skipped_text = (
        "; skipped " + ", ".join(f"{_text(n)} {_text(reason)}" for reason, n in sorted(skipped.items()))
        if skipped else ""
    )
    return (
        f'<details class="inputs"><summary>Inputs: {len(inputs):,} document(s), {total:,} bytes'
        f"{skipped_text}</summary><table><tr><th>path</th><th>kind</th><th>bytes</th><th>chars</th>"
        f"<th>blake2b</th></tr>{rows}</table></details>"
    )


def _settings_html(settings: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{_text(k)}</td><td>{_text(json.dumps(v, default=str))}</td></tr>" for k, v in settings.items()
    )
    return f'<details class="settings"><summary>Settings</summary><table>{rows}</table></details>'


def render_html(records: list[dict[str, Any]], inputs: list[dict[str, Any]] | None = None) -> str:
    """The whole report as one HTML string."""
    report = build(records)
    started, result = report.started, report.result
    status = str(result.get("status")) if result is not None else "incomplete"
    question = started.get("question") or (result or {}).get("question") or ""
    run_id = started.get("run_id") or (result or {}).get("run_id") or ""
    answer = (result or {}).get("answer")
    if result is None:
        answer_html = '<p class="meta">This run has no result: its log ends before the run finished.</p>'
    elif answer is None:
        answer_html = '<p class="meta">No answer.</p>'
    else:
        answer_html = f'<div class="answer">{_text(answer)}</div>'
    stats: list[tuple[str, str]] = [
        ("model", _text(started.get("model"))),
        ("sub-model", _text(started.get("sub_model"))),
        ("started", _when(started.get("ts"))),
    ]
    if result is not None:
        usage = result.get("usage") or {}
        stats += [
            ("iterations", _num(result.get("iterations"))),
            ("sub-calls", _num(result.get("subcalls"))),
            ("tokens", _num(usage.get("total_tokens"))),
            ("duration", _secs(result.get("duration"))),
        ]
        if (cost := _cost(result)) is not None:
            stats.append(("cost", cost))
        if result.get("error"):
            stats.append(("error", _text(result.get("error"))))
    stats_html = "".join(f"<span>{k} <b>{v}</b></span>" for k, v in stats)
    body = [
        "<header>",
        f'<div class="meta">rlm run {_text(run_id)}</div>',
        f'<h1>Question <span class="badge {_text(status)}">{_text(status)}</span></h1>',
        f'<p class="question">{_text(question)}</p>',
        "<h1>Answer</h1>",
        answer_html,
        f'<div class="stats">{stats_html}</div>',
        _inputs_html(inputs or [], report.loaded),
        _settings_html(started.get("settings") or {}),
        '<div class="tools"><button id="expand-all" type="button">Expand all</button> '
        '<button id="collapse-all" type="button">Collapse all</button></div>',
        _notices(report.notices),
        "</header><main>",
        *(_iteration_html(it) for it in report.iterations),
        "</main>",
        f'<footer>Written by rlm from the run log of {_text(run_id)}.</footer>',
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>rlm: {_text(question[:80])}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + f"<script>{SCRIPT}</script></body></html>\n"
    )
