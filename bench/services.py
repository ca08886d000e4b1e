"""Services as separate processes for the HTTP and end-to-end benchmarks.

``python -m <svc>_service api|worker|all --port N`` with its database, Kafka, topic prefix
and one admin API key in the environment, output to ``.local/bench/<name>.log``; RSS via
psutil; stopped with SIGTERM (then SIGKILL) by process id.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from backoffice_events.kafka import KafkaConfig
from backoffice_platform.auth import hash_key

from .core import LOCAL, ROOT, BenchEnv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class ApiKey:
    plain: str
    entries_json: str

    @classmethod
    def admin(cls) -> ApiKey:
        plain = f"bench-{secrets.token_hex(12)}"
        entries = [{"name": "bench-admin", "key_sha256": hash_key(plain), "roles": ["admin"]}]
        return cls(plain, json.dumps(entries))


def service_env(
    env: BenchEnv, service: str, database_url: str, kafka: KafkaConfig, key: ApiKey
) -> dict[str, str]:
    """The environment of one service process (its own database, the bench topics)."""
    out = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "API_KEYS_FILE"}
    out.update(
        {
            # DATABASE_URL is also the settings' own ``database_url``: it must name the
            # service's database, never a shared one.
            "DATABASE_URL": database_url,
            f"{service.upper()}_DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": env.kafka_bootstrap,
            "TOPIC_PREFIX": kafka.topic_prefix,
            "API_KEYS": key.entries_json,
            "LOG_LEVEL": os.environ.get("BENCH_SERVICE_LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return out


@dataclass
class ServiceProcess:
    label: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    peak_rss: float = 0.0
    samples: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        try:
            rss = psutil.Process(self.proc.pid).memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            return 0.0
        self.peak_rss = max(self.peak_rss, rss)
        self.samples.append(rss)
        return rss

    def cpu_seconds(self) -> float:
        try:
            t = psutil.Process(self.proc.pid).cpu_times()
        except psutil.NoSuchProcess:
            return 0.0
        return float(t.user + t.system)

    async def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.label} exited ({self.proc.returncode}); see {self.log}")
                try:
                    if (await client.get(path)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.label} not ready after {timeout:.0f} s; see {self.log}")

    async def stop(self, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def start_process(label: str, args: list[str], env: dict[str, str], port: int) -> ServiceProcess:
    LOCAL.mkdir(parents=True, exist_ok=True)
    log = LOCAL / f"{label}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return ServiceProcess(label, port, proc, log)


def start_service(
    service: str, mode: str, env: dict[str, str], *, label: str | None = None, profile: Path | None = None
) -> ServiceProcess:
    """``python -m <service>_service <mode> --port N`` (``profile``: under pyinstrument)."""
    port = free_port()
    args = ["-m", f"{service}_service", mode, "--port", str(port)]
    if profile is not None:
        args = ["-m", "bench.profiled", str(profile), f"{service}_service", mode, "--port", str(port)]
    return start_process(label or f"{service}-{mode}-{port}", args, env, port)
