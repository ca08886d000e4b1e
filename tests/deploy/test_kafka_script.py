"""``deploy/local/kafka.sh start`` with a taken port: it waits a bounded time with a clear
message, then fails naming the port and the process holding it, or goes on once the port is
free. The shared broker is never touched: the ports are ones this test holds itself, and the
script's data lives in a temporary BACKOFFICE_LOCAL_DIR."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "local" / "kafka.sh"
VERSIONS = (REPO / "deploy" / "local" / "versions.env").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(tmp_path: Path, port: int, wait: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env |= {
        "BACKOFFICE_LOCAL_DIR": str(tmp_path),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(_free_port()),
        "KAFKA_PORT_WAIT": str(wait),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=120
    )


def test_a_taken_port_fails_after_a_bounded_wait_naming_the_port_and_its_holder(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = _start(tmp_path, port, wait=2)
    assert result.returncode == 1
    err = re.sub(r"\x1b\[[0-9;]*m", "", result.stderr)
    assert f"port {port} (KAFKA_PORT) is taken by" in err and "waiting up to 2 s" in err
    assert f"port {port} (KAFKA_PORT) is still taken by" in err and "after 2 s" in err
    assert f"pid {os.getpid()}" in err  # this test's process holds it
    assert "tail:" not in err and "usage" not in err.lower()
    assert not (tmp_path / "kafka.pid").exists()  # nothing was started


def test_start_goes_on_once_the_port_is_free(tmp_path: Path) -> None:
    # No Kafka jars: a "fetched" but empty Kafka makes the start fail right after the wait, at
    # formatting, which shows the script went past the port.
    version = re.search(r'KAFKA_VERSION="\$\{KAFKA_VERSION:-([^}]+)\}"', VERSIONS)
    assert version
    home = tmp_path / "kafka" / version.group(1)
    (home / "libs").mkdir(parents=True)
    (home / ".complete").touch()
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    release = threading.Timer(2.0, holder.close)
    release.start()
    try:
        result = _start(tmp_path, port, wait=60)
    finally:
        release.cancel()
        holder.close()
    err = re.sub(r"\x1b\[[0-9;]*m", "", result.stderr)
    assert f"port {port} (KAFKA_PORT) is taken by" in err
    assert f"port {port} is free again" in err
    assert result.returncode == 1
    assert "formatting Kafka storage in" in err and "StorageTool did not run" in err
    assert "still taken" not in err
