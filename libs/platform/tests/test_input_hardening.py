"""What the platform refuses before a request reaches a service's rules, and how: text the
database cannot store, non-ISO dates, amounts too large to store, oversize streamed bodies, and
totals overflowing a numeric column. Each is a problem response naming the field where there is
one. (The fuzzing in tests/api found each of these as a 500 or a silently wrong answer.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError

from backoffice_platform.app import build_context, create_service_app, with_roles
from backoffice_platform.auth import KeyRing, Role, hash_key
from backoffice_platform.http import IsoDate, MoneyInput
from backoffice_platform.settings import ServiceSettings

KEY = "test-key"
LIMIT = 300_000  # max_body_bytes


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[Line] = []
    price: MoneyInput | None = None
    on: IsoDate | None = None


class _SqlState(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


router = APIRouter(dependencies=[with_roles(Role.ORDER_CLERK)])


@router.post("/entries/{name}")
async def post_entry(name: str, body: Entry, note: str | None = None) -> dict[str, str]:
    return {"name": name, "on": str(body.on)}


@router.get("/days")
async def day(as_of: IsoDate) -> dict[str, str]:
    return {"as_of": as_of.isoformat()}


@router.post("/overflow/{sqlstate}")
async def overflow(sqlstate: str) -> None:
    raise DBAPIError("UPDATE t SET n = n + 1", {}, _SqlState(sqlstate))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(
        service_name="probe", database_url="postgresql://nobody@127.0.0.1:1/none", max_body_bytes=LIMIT
    )
    keys = KeyRing([{"name": "admin", "key_sha256": hash_key(KEY), "roles": ["admin"]}])
    ctx = build_context(settings, keys=keys)
    app = create_service_app(ctx, title="probe", description="", routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://probe", headers={"X-API-Key": KEY}
    ) as c:
        yield c
    await ctx.engine.dispose()


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


@pytest.mark.parametrize(
    ("path", "query", "body", "field"),
    [
        ("/entries/a", {}, {"lines": [{"sku": "ok"}, {"sku": "bad\x00"}]}, "lines[1].sku"),
        ("/entries/a", {}, {"lines": [{"sku": "\ud800"}]}, "lines[0].sku"),
        ("/entries/a%00b", {}, {}, "name"),
        ("/entries/a", {"note": "x\x00"}, {}, "note"),
    ],
)
async def test_text_the_database_cannot_store_is_refused_naming_the_field(
    client: httpx.AsyncClient, path: str, query: dict[str, str], body: dict[str, object], field: str
) -> None:
    # json.dumps escapes NUL as \u0000 and a lone surrogate as \ud800: both valid JSON.
    response = await client.post(
        path, params=query, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    refused = problem(response, 422)
    assert refused["field"] == field and refused["rule"] == "invalid-character"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
async def test_a_deeply_nested_body_is_a_4xx_whatever_its_content_type(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    deep = b'{"lines": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post("/entries/a", content=deep, headers=headers)
    assert response.status_code in (400, 413, 422), response.text
    problem(response, response.status_code)


async def test_unauthenticated_callers_still_get_401_first(client: httpx.AsyncClient) -> None:
    response = await client.post("/entries/a%00", json={}, headers={"X-API-Key": ""})
    problem(response, 401)


@pytest.mark.parametrize("value", ["20260115", "0", "2026-1-5", "15.01.2026"])
async def test_dates_are_iso_only_never_timestamps(client: httpx.AsyncClient, value: str) -> None:
    refused = problem(await client.get("/days", params={"as_of": value}), 422)
    assert refused["field"] == "as_of" and refused["rule"] == "date-not-iso"
    in_body = problem(await client.post("/entries/a", json={"on": 20260115}), 422)
    assert in_body["field"] == "on" and in_body["rule"] == "date-not-iso"
    assert (await client.get("/days", params={"as_of": "2026-01-15"})).json() == {"as_of": "2026-01-15"}


async def test_amounts_too_large_to_store_are_refused(client: httpx.AsyncClient) -> None:
    for amount in ("1000000000000", 10**30, "-1000000000000.5"):
        response = await client.post("/entries/a", json={"price": {"amount": amount, "currency": "EUR"}})
        refused = problem(response, 422)
        assert refused["field"] == "price" and refused["rule"] == "amount-too-large"
    fits = {"price": {"amount": "999999999999.99", "currency": "EUR"}}
    assert (await client.post("/entries/a", json=fits)).status_code == 200


async def test_a_streamed_body_over_the_limit_is_a_413_problem(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"lines": ['
        for _ in range(LIMIT // 1000 + 1):
            yield b'{"sku": "' + b"x" * 1000 + b'"},'
        yield b'{"sku": "x"}]}'

    response = await client.post("/entries/a", content=chunks(), headers={"Content-Type": "application/json"})
    refused = problem(response, 413)
    assert str(refused["type"]).endswith("/payload-too-large") and str(LIMIT) in str(refused["detail"])


async def test_a_total_overflowing_its_column_is_a_422_not_a_500(client: httpx.AsyncClient) -> None:
    refused = problem(await client.post("/overflow/22003"), 422)
    assert refused["rule"] == "value-out-of-range"
    problem(await client.post("/overflow/23505"), 500)  # any other database error stays a 500
