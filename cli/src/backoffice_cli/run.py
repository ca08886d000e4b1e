"""``make run``: start every service locally on the local stack, seed the demo company,
print the URLs, and stop everything on Ctrl-C (or ``make down``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from backoffice_platform.user_tokens import ensure_key_pair

from .local import KEYS_FILE, LOCAL, api_url, ensure_local_keys
from .services import PORTS, available

LOGS = LOCAL / "logs"


def start_services(admin: str) -> dict[str, subprocess.Popen[bytes]]:
    LOGS.mkdir(parents=True, exist_ok=True)
    # The console signs each user's short-lived token; the services verify it with this key.
    private, public = ensure_key_pair(LOCAL / "keys")
    env = {
        **os.environ,
        "API_KEYS_FILE": str(KEYS_FILE),
        "LOG_JSON": "true",
        "CONSOLE_PUBLIC_KEY_FILE": str(public),
        "CONSOLE_PRIVATE_KEY_FILE": str(private),
        **{f"{name.upper()}_API_URL": api_url(name) for name in ("order", "billing", "ledger", "support")},
    }
    procs = {}
    for name in [*available(), "console"]:
        log = open(LOGS / f"{name}-service.log", "ab")  # noqa: SIM115 - lives as long as the process
        procs[name] = subprocess.Popen(
            # The console has no relay or consumers: its API is the whole of it.
            [
                sys.executable,
                "-m",
                f"{name}_service",
                "api" if name == "console" else "all",
                "--port",
                str(PORTS[name]),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return procs


def wait_ready(procs: dict[str, subprocess.Popen[bytes]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    pending = set(procs)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            if procs[name].poll() is not None:
                raise SystemExit(f"{name}-service exited; see {LOGS / f'{name}-service.log'}")
            try:
                if httpx.get(api_url(name) + "/readyz", timeout=1).status_code == 200:
                    pending.discard(name)
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    if pending:
        raise SystemExit(f"not ready in {timeout:.0f}s: {', '.join(sorted(pending))}")


def main() -> None:
    admin = ensure_local_keys()
    (LOCAL / "run.pid").write_text(str(os.getpid()))
    procs = start_services(admin)

    def stop(*_: object) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        (LOCAL / "run.pid").unlink(missing_ok=True)
        print("\nstopped all services")
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        wait_ready(procs)
        from .seed import seed_demo

        seed_demo(admin)
        from .demo_users import ensure_demo_users

        logins = ensure_demo_users()
    except BaseException:
        stop()
        raise
    print("\nBackoffice is running:")
    print(f"  console  {api_url('console')}/  (the clerks' desks)")
    for name in procs:
        if name != "console":
            print(f"  {name:8s} {api_url(name)}/docs")
    print(f"\nConsole logins (password for all: {logins.password}):")
    for role, email in logins.emails.items():
        print(f"  {role:15s} {email}")
    print(f"\nAPI keys per role: {LOCAL / 'demo-keys.json'} (admin key in {LOCAL / 'admin.key'})")
    print("Operator CLI: .venv/bin/backoffice status    Stop: Ctrl-C or `make down`\n")
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name}-service exited with {proc.returncode}; see {LOGS / f'{name}-service.log'}")
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
