"""The baseline of ``http-orders``: a trivial FastAPI endpoint on uvicorn with the settings
the services use (``backoffice_platform.runtime._serve_api``: one process, no access log,
no lifespan).

    python -m bench.trivial_app --port 8001
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.post("/orders", status_code=201)
async def place() -> dict[str, str]:
    return {"order_id": "ord-1", "status": "placed"}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="api")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, lifespan="off"
    )
    asyncio.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
