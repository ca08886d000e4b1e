"""Kafka handler: support asks for a free replacement shipment (``ReshipmentRemedyRequested``)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.support import ReshipmentRemedyRequested
from backoffice_events.catalog.topics import SUPPORT
from backoffice_events.consumer import ConsumedEvent, EventConsumer, PermanentError
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import DomainError

from ..service_layer import orders

log = logging.getLogger(__name__)


def reshipment_consumer(ctx: ServiceContext) -> EventConsumer:
    """Ships each requested replacement once.

    Exactly once twice over: the runtime skips an event id it already handled (same
    transaction as the shipment), and the order refuses a second replacement for the same
    remedy id, so a re-published request with a new event id ships nothing either.
    A request for an unknown order, unknown lines or more than was shipped can never be met:
    it is dead-lettered with the reason (and can be replayed once fixed, e.g. stock arrived).
    """

    async def handle(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
        event = consumed.event
        assert isinstance(event, ReshipmentRemedyRequested)
        try:
            shipped = await orders.reship(
                ctx, conn, order_id=event.order_id, remedy_id=event.remedy_id, lines=event.lines
            )
        except DomainError as exc:
            raise PermanentError(
                f"remedy {event.remedy_id} for order {event.order_id}: {exc.rule or exc.kind}"
                f" ({exc.field or '-'}): {exc.detail}"
            ) from exc
        if not shipped:
            log.info("remedy %s already has its replacement shipment", event.remedy_id)

    return EventConsumer(
        name="order-reshipments",
        engine=ctx.engine,
        kafka=ctx.kafka,
        topics=[SUPPORT],
        handlers={ReshipmentRemedyRequested: handle},
    )
