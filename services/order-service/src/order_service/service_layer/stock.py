"""Stock use cases: receipts and adjustments; more stock fills waiting backorders."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict, NotFound

from ..adapters.stock import stock_level
from ..domain.stock import Stock, StockEvent
from .answers import NO_KEY, Answer, Idempotency, answer_once
from .fulfilment import Fulfilment


async def receive_stock(
    ctx: ServiceContext,
    sku: str,
    quantity: int,
    reference: str | None,
    *,
    expected_version: int | None = None,
    idempotency: Idempotency = NO_KEY,
) -> Answer:
    """Goods arrived: on hand goes up and waiting backorders are filled, oldest order first,
    in the same transaction."""
    return await _change(
        ctx, sku, lambda stock: stock.receive(quantity, reference), expected_version, idempotency
    )


async def adjust_stock(
    ctx: ServiceContext,
    sku: str,
    delta: int,
    reason: str,
    *,
    expected_version: int | None = None,
    idempotency: Idempotency = NO_KEY,
) -> Answer:
    """Correct on hand (count, damage, loss, found). Found stock fills backorders like a receipt."""
    return await _change(ctx, sku, lambda stock: stock.adjust(delta, reason), expected_version, idempotency)


async def _change(
    ctx: ServiceContext,
    sku: str,
    command: Callable[[Stock], Sequence[StockEvent]],
    expected_version: int | None,
    idempotency: Idempotency,
) -> Answer:
    async with ctx.engine.begin() as conn:

        async def work() -> Answer:
            desk = Fulfilment(ctx, conn)
            await desk.lock([sku])
            stock: Stock | None = desk.stock.get(sku)
            if stock is None:
                raise NotFound(f"no product {sku}", field="sku", rule="unknown-sku")
            if expected_version is not None and expected_version != stock.version:
                raise Conflict(
                    f"stock of {sku} is at version {stock.version}, not {expected_version}",
                    field="If-Match",
                    rule="version-mismatch",
                )
            events: list[StockEvent] = list(command(stock))
            await desk.record_stock(sku, events)
            fills = await desk.fill_backorders([sku])
            level = await stock_level(conn, sku)
            assert level is not None  # the row is locked by this transaction
            body = {
                **level.model_dump(mode="json"),
                "filled": [
                    {"order_id": f.order_id, "line_no": f.line_no, "quantity": f.quantity} for f in fills
                ],
            }
            return Answer(201, body, version=level.version)

        return await answer_once(conn, idempotency, work)
