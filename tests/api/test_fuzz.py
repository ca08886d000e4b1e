"""Property-based fuzzing of every service's HTTP API from its own OpenAPI document.

Schemathesis generates requests for every operation, with the phases ``schema.parametrize()``
uses: the documented examples, coverage (boundary and just-out-of-bounds values of every
parameter and property) and random fuzzing of schema-valid ("positive") and schema-breaking
("negative") data. Each request is sent, as an admin, to the service's ASGI app running
in-process on a real database, and every answer must hold to the API's contract:

- never a 5xx (``not_a_server_error``);
- every 4xx is an RFC 9457 problem: ``application/problem+json`` with ``type``, ``title``,
  ``status`` (equal to the HTTP status) and ``detail`` (``problem_details`` below);
- the status and content type are documented ones (the platform documents problem answers as
  the ``default`` response of every operation);
- 2xx bodies match the documented response schema (``response_schema_conformance``);
- schema-breaking data is refused with a 4xx (``schema_violations_refused``).

Random data alone rarely gets past "unknown SKU" or "unknown currency", so each service is first
seeded with a few real resources (products with stock, an order and its shipment, accounts,
suppliers, bills, payments, invoices, tickets) and schema-valid cases get, most of the time, real
identifiers and currencies in place of random ones (``register_realistic_values``). That carries
random quantities, amounts, dates and texts down to the domain and the database.

The app lives on the test's event loop (its database pool is bound to it), so Hypothesis runs in
a worker thread and hands each request to the loop: Hypothesis stays in charge of generation
and shrinking. Generation is derandomized with no example database, so a run is reproducible;
a failure names the operation and shows a curl command for the smallest failing request.
``FUZZ_EXAMPLES`` (default 25) sets the random examples per operation and ``FUZZ_SEED`` the
seed, to explore further than the default run (e.g. ``FUZZ_EXAMPLES=150``, about two minutes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import os
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import hypothesis.errors
import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from schemathesis import Case, CheckContext, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text as sql_text

from backoffice_events.consumer import ConsumedEvent
from backoffice_events.envelope import Envelope
from backoffice_events.money import Money
from backoffice_platform.auth import Role
from backoffice_platform.testing import RunningService, running_service

pytestmark = pytest.mark.integration

SERVICES = ("order", "billing", "ledger", "support")
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": int(os.environ.get("FUZZ_SEED", "20260115")),
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)
PROBLEM_FIELDS = ("type", "title", "status", "detail")


def problem_details(ctx: CheckContext, response: schemathesis.Response, case: Case) -> bool | None:
    """Every error answer is a complete RFC 9457 problem document."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == "application/problem+json", (
        f"{response.status_code} answered as {content_type!r}, not application/problem+json"
    )
    body = response.json()
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    missing = [name for name in PROBLEM_FIELDS if not body.get(name)]
    assert not missing, f"problem document lacks {missing}: {body}"
    assert body["status"] == response.status_code, (
        f"problem status {body['status']} in a {response.status_code}"
    )
    return None


PATH = ParameterLocation.PATH


def schema_violations_refused(ctx: CheckContext, response: schemathesis.Response, case: Case) -> bool | None:
    """``negative_data_rejection``, except when a path parameter is the only schema-breaking part:
    every path segment reaches the app as text, so a number or an object "negated" into a free-form
    string path parameter arrives as a valid string (the fuzzing phase records no mutation for
    Schemathesis' own serialization exemptions to work with)."""
    meta = case.meta
    if meta is not None and [loc for loc in ParameterLocation if meta.is_negative_at(loc)] == [PATH]:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    problem_details,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    schema_violations_refused,
]

# -- seeding: a few real resources per service, and the identifiers they go by -----------------

Pools = dict[str, list[Any]]
T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
ADDRESS = {"name": "Fuzz Ltd", "line1": "Main St 1", "postal_code": "1000", "city": "Gent", "country": "BE"}


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def _ok(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, f"seeding {response.request.url}: {response.text}"
    return response.json()


async def seed_order(svc: RunningService) -> Pools:
    c = svc.client
    for sku in ("FZ-1", "FZ-2"):
        body = {"sku": sku, "name": sku, "unit_price": eur("12.50"), "vat_rate": "0.21"}
        await _ok(await c.post("/products", json=body))
        await _ok(await c.post(f"/stock/{sku}/receipts", json={"quantity": 1000}))
    order = await _ok(
        await c.post(
            "/orders",
            json={
                "customer_id": "cust-fz-1",
                "channel": "web",
                "currency": "EUR",
                "backorder_policy": "allow",
                "shipping_address": ADDRESS,
                "lines": [{"sku": "FZ-1", "quantity": 5}, {"sku": "FZ-2", "quantity": 3}],
            },
        )
    )
    shipment = await _ok(
        await c.post(
            f"/orders/{order['order_id']}/shipments",
            json={"carrier": "DHL", "lines": [{"line_no": 1, "quantity": 1}]},
        )
    )
    return {
        "sku": ["FZ-1", "FZ-2"],
        "order_id": [order["order_id"]],
        "shipment_id": [shipment["shipment_id"]],
        "customer_id": ["cust-fz-1"],
        "line_no": [1, 2],
    }


async def _chart_account_6000(svc: RunningService) -> None:
    """The ledger's expense account 6000 in billing's chart read model (no worker runs here),
    applied by the chart consumer's own handler."""
    import datetime as dt

    from backoffice_events.catalog import LEDGER
    from backoffice_events.catalog.chart import AccountOpened, AccountType
    from backoffice_events.consumer import ConsumedEvent
    from backoffice_events.envelope import Envelope
    from billing_service.adapters.chart import on_account_opened

    opened = AccountOpened(code="6000", name="Purchases", account_type=AccountType.EXPENSE)
    env = Envelope(
        id="chart-6000",
        source="ledger",
        type=opened.cloud_type(),
        subject="chart",
        time=dt.datetime.now(dt.UTC),
        data=opened.model_dump(mode="json"),
        stream_version=1,
        correlation_id="fuzz",
    )
    async with svc.ctx.engine.begin() as conn:
        await on_account_opened(conn, ConsumedEvent(env, opened, LEDGER, 0, 0))


async def seed_billing(svc: RunningService) -> Pools:
    from backoffice_events.catalog.orders import OrderShipped, ShippedLine
    from billing_service.service_layer.invoicing import issue_invoice

    c = svc.client
    await _chart_account_6000(svc)
    await _ok(await c.post("/accounts", json={"customer_id": "cust-fz-1", "currency": "EUR"}))
    await _ok(await c.post("/suppliers", json={"supplier_id": "sup-fz-1", "name": "Fuzz", "currency": "EUR"}))
    line = {"description": "paper", "expense_account": "6000", "net": eur("100.00"), "vat_rate": "0.21"}
    bill = await _ok(
        await c.post(
            "/supplier-bills",
            json={
                "supplier_id": "sup-fz-1",
                "supplier_invoice_number": "S-1",
                "bill_date": "2026-01-10",
                "lines": [line],
            },
        )
    )
    invoices = []
    for n in (1, 2):
        shipped = OrderShipped(
            order_id=f"ord-fz-{n}",
            shipment_id=f"shp-fz-{n}",
            customer_id="cust-fz-1",
            currency="EUR",
            lines=[
                ShippedLine(
                    line_no=1,
                    sku="FZ-1",
                    quantity=2,
                    unit_price=Money.of("50.00", "EUR"),
                    vat_rate=Decimal("0.21"),
                )
            ],
            carrier="DHL",
            shipped_at=T0,
        )
        invoice = await issue_invoice(svc.ctx, shipped)
        assert invoice is not None
        invoices.append(invoice.invoice_id)
    payment = await _ok(
        await c.post(
            "/payments",
            json={"customer_id": "cust-fz-1", "amount": eur("50.00"), "bank_transaction_id": "bt-fz-1"},
        )
    )
    return {
        "customer_id": ["cust-fz-1"],
        "supplier_id": ["sup-fz-1"],
        "bill_id": [bill["bill_id"]],
        "invoice_id": invoices,
        "payment_id": [payment["payment_id"]],
    }


async def seed_ledger(svc: RunningService) -> Pools:
    return {"customer_id": ["cust-fz-1"], "supplier_id": ["sup-fz-1"], "code": ["1200", "1600", "4000"]}


async def seed_support(svc: RunningService) -> Pools:
    from backoffice_events.catalog.orders import Address, OrderLine, OrderPlaced
    from support_service.adapters.history import project_history

    placed = OrderPlaced(
        order_id="ord-fz-1",
        customer_id="cust-fz-1",
        channel="web",
        currency="EUR",
        lines=[
            OrderLine(
                line_no=1, sku="FZ-1", quantity=5, unit_price=Money.of("12.50", "EUR"), vat_rate=Decimal(0)
            )
        ],
        shipping_address=Address(**ADDRESS),
        backorder_policy="allow",
        placed_at=T0 - dt.timedelta(days=3),
    )
    envelope = Envelope(
        id=str(uuid.uuid4()),
        source="fuzz-seed",
        type=placed.cloud_type(),
        subject="order-ord-fz-1",
        time=placed.placed_at,
        data=placed.model_dump(mode="json"),
        stream_version=1,
        correlation_id=str(uuid.uuid4()),
    )
    async with svc.ctx.engine.begin() as conn:
        await project_history(conn, ConsumedEvent(envelope, placed, "seed", 0, 0))
    ticket = await _ok(
        await svc.client.post(
            "/tickets", json={"customer_id": "cust-fz-1", "channel": "email", "subject": "late parcel"}
        )
    )
    return {
        "customer_id": ["cust-fz-1"],
        "order_id": ["ord-fz-1"],
        "ticket_id": [ticket["ticket_id"]],
        "line_no": [1],
    }


SEEDS: dict[str, Callable[[RunningService], Awaitable[Pools]]] = {
    "order": seed_order,
    "billing": seed_billing,
    "ledger": seed_ledger,
    "support": seed_support,
}
CURRENCIES = ["EUR", "EUR", "USD", "JPY", "KWD"]


def _realistic(value: Any, pools: Pools, choose: Callable[[list[Any]], Any], key: str | None = None) -> Any:
    """``value`` with, most of the time, known identifiers and currencies in place of random ones.

    ``choose(options)`` picks one option; the last one keeps the generated value. Only values of
    the same JSON type are swapped in, so a schema-valid case stays schema-valid.
    """
    if isinstance(value, dict):
        return {k: _realistic(v, pools, choose, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_realistic(v, pools, choose, key) for v in value]
    if key is None:
        return value
    if key.endswith("currency") and isinstance(value, str) and len(value) == 3:
        return choose([*CURRENCIES, value])
    if key in pools and type(value) is type(pools[key][0]):
        return choose([*pools[key], *pools[key], value])
    return value


def _with_realistic_values(case: Case, pools: Pools, choose: Callable[[list[Any]], Any]) -> Case:
    case.path_parameters = _realistic(case.path_parameters, pools, choose)
    case.query = _realistic(case.query, pools, choose)
    if isinstance(case.body, (dict, list)):
        case.body = _realistic(case.body, pools, choose)
    if case.headers and "if-match" in case.headers and choose([True, False, False]):
        headers = case.headers.copy()
        del headers["if-match"]  # a random If-Match stops most writes at 422
        case.headers = headers
    return case


def _is_positive(case: Case, phase: str) -> bool:
    # Only schema-valid cases: a negative case must stay exactly as invalid as generated.
    meta = case.meta
    return (
        meta is not None
        and meta.generation.mode is GenerationMode.POSITIVE
        and meta.phase.name.value == phase
    )


def register_realistic_values(schema: Any, pools: Pools) -> None:
    """Hooks swapping real identifiers and currencies into schema-valid cases: drawn by Hypothesis
    in the fuzzing phase (so shrinking can undo them), derived from the case in the coverage phase
    (whose cases are built without Hypothesis)."""

    @schema.hook
    def flatmap_case(context: Any, case: Case) -> st.SearchStrategy[Case]:
        if not _is_positive(case, "fuzzing"):
            return st.just(case)

        @st.composite
        def realistic(draw: st.DrawFn) -> Case:
            return _with_realistic_values(case, pools, lambda options: draw(st.sampled_from(options)))

        return realistic()

    @schema.hook
    def map_case(context: Any, case: Case) -> Case:
        if not _is_positive(case, "coverage"):
            return case
        salt = repr((case.path_parameters, case.query, case.body, case.headers))
        counter = iter(range(1_000_000))

        def choose(options: list[Any]) -> Any:
            return options[zlib.crc32(f"{salt}/{next(counter)}".encode()) % len(options)]

        return _with_realistic_values(case, pools, choose)


# -- sending and checking -------------------------------------------------------------------------


async def _send(client: httpx.AsyncClient, base_url: str, case: Case) -> httpx.Response:
    """Send a case exactly as Schemathesis serializes it (body bytes, query string, headers)."""
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
        prepared.method or case.method, prepared.url or "", headers=dict(prepared.headers), content=body
    )


def _describe(exc: BaseException) -> str:
    """The failure, with the ones inside a group (Hypothesis reports a state-dependent failure
    that did not repeat as a FlakyFailure group holding the original)."""
    text = str(exc)
    if isinstance(exc, BaseExceptionGroup):
        text += "".join(f"\n  > {_describe(inner)}" for inner in exc.exceptions)
    return text


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", SERVICES)
async def test_fuzz_api(name: str, databases, kafka_config) -> None:
    definition = importlib.import_module(f"{name}_service.service").DEFINITION
    async with running_service(definition, databases, kafka_config, start_worker=False) as svc:
        app = svc.client._transport.app  # type: ignore[attr-defined]
        pools = await SEEDS[name](svc)
        schema = schemathesis.openapi.from_dict(app.openapi(), config=CONFIG)
        register_realistic_values(schema, pools)
        base_url = f"http://{name}"
        headers = {"X-API-Key": svc.keys[Role.ADMIN]}
        # Unhandled errors come back as the 500 the platform answers, not as exceptions.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url=base_url, headers=headers)
        loop = asyncio.get_running_loop()
        statuses: dict[int, int] = {}
        failures: list[str] = []

        def call(case: Case, **_: Any) -> None:
            # Runs in Hypothesis' thread; the request itself runs on the test's loop.
            response = asyncio.run_coroutine_threadsafe(_send(client, base_url, case), loop).result(60)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as exc:
                # A BaseExceptionGroup, which Hypothesis would not shrink: re-raise as a failure.
                raise AssertionError(exc.message) from None

        tests = [
            result.ok()
            for result in get_all_tests(schema=schema, test_func=call, settings=None, given_kwargs=None)
        ]

        def fuzz_all() -> None:
            for operation, test in tests:
                try:
                    test()
                except hypothesis.errors.Unsatisfiable:
                    pass  # nothing schema-breaking to generate (no parameters, or free-form strings only)
                except Exception as exc:
                    failures.append(f"--- {operation.label}\n{_describe(exc)}")

        started = time.monotonic()
        try:
            await asyncio.to_thread(fuzz_all)
        finally:
            await client.aclose()
            # Work the API started in the background (the ledger's POST /rebuild) ends with the app.
            for task in [t for t in svc.ctx.extras.values() if isinstance(t, asyncio.Task)]:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        print(
            f"\n{name}: {len(tests)} operations, {sum(statuses.values())} requests in "
            f"{time.monotonic() - started:.1f}s; statuses {dict(sorted(statuses.items()))}"
        )
    assert not failures, f"{len(failures)} failing operation(s) in {name}:\n" + "\n".join(failures)


# -- oversize bodies -------------------------------------------------------------------------------

# A write endpoint per service that reads a JSON body (the ledger has none: only announced sizes).
WRITES = {"order": "/products", "billing": "/payments", "ledger": "/rebuild", "support": "/tickets"}


@pytest.mark.parametrize("name", SERVICES)
async def test_oversize_body_is_413_problem(name: str, databases, kafka_config) -> None:
    definition = importlib.import_module(f"{name}_service.service").DEFINITION
    async with running_service(definition, databases, kafka_config, start_worker=False) as svc:
        limit = svc.ctx.settings.max_body_bytes
        assert limit == 1_000_000
        filler = "x" * (limit + 1)
        payload = ('{"name": "' + filler + '"}').encode()
        # Announced by Content-Length, and streamed in chunks without one.
        announced = await svc.client.post(
            WRITES[name], content=payload, headers={"Content-Type": "application/json"}
        )

        async def chunks():
            for start in range(0, len(payload), 64 * 1024):
                yield payload[start : start + 64 * 1024]

        responses = [announced]
        if name != "ledger":
            responses.append(
                await svc.client.post(
                    WRITES[name], content=chunks(), headers={"Content-Type": "application/json"}
                )
            )
        for response in responses:
            assert response.status_code == 413, response.text
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["status"] == 413
            assert body["type"].endswith("/payload-too-large")
            assert body["title"] and str(limit) in body["detail"]
        async with svc.ctx.engine.connect() as conn:
            assert await conn.scalar(sql_text("SELECT count(*) FROM events")) == 0
