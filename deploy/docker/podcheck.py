"""Container checks for the Backoffice image (installed as /opt/backoffice/podcheck.py).

Every container of the image runs ``python -m <name>_service api|worker|migrate|all``. Only
``api`` and ``all`` serve the API (/healthz, /readyz, /metrics); a worker serves /healthz,
/readyz and /metrics only when WORKER_METRICS_PORT is set (as in Kubernetes). Without that port
(Docker Compose) a worker's probes are these commands:

    podcheck.py health       Docker HEALTHCHECK for any mode: GET /healthz of an API process,
                             else the liveness check below
    podcheck.py live         the service process exists and is neither a zombie nor stopped
    podcheck.py ready        the Kafka bootstrap servers and the PostgreSQL server accept TCP
                             connections (what a worker needs to make progress)
    podcheck.py readyz       GET /readyz of an API process (its database, checked by the
                             service itself), else the ``ready`` check
    podcheck.py wait-topics  wait until every event topic and its dead-letter topic exists
                             (Kubernetes init container: Strimzi creates the topics with 3
                             replicas; a service starting first would create them itself with
                             the broker-side defaults of its own TopicSpec: replication 1)

Exit status 0 means healthy / ready / present. ``health``, ``live`` and ``ready`` use only the
standard library so that they start fast.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

MODES = ("api", "worker", "migrate", "all")
DEFAULT_PORT = 8000
PG_DEFAULT_PORT = 5432
KAFKA_DEFAULT_PORT = 9092


@dataclass(frozen=True)
class ServiceProcess:
    """A ``python -m <name>_service <mode>`` process seen in /proc."""

    pid: int
    service: str
    mode: str
    port: int


def parse_service_argv(argv: Sequence[str]) -> tuple[str, str, int] | None:
    """``(service, mode, port)`` of a service command line, or None for anything else
    (including an init such as tini or docker-init whose own arguments name the service)."""
    args = list(argv)
    if not args or not Path(args[0]).name.startswith("python"):
        return None
    for i, arg in enumerate(args[:-1]):
        if arg == "-m" and args[i + 1].endswith("_service"):
            service = args[i + 1].removesuffix("_service")
            rest = args[i + 2 :]
            mode = next((a for a in rest if a in MODES), "")
            port = DEFAULT_PORT
            for j, a in enumerate(rest):
                if a == "--port" and j + 1 < len(rest):
                    port = int(rest[j + 1])
                elif a.startswith("--port="):
                    port = int(a.split("=", 1)[1])
            return (service, mode, port) if mode else None
    return None


def find_service_process(proc: Path = Path("/proc")) -> ServiceProcess | None:
    """The service process of this container (PID 1, or a child of an init such as tini)."""
    pids = sorted(int(p.name) for p in proc.iterdir() if p.name.isdigit())
    for pid in pids:
        try:
            raw = (proc / str(pid) / "cmdline").read_bytes()
        except OSError:
            continue
        parsed = parse_service_argv([a.decode(errors="replace") for a in raw.split(b"\0") if a])
        if parsed:
            return ServiceProcess(pid, *parsed)
    return None


def process_state(pid: int, proc: Path = Path("/proc")) -> str:
    """The one-letter state of ``pid`` (R, S, D, Z, T, ...) or '' if it is gone."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return ""
    # "pid (comm) S ..." where comm may itself contain spaces and parentheses.
    return stat.rsplit(")", 1)[1].split()[0]


def check_live(proc: Path = Path("/proc")) -> tuple[bool, str]:
    found = find_service_process(proc)
    if found is None:
        return False, "no `python -m <name>_service <mode>` process"
    state = process_state(found.pid, proc)
    if state in ("", "Z", "X", "T", "t"):
        return False, f"{found.service} {found.mode} (pid {found.pid}) is in state {state or 'gone'}"
    return True, f"{found.service} {found.mode} (pid {found.pid}) is running"


def check_http(port: int, path: str = "/healthz", timeout: float = 3.0) -> tuple[bool, str]:
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200, f"GET {path}: {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"GET {path}: {exc}"


def check_health(proc: Path = Path("/proc")) -> tuple[bool, str]:
    found = find_service_process(proc)
    if found is not None and found.mode in ("api", "all"):
        return check_http(found.port)
    return check_live(proc)


def check_readyz(env: Mapping[str, str], proc: Path = Path("/proc")) -> tuple[bool, str]:
    found = find_service_process(proc)
    if found is not None and found.mode in ("api", "all"):
        return check_http(found.port, "/readyz", timeout=5.0)
    return check_tcp(dependency_endpoints(env))


def host_port(address: str, default_port: int) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` or a bare host."""
    parts = urlsplit("//" + address.strip())
    return parts.hostname or "", parts.port or default_port


def dependency_endpoints(env: Mapping[str, str]) -> list[tuple[str, int]]:
    """Kafka bootstrap servers and PostgreSQL servers named by the service's settings."""
    endpoints: list[tuple[str, int]] = []
    for server in env.get("KAFKA_BOOTSTRAP_SERVERS", "").split(","):
        if server.strip():
            endpoints.append(host_port(server, KAFKA_DEFAULT_PORT))
    for name, value in sorted(env.items()):
        if name == "DATABASE_URL" or name.endswith("_DATABASE_URL"):
            parts = urlsplit(value)
            if parts.hostname:
                endpoints.append((parts.hostname, parts.port or PG_DEFAULT_PORT))
    return list(dict.fromkeys(endpoints))


def check_tcp(endpoints: Iterable[tuple[str, int]], timeout: float = 2.0) -> tuple[bool, str]:
    endpoints = list(endpoints)
    if not endpoints:
        return False, "no KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL in the environment"
    failures = []
    for host, port in endpoints:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                pass
        except OSError as exc:
            failures.append(f"{host}:{port} ({exc})")
    if failures:
        return False, "unreachable: " + ", ".join(failures)
    return True, "reachable: " + ", ".join(f"{h}:{p}" for h, p in endpoints)


def expected_topics(prefix: str = "") -> list[str]:
    """The physical names of the event topics and their dead-letter topics."""
    from backoffice_events.catalog import EVENT_TOPICS, dlq_topic
    from backoffice_events.kafka import KafkaConfig

    config = KafkaConfig(topic_prefix=prefix)
    return [config.topic(name) for topic in EVENT_TOPICS for name in (topic, dlq_topic(topic))]


def wait_for_topics(env: Mapping[str, str], timeout: float, interval: float = 5.0) -> tuple[bool, str]:
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    wanted = set(expected_topics(env.get("TOPIC_PREFIX", "")))
    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS", "")

    async def missing_topics() -> set[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="backoffice-podcheck")
        await admin.start()
        try:
            return wanted - set(await admin.list_topics())
        finally:
            await admin.close()

    deadline = time.monotonic() + timeout
    missing: set[str] = wanted
    while True:
        try:
            missing = asyncio.run(missing_topics())
        except Exception as exc:  # broker not up yet: keep waiting
            print(f"podcheck: kafka at {bootstrap} not answering yet: {exc}", file=sys.stderr)
        if not missing:
            return True, f"all {len(wanted)} topics present"
        if time.monotonic() >= deadline:
            return False, "topics still missing: " + ", ".join(sorted(missing))
        print(f"podcheck: waiting for {len(missing)} topics: {', '.join(sorted(missing))}", file=sys.stderr)
        time.sleep(interval)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    if command == "health":
        ok, detail = check_health()
    elif command == "live":
        ok, detail = check_live()
    elif command == "ready":
        ok, detail = check_tcp(dependency_endpoints(os.environ))
    elif command == "readyz":
        ok, detail = check_readyz(os.environ)
    elif command == "wait-topics":
        timeout = float(args[1]) if len(args) > 1 else 600.0
        ok, detail = wait_for_topics(os.environ, timeout)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"podcheck {command}: {detail}", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
