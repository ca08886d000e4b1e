"""The API documentation pages work without internet: every asset they load is served by the
service itself (FastAPI's defaults load Swagger UI from a public CDN)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from backoffice_platform.app import build_context, create_service_app
from backoffice_platform.auth import KeyRing
from backoffice_platform.settings import ServiceSettings


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(service_name="probe", database_url="postgresql://nobody@127.0.0.1:1/none")
    ctx = build_context(settings, keys=KeyRing([]))
    app = create_service_app(ctx, title="probe", description="", routers=[])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as c:
        yield c
    await ctx.engine.dispose()


@pytest.mark.parametrize(("page", "assets"), [("/docs", 3), ("/redoc", 2)])
async def test_docs_pages_load_only_their_own_assets(
    client: httpx.AsyncClient, page: str, assets: int
) -> None:
    html = (await client.get(page)).text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", html)
    found = [a or b for a, b in urls]
    assert not [u for u in found if "://" in u or u.startswith("//")], found
    local = [u for u in found if u.startswith("/docs-assets/")]
    assert len(local) == assets, found
    for url in local:
        asset = await client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url
    assert "/openapi.json" in html


async def test_the_swagger_bundle_reads_openapi_3_1(client: httpx.AsyncClient) -> None:
    # FastAPI emits OpenAPI 3.1; Swagger UI before 5 cannot render it.
    bundle = (await client.get("/docs-assets/swagger-ui-bundle.js")).text
    assert (await client.get("/openapi.json")).json()["openapi"].startswith("3.1")
    assert re.search(r"OpenAPI 3\.1|openapi31|isOAS31", bundle)
