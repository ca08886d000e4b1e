"""The image's probe helper (deploy/docker/podcheck.py), on a fake /proc and loopback sockets."""

from __future__ import annotations

import http.server
import importlib.util
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("podcheck", REPO / "deploy" / "docker" / "podcheck.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


podcheck = _load()


def fake_proc(root: Path, processes: dict[int, tuple[list[str], str]]) -> Path:
    """A /proc with ``pid -> (argv, state)``."""
    for pid, (argv, state) in processes.items():
        d = root / str(pid)
        d.mkdir(parents=True)
        (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        (d / "stat").write_text(f"{pid} (python (x)) {state} 0 1 1 0 -1 4194560\n")
    (root / "self").mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["python", "-m", "order_service", "api", "--host", "0.0.0.0", "--port", "8000"],
            ("order", "api", 8000),
        ),
        (["/opt/venv/bin/python", "-m", "ledger_service", "worker"], ("ledger", "worker", 8000)),
        (["python", "-m", "billing_service", "all", "--port=9100"], ("billing", "all", 9100)),
        (["python", "-m", "support_service", "migrate"], ("support", "migrate", 8000)),
        (["python", "-m", "backoffice_platform.topics"], None),
        (["python", "-m", "order_service"], None),
        (["/sbin/docker-init", "--", "python", "-m", "order_service", "worker"], None),
        (["sh", "-c", "python -m order_service worker"], None),
    ],
)
def test_parse_service_argv(argv: list[str], expected: tuple[str, str, int] | None) -> None:
    assert podcheck.parse_service_argv(argv) == expected


def test_finds_the_service_process_behind_an_init(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path,
        {
            1: (["/sbin/docker-init", "--", "python", "-m", "order_service", "worker"], "S"),
            7: (["python", "-m", "order_service", "worker"], "S"),
        },
    )
    found = podcheck.find_service_process(proc)
    assert found == podcheck.ServiceProcess(7, "order", "worker", 8000)


@pytest.mark.parametrize(
    ("state", "alive"), [("R", True), ("S", True), ("D", True), ("Z", False), ("T", False)]
)
def test_live_depends_on_the_process_state(tmp_path: Path, state: str, alive: bool) -> None:
    proc = fake_proc(tmp_path, {1: (["python", "-m", "billing_service", "worker"], state)})
    ok, detail = podcheck.check_live(proc)
    assert ok is alive, detail


def test_live_fails_without_a_service_process(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {1: (["sleep", "infinity"], "S")})
    assert podcheck.check_live(proc)[0] is False


def test_dependency_endpoints_from_the_settings() -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka-0:9092, kafka-1 ,[::1]:19092",
        "DATABASE_URL": "postgresql://u:p%40ss@backoffice-pg-rw:5432/postgres",
        "LEDGER_DATABASE_URL": "postgresql+asyncpg://u:p@ledger-db/backoffice_ledger",
        "UNRELATED_URL": "http://example.invalid:1",
    }
    assert podcheck.dependency_endpoints(env) == [
        ("kafka-0", 9092),
        ("kafka-1", 9092),
        ("::1", 19092),
        ("backoffice-pg-rw", 5432),
        ("ledger-db", 5432),
    ]


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ready_needs_every_dependency(listening_port: int) -> None:
    up = ("127.0.0.1", listening_port)
    down = ("127.0.0.1", closed_port())
    assert podcheck.check_tcp([up])[0] is True
    ok, detail = podcheck.check_tcp([up, down], timeout=1.0)
    assert ok is False and str(down[1]) in detail
    assert podcheck.check_tcp([])[0] is False


class _Health(http.server.BaseHTTPRequestHandler):
    ready = True

    def do_GET(self) -> None:
        status = 200 if self.path == "/healthz" or (self.path == "/readyz" and self.ready) else 503
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_health_of_an_api_process_is_its_healthz(tmp_path: Path, api_server: int) -> None:
    proc = fake_proc(
        tmp_path, {1: (["python", "-m", "order_service", "api", "--port", str(api_server)], "S")}
    )
    assert podcheck.check_health(proc) == (True, "GET /healthz: 200")


def test_health_of_an_api_that_does_not_answer_fails(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path, {1: (["python", "-m", "order_service", "api", "--port", str(closed_port())], "S")}
    )
    assert podcheck.check_health(proc)[0] is False


def test_readyz_of_an_api_process_follows_its_readiness(tmp_path: Path, api_server: int) -> None:
    proc = fake_proc(
        tmp_path, {1: (["python", "-m", "order_service", "all", "--port", str(api_server)], "S")}
    )
    assert podcheck.check_readyz({}, proc)[0] is True
    _Health.ready = False
    try:
        assert podcheck.check_readyz({}, proc)[0] is False
    finally:
        _Health.ready = True


def test_health_of_a_worker_is_its_liveness(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {1: (["python", "-m", "support_service", "worker"], "S")})
    assert podcheck.check_health(proc)[0] is True


def test_expected_topics_are_the_kafka_topic_resources() -> None:
    docs = yaml.safe_load_all((REPO / "deploy" / "k8s" / "base" / "kafka" / "topics.yaml").read_text())
    names = sorted(d["spec"]["topicName"] for d in docs if d)
    assert sorted(podcheck.expected_topics("")) == names
    assert all(t.startswith("staging.backoffice.") for t in podcheck.expected_topics("staging."))


def test_wait_for_topics_gives_up_after_its_timeout() -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{closed_port()}"}
    ok, detail = podcheck.wait_for_topics(env, timeout=0.0, interval=0.0)
    assert ok is False and "backoffice.orders.dlq" in detail


def test_unknown_command_is_a_usage_error() -> None:
    assert podcheck.main(["bogus"]) == 2
