"""The HTML report: one self-contained, escaped file; opened in headless Chromium and clicked."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fake_openai import Reply, scripted
from typer.testing import CliRunner

from rlm_cli import trace
from rlm_cli.cli import app
from rlm_cli.render.html import render_html

runner = CliRunner()

STEP = "```repl\nparts = llm_query_batched(['alpha', 'beta'])\nprint(parts)\n```"
FINISH = "```repl\nFINAL(' & '.join(parts))\n```"


def records(question: str = "what is here?", answer: str = "an answer") -> list[dict]:
    return [
        {"type": "run_started", "run_id": "r1", "question": question, "model": "m", "sub_model": "m",
         "max_iterations": 3, "documents": 1, "chars": 10, "settings": {"model": "m"}, "ts": 1.0},
        {"type": "iteration_started", "iteration": 1, "max_iterations": 3, "ts": 1.1},
        {"type": "root_message", "iteration": 1, "text": "I look.\n```repl\nprint(1)\n```", "input_tokens": 10,
         "output_tokens": 5, "seconds": 0.5, "ts": 1.5},
        {"type": "code_started", "step_id": "1.1", "iteration": 1, "code": "print(1)", "ts": 1.6},
        {"type": "subcall_started", "call_id": "s1", "parent": "1.1", "depth": 1, "model": "m", "kind": "rlm",
         "prompt": "outer prompt", "ts": 1.7},
        {"type": "code_started", "step_id": "1.1", "iteration": 1, "code": "inner()", "depth": 1, "parent": "s1",
         "ts": 1.8},
        {"type": "subcall_started", "call_id": "s2", "parent": "1.1", "depth": 2, "model": "m", "kind": "llm",
         "prompt": "inner prompt", "ts": 1.9},
        {"type": "subcall_finished", "call_id": "s2", "parent": "1.1", "depth": 2, "model": "m", "kind": "llm",
         "response": "inner answer", "input_tokens": 3, "output_tokens": 2, "seconds": 0.1, "ts": 2.0},
        {"type": "subcall_finished", "call_id": "s1", "parent": "1.1", "depth": 1, "model": "m", "kind": "rlm",
         "response": "outer answer", "input_tokens": 4, "output_tokens": 2, "seconds": 0.3, "ts": 2.1},
        {"type": "code_finished", "step_id": "1.1", "iteration": 1, "code": "print(1)", "output": "1\n",
         "error": None, "seconds": 0.4, "final": False, "ts": 2.2},
        {"type": "run_finished", "ts": 2.3, "result": {
            "answer": answer, "status": "confirmed", "iterations": 1, "subcalls": 2, "duration": 1.3,
            "usage": {"total_tokens": 26, "cost": 0.0012}}},
    ]


def test_question_and_answer_come_first_and_everything_is_escaped() -> None:
    page = render_html(records(question="<script>alert(1)</script>", answer="a & b < c"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "a &amp; b &lt; c" in page
    assert page.index("alert(1)") < page.index("a &amp; b") < page.index("Iteration 1")
    assert page.count("<script>") == 1


def test_the_page_needs_no_network() -> None:
    page = render_html(records())
    assert not re.search(r"""(src|href)\s*=|@import|url\(|https?://""", page)


def test_recursive_children_nest_under_their_call() -> None:
    page = render_html(records())
    outer = page.index('data-call="s1"')
    inner = page.index('data-call="s2"')
    assert outer < page.index("inner()") < inner < page.index("outer answer")
    assert "$0.0012" in page and "26" in page


def test_a_log_cut_short_still_renders_and_says_so() -> None:
    page = render_html(records()[:5])
    assert "ends before the run finished" in page and "incomplete" in page and "outer prompt" in page


def test_show_writes_the_report_of_a_logged_run(serve, tmp_path: Path) -> None:
    serve(scripted([STEP, FINISH], sub=lambda p: Reply(f"said {p}")))
    doc = tmp_path / "doc.txt"
    doc.write_text("alpha beta\n")
    assert runner.invoke(app, ["ask", str(doc), "what do the parts say?"]).exit_code == 0
    out = tmp_path / "run.html"
    result = runner.invoke(app, ["show", "last", "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "what do the parts say?" in page and "said alpha &amp; said beta" in page
    assert "llm_query_batched" in page and "doc.txt" in page


def test_ask_html_into_a_missing_directory_is_a_usage_error(serve, tmp_path: Path) -> None:
    server = serve(scripted(['```repl\nFINAL("x")\n```']))
    doc = tmp_path / "doc.txt"
    doc.write_text("x")
    result = runner.invoke(app, ["ask", str(doc), "q", "--html", str(tmp_path / "nope" / "r.html")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert server.requests == []


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1200,900",
)


@pytest.mark.skipif(
    _chromium() is None, reason="Chromium not installed (apt-get install chromium chromium-driver; .ci/run does)"
)
def test_the_report_opens_in_chromium_and_the_tree_expands_on_click(serve, tmp_path: Path) -> None:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e .[test])")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    serve(scripted([STEP, FINISH], sub=lambda p: Reply(f"said {p}")))
    doc = tmp_path / "doc.txt"
    doc.write_text("alpha beta\n")
    report = tmp_path / "report.html"
    assert runner.invoke(app, ["ask", str(doc), "what do the parts say?", "--html", str(report)]).exit_code == 0

    browser, driver_path = _chromium() or ("", "")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    except Exception as exc:  # noqa: BLE001 - a broken browser install is an environment problem
        version = subprocess.run([browser, "--version"], capture_output=True, text=True).stdout.strip()
        pytest.skip(f"Chromium ({version or browser}) did not start: {exc}")
    try:
        driver.get(report.as_uri())
        assert "what do the parts say?" in driver.find_element(By.CSS_SELECTOR, ".question").text
        assert driver.find_element(By.CSS_SELECTOR, ".answer").text == "said alpha & said beta"
        prompt = driver.find_elements(By.CSS_SELECTOR, "details.call pre")[0]
        assert not prompt.is_displayed()
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        driver.find_element(By.CSS_SELECTOR, "details.subcalls > summary").click()
        calls = driver.find_elements(By.CSS_SELECTOR, "details.call > summary")
        assert len(calls) == 2 and all(c.is_displayed() for c in calls)
        calls[0].click()
        assert prompt.is_displayed() and prompt.text in ("alpha", "beta")
        driver.execute_script("arguments[0].scrollIntoView()", calls[0])
        driver.save_screenshot(str(tmp_path / "report-clicked.png"))
        driver.find_element(By.ID, "collapse-all").click()
        assert not calls[0].is_displayed()
        driver.find_element(By.ID, "expand-all").click()
        assert all(p.is_displayed() for p in driver.find_elements(By.CSS_SELECTOR, "details.call pre"))
    finally:
        driver.quit()


def test_a_recursive_childs_replies_and_steps_nest_under_its_rlm_query(serve, tmp_path: Path) -> None:
    root = "```repl\nfound = rlm_query('find the word')\nFINAL(found)\n```"
    child = "I search.\n```repl\nFINAL('child says hi')\n```"
    serve(scripted([root, child]))
    doc = tmp_path / "doc.txt"
    doc.write_text("hi\n")
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["ask", str(doc), "q?", "--max-depth", "2", "--html", str(report)])
    assert result.exit_code == 0, result.output
    page = report.read_text()
    root_step, call = page.index('id="step-1.1"'), page.index('data-call="s1"')
    assert root_step < call < page.index("I search.") < page.index('id="step-s1/1.1"')
    assert page.index("FINAL(&#x27;child says hi&#x27;)") > call


def test_ask_html_works_with_logging_off(serve, tmp_path: Path) -> None:
    serve(scripted([STEP, FINISH], sub=lambda p: Reply(f"said {p}")))
    doc = tmp_path / "doc.txt"
    doc.write_text("alpha beta\n")
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["ask", str(doc), "what now?", "--no-log", "--html", str(report)])
    assert result.exit_code == 0, result.output
    assert "what now?" in report.read_text() and "said alpha &amp; said beta" in report.read_text()
    assert trace.log_files() == []
