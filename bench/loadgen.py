"""Closed-loop HTTP load from a separate process: POST /orders (or a trivial endpoint) at a
fixed concurrency for a fixed duration, a unique Idempotency-Key per request.

``wrk`` (with a Lua script that builds each request) when it is installed, else this
module's own asyncio/httpx generator (``python -m bench.loadgen ...``, one process), which
needs far more CPU per request: the report says which one ran.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .core import ROOT, percentile

CUSTOMERS = 1000
ADDRESS = {
    "name": "Acme GmbH",
    "line1": "Hauptstr. 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
}


@dataclass
class LoadResult:
    tool: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def order_body(n: int, skus: list[str]) -> dict[str, Any]:
    return {
        "customer_id": f"cust-http-{n % CUSTOMERS:04d}",
        "channel": "web",
        "currency": "EUR",
        "backorder_policy": "reject",
        "shipping_address": ADDRESS,
        "lines": [
            {"sku": skus[n % len(skus)], "quantity": 1 + n % 3},
            {"sku": skus[(n + 7) % len(skus)], "quantity": 1},
        ],
    }


_LUA = r"""
local counter = 0
local skus = {%(skus)s}
local prefix = ""
local address = '%(address)s'
setup = function(thread)
  thread:set("tid", tostring(math.random(1, 1000000000)))
end
init = function(args)
  prefix = "%(run)s-" .. tid .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = "%(key)s"
end
request = function()
  counter = counter + 1
  local n = counter
  wrk.headers["Idempotency-Key"] = prefix .. n
  local body = string.format(
    '{"customer_id":"cust-http-%%04d","channel":"web","currency":"EUR","backorder_policy":"reject",'
    .. '"shipping_address":%%s,"lines":[{"sku":"%%s","quantity":%%d},{"sku":"%%s","quantity":1}]}',
    n %% %(customers)d, address, skus[(n %% #skus) + 1], 1 + n %% 3, skus[((n + 7) %% #skus) + 1])
  return wrk.format(nil, "%(path)s", nil, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"errors":%%d,"p50_us":%%d,"p99_us":%%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


async def run_load(
    url: str, path: str, *, concurrency: int, seconds: float, key: str, skus: list[str], threads: int = 1
) -> LoadResult:
    """Load ``url + path`` from a separate process and return what it measured."""
    if wrk_available():
        return await _run_wrk(url, path, concurrency, seconds, key, skus, threads)
    return await _run_python(url, path, concurrency, seconds, key, skus)


async def _run_wrk(
    url: str, path: str, concurrency: int, seconds: float, key: str, skus: list[str], threads: int
) -> LoadResult:
    script = _LUA % {
        "skus": ", ".join(f'"{s}"' for s in skus),
        "address": json.dumps(ADDRESS, separators=(",", ":")),
        "run": uuid.uuid4().hex[:10],
        "key": key,
        "customers": CUSTOMERS,
        "path": path,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        lua = f.name
    try:
        proc = await asyncio.create_subprocess_exec(
            "wrk",
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            lua,
            url,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
    finally:
        Path(lua).unlink(missing_ok=True)  # noqa: ASYNC240
    text = out.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{text}")
    data = json.loads(line.removeprefix("WRKJSON "))
    return LoadResult(
        "wrk",
        int(data["requests"]),
        int(data["errors"]),
        data["duration_us"] / 1e6,
        data["p50_us"] / 1e3,
        data["p99_us"] / 1e3,
    )


async def _run_python(
    url: str, path: str, concurrency: int, seconds: float, key: str, skus: list[str]
) -> LoadResult:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.loadgen",
        url,
        path,
        "--concurrency",
        str(concurrency),
        "--seconds",
        str(seconds),
        "--key",
        key,
        "--skus",
        ",".join(skus),
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    data = json.loads(out.decode().strip().splitlines()[-1])
    return LoadResult(
        "python (httpx)", data["requests"], data["errors"], data["seconds"], data["p50_ms"], data["p99_ms"]
    )


async def _python_load(
    url: str, path: str, concurrency: int, seconds: float, key: str, skus: list[str]
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    counter = 0
    run = uuid.uuid4().hex[:10]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10.0) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline:
                counter += 1
                n = counter
                started = time.perf_counter()
                try:
                    r = await client.post(
                        path,
                        json=order_body(n, skus),
                        headers={"X-API-Key": key, "Idempotency-Key": f"{run}-{n}"},
                    )
                    if r.status_code >= 300:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--key", default="")
    parser.add_argument("--skus", default="SKU-1")
    args = parser.parse_args()
    result = asyncio.run(
        _python_load(args.url, args.path, args.concurrency, args.seconds, args.key, args.skus.split(","))
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
