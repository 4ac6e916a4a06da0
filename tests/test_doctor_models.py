"""`rlm models`: the endpoint's model list on stdout, remembered for tab completion."""

from __future__ import annotations

import json

from test_doctor import KEY, closed_port, endpoint  # noqa: F401 - the fixture is used by name
from typer.testing import CliRunner

from rlm_cli.cli import app
from rlm_cli.models import catalog

runner = CliRunner()


def test_lists_one_model_per_line_and_caches_them(endpoint, monkeypatch) -> None:  # noqa: F811
    server = endpoint(["b-model", "a-model"])
    result = runner.invoke(app, ["models", "--base-url", server.url])
    assert result.exit_code == 0, result.output
    assert result.stdout == "a-model\nb-model\n"
    assert catalog.cached(server.url) == ["a-model", "b-model"]


def test_json_prints_a_list(endpoint, monkeypatch) -> None:  # noqa: F811
    server = endpoint(["m"], key=KEY)
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    monkeypatch.setenv("RLM_API_KEY", KEY)
    result = runner.invoke(app, ["models", "--json"])
    assert json.loads(result.stdout) == ["m"]


def test_a_refused_key_is_a_config_error(endpoint, monkeypatch) -> None:  # noqa: F811
    server = endpoint(["m"], key=KEY)
    monkeypatch.setenv("RLM_API_KEY", "wrong")
    result = runner.invoke(app, ["models", "--base-url", server.url])
    assert result.exit_code == 4
    assert result.stderr == f"rlm: error: {server.url} refused the key (HTTP 401: Incorrect API key provided)\n"


def test_an_unreachable_endpoint_is_a_model_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    result = runner.invoke(app, ["models", "--base-url", url])
    assert result.exit_code == 5
    assert result.stderr.startswith(f"rlm: error: cannot reach {url}: ")
