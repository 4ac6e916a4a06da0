"""`rlm doctor`: one screen of checks, exit 0 only when `rlm ask` would work."""

from __future__ import annotations

import json
import socket
import sys
import threading
import types
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlm_cli.cli import app
from rlm_cli.commands import doctor as doctor_cmd
from rlm_cli.models import catalog

runner = CliRunner()
KEY = "sk-doctor-0123456789abcdefWXYZ"


class Endpoint:
    """A loopback /v1/models that may demand a key."""

    def __init__(self, models: list[str], key: str | None = None, owned_by: str = "test") -> None:
        endpoint = self
        self.models, self.key, self.owned_by = models, key, owned_by
        self.auth_headers: list[str | None] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802
                auth = self.headers.get("Authorization")
                endpoint.auth_headers.append(auth)
                if endpoint.key and auth != f"Bearer {endpoint.key}":
                    self._send(401, {"error": {"message": "Incorrect API key provided"}})
                elif self.path.rstrip("/") == "/v1/models":
                    owner = endpoint.owned_by
                    data = [{"id": m, "object": "model", "owned_by": owner} for m in endpoint.models]
                    self._send(200, {"object": "list", "data": data})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def _send(self, status: int, payload: object) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[type[Endpoint]]:
    started: list[Endpoint] = []

    def start(*args: object, **kwargs: object) -> Endpoint:
        server = Endpoint(*args, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in started:
        server.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def no_real_local_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never probe this machine's real ports from a test."""
    monkeypatch.setattr(doctor_cmd, "LOCAL_SERVERS", [("Ollama", closed_port())])


def doctor(*args: str):
    return runner.invoke(app, ["doctor", *args])


def line(output: str, name: str) -> str:
    return next(text for text in output.splitlines() if text.split()[1:2] == [name])


def test_a_working_setup_exits_zero_and_never_prints_the_key(endpoint, monkeypatch) -> None:
    server = endpoint(["m1", "m2"], key=KEY)
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    monkeypatch.setenv("RLM_API_KEY", KEY)
    result = doctor("-m", "m2")
    assert result.exit_code == 0, result.output
    assert KEY not in result.output and KEY[-4:] not in result.output
    assert line(result.stdout, "key").split()[0] == "ok"
    assert line(result.stdout, "model").split()[0:3] == ["ok", "model", "m2"]
    assert result.stdout.rstrip().endswith("rlm ask should work with these settings.")
    assert server.auth_headers == [f"Bearer {KEY}"]


def test_the_fetched_model_list_is_cached_for_completion(endpoint, monkeypatch) -> None:
    server = endpoint(["alpha", "beta"])
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    doctor("-m", "alpha")
    assert catalog.cached(server.url) == ["alpha", "beta"]


def test_a_refused_key_is_a_config_error(endpoint, monkeypatch) -> None:
    server = endpoint(["m"], key="the-right-key")
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    monkeypatch.setenv("RLM_API_KEY", "a-wrong-key")
    result = doctor("-m", "m")
    assert result.exit_code == 4
    assert "refused the key (HTTP 401: Incorrect API key provided)" in line(result.stdout, "endpoint")


def test_a_model_the_endpoint_does_not_list_is_a_config_error(endpoint, monkeypatch) -> None:
    server = endpoint(["qwen2.5-coder:7b", "llama3.2:3b"])
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    result = doctor("-m", "gpt-4.1-mini")
    assert result.exit_code == 4
    assert line(result.stdout, "model").startswith("  FAIL  model")
    assert "listed: llama3.2:3b, qwen2.5-coder:7b" in result.stdout


def test_llama_cpp_serving_another_name_is_only_a_warning(endpoint, monkeypatch) -> None:
    server = endpoint(["/models/qwen.gguf"], owned_by="llamacpp")
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    result = doctor("-m", "local")
    assert result.exit_code == 0, result.output
    assert line(result.stdout, "model").split()[0] == "warn"


def test_an_unreachable_endpoint_is_a_model_error(monkeypatch) -> None:
    monkeypatch.setenv("RLM_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    result = doctor()
    assert result.exit_code == 5
    assert "cannot connect" in line(result.stdout, "endpoint")
    assert "rlm ask will not work: endpoint:" in result.stdout


def test_no_key_for_openai_offers_a_running_local_server(endpoint, monkeypatch) -> None:
    local = endpoint(["qwen2.5-coder:7b"])
    monkeypatch.setattr(doctor_cmd, "LOCAL_SERVERS", [("Ollama", local.port), ("vLLM", closed_port())])
    monkeypatch.setattr(doctor_cmd, "ENDPOINT_TIMEOUT", 0.5)
    result = doctor()
    assert result.exit_code == 4
    assert line(result.stdout, "key").startswith("  FAIL  key       no key for https://api.openai.com/v1")
    assert f"Ollama at {local.url} (1 model)" in result.stdout
    assert f"export RLM_BASE_URL={local.url} RLM_MODEL=qwen2.5-coder:7b" in result.stdout
    assert "vLLM" not in line(result.stdout, "local")


def test_an_openai_key_is_explained_when_it_is_not_sent_to_a_custom_endpoint(endpoint, monkeypatch) -> None:
    server = endpoint(["m"])
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    result = doctor("-m", "m")
    assert result.exit_code == 0, result.output
    assert "env OPENAI_API_KEY is only sent to https://api.openai.com/v1" in result.stdout
    assert server.auth_headers == ["Bearer no-key"]


def test_a_broken_config_file_fails_the_config_check(isolated_env: Path) -> None:
    isolated_env.mkdir()
    (isolated_env / "config.toml").write_text('modle = "x"\n')
    result = doctor()
    assert result.exit_code == 4
    assert "unknown setting 'modle'" in line(result.stdout, "config")


def test_a_keys_file_others_can_read_is_flagged(endpoint, isolated_env: Path, monkeypatch) -> None:
    server = endpoint(["m"], key=KEY)
    isolated_env.mkdir()
    keys = isolated_env / "keys.toml"
    keys.write_text(f'api_key = "{KEY}"\nbase_url = "{server.url}"\n')
    keys.chmod(0o644)
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    result = doctor("-m", "m")
    assert result.exit_code == 0, result.output
    assert "holds a key and is mode 644" in line(result.stdout, "secrets")
    assert f"chmod 600 {keys}" in result.stdout


def test_sandbox_capabilities_come_from_the_sandbox_probe(endpoint, monkeypatch) -> None:
    fake = types.ModuleType("rlm_cli.repl.sandbox")
    fake.probe = lambda: [("memory limit", True, "RLIMIT_AS 2 GiB"), ("network", False, "no namespaces here")]
    monkeypatch.setitem(sys.modules, "rlm_cli.repl.sandbox", fake)
    server = endpoint(["m"])
    monkeypatch.setenv("RLM_BASE_URL", server.url)
    result = doctor("-m", "m")
    assert "  ok    sandbox   memory limit: RLIMIT_AS 2 GiB" in result.stdout
    assert "  warn  sandbox   network: no namespaces here" in result.stdout
    assert result.exit_code == 0


def test_without_a_sandbox_module_doctor_says_so(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "rlm_cli.repl.sandbox", None)
    monkeypatch.setenv("RLM_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    result = doctor()
    assert "no sandbox module in this build" in line(result.stdout, "sandbox")
