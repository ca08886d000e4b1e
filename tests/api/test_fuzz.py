"""Property-based fuzzing of every service's HTTP API from its own OpenAPI document.

Schemathesis generates requests for every operation (schema-valid "positive" data and
schema-breaking "negative" data) and each one is sent, as an admin, to the service's ASGI app
running in-process on a real database. Every answer must hold to the API's contract:

- never a 5xx;
- every 4xx is an RFC 9457 problem (``application/problem+json`` with ``type``, ``title``,
  ``status`` matching the HTTP status, and ``detail``);
- the status is documented and the content type is the documented one (the platform documents
  problem answers as the ``default`` response);
- 2xx bodies match the documented response schema;
- schema-breaking data is refused with a 4xx.

The app lives on the test's event loop (its database pool is bound to it), so Hypothesis runs in
a worker thread and hands each request back to the loop; that keeps Hypothesis in charge of
generation *and* shrinking. Generation is derandomized (same examples every run), with no example
database, so a failure reproduces exactly.

``FUZZ_EXAMPLES`` (default 15) sets the examples per operation and mode; failures show a curl
command reproducing the smallest failing request.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from typing import Any

import httpx
import hypothesis
import hypothesis.errors
import pytest
import requests
import schemathesis
from schemathesis import Case, CheckContext
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from backoffice_platform.auth import Role
from backoffice_platform.testing import running_service

pytestmark = pytest.mark.integration

SERVICES = ("order", "billing", "ledger", "support")
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# The same phases as `schema.parametrize()`: documented examples, coverage (boundary and
# just-out-of-bounds values for every parameter and property), then random fuzzing in both
# positive and negative modes. Deterministic, no example database.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260115,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)
PROBLEM_FIELDS = ("type", "title", "status", "detail")


def problem_details(ctx: CheckContext, response: schemathesis.Response, case: Case) -> bool | None:
    """Every 4xx (and 5xx, should one slip through) is a complete RFC 9457 problem document."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == "application/problem+json", (
        f"{response.status_code} answered with content type {content_type!r}, not application/problem+json"
    )
    body = response.json()
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    missing = [name for name in PROBLEM_FIELDS if not body.get(name)]
    assert not missing, f"problem document lacks {missing}: {body}"
    assert body["status"] == response.status_code, (
        f"problem status {body['status']} != {response.status_code}"
    )
    return None


CHECKS = [
    not_a_server_error,
    problem_details,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    *([negative_data_rejection] if os.environ.get("FUZZ_NEG", "1") == "1" else []),
]


async def _send(client: httpx.AsyncClient, base_url: str, case: Case) -> httpx.Response:
    """Send a case exactly as Schemathesis serialized it (body bytes, query, headers)."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=dict(kwargs.get("headers") or {}),
        params=kwargs.get("params"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
        cookies=kwargs.get("cookies"),
    ).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    return await client.request(
        prepared.method or case.method,
        prepared.url or "",
        headers=dict(prepared.headers),
        content=body,
    )


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", SERVICES)
async def test_fuzz_api(name: str, databases, kafka_config) -> None:
    definition = importlib.import_module(f"{name}_service.service").DEFINITION
    async with running_service(definition, databases, kafka_config, start_worker=False) as svc:
        app = svc.client._transport.app  # type: ignore[attr-defined]
        schema = schemathesis.openapi.from_dict(app.openapi(), config=CONFIG)
        base_url = f"http://{name}"
        headers = {"X-API-Key": svc.keys[Role.ADMIN]}
        loop = asyncio.get_running_loop()

        def call(case: Case, **_: Any) -> None:
            # Runs in Hypothesis' thread: the request itself runs on the test's loop.
            future = asyncio.run_coroutine_threadsafe(_send(svc.client, base_url, case), loop)
            response = future.result(timeout=60)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as exc:
                # A BaseExceptionGroup: re-raised as a plain failure so Hypothesis shrinks it.
                raise AssertionError(exc.message) from None

        failures: list[str] = []
        statuses: dict[int, int] = {}
        tests = [
            result.ok()
            for result in get_all_tests(schema=schema, test_func=call, settings=None, given_kwargs=None)
        ]
        started = time.monotonic()

        def fuzz_all() -> None:
            for operation, test in tests:
                try:
                    test()
                except hypothesis.errors.Unsatisfiable:
                    pass  # nothing to generate (e.g. no parameters in negative mode)
                except Exception as exc:
                    failures.append(f"--- {operation.label}\n{exc}")

        await asyncio.to_thread(fuzz_all)
        print(
            f"\n{name}: {len(tests)} operations, {sum(statuses.values())} requests "
            f"in {time.monotonic() - started:.1f}s; statuses {dict(sorted(statuses.items()))}"
        )
    assert not failures, f"{len(failures)} failing operation(s) in {name}:\n" + "\n".join(failures)
