"""Kafka handlers: invoices for shipments (``backoffice.orders``) and credit notes for support's
credit remedies (``backoffice.support``). The consumer runtime dedupes by event id in the same
transaction; the unique shipment id and remedy id make a replay under another id harmless too."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog import LEDGER, ORDERS, SUPPORT
from backoffice_events.catalog.ledger import PeriodClosed, PeriodReopened
from backoffice_events.catalog.orders import OrderShipped
from backoffice_events.catalog.support import CreditRemedyRequested
from backoffice_events.consumer import ConsumedEvent, EventConsumer, PermanentError
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import DomainError

from ..service_layer.credit import credit_remedy_in
from ..service_layer.invoicing import issue_invoice_in
from ..service_layer.periods import learn_lock_date
from .chart import CHART_HANDLERS


def consumers(ctx: ServiceContext) -> Sequence[EventConsumer]:
    """Billing's consumers, one consumer group over the topics it listens to."""

    async def on_shipped(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
        shipped = consumed.event
        assert isinstance(shipped, OrderShipped)
        try:
            await issue_invoice_in(conn, ctx, shipped)
        except DomainError as exc:  # e.g. a shipment in another currency than the account's
            raise PermanentError(
                f"shipment {shipped.shipment_id} cannot be invoiced: {exc.rule}: {exc.detail}"
            ) from exc

    async def on_credit_remedy(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
        requested = consumed.event
        assert isinstance(requested, CreditRemedyRequested)
        await credit_remedy_in(conn, ctx, requested)

    async def on_period(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
        event = consumed.event
        assert isinstance(event, PeriodClosed | PeriodReopened)
        await learn_lock_date(conn, event, consumed.envelope.id)

    return [
        EventConsumer(
            name="billing",
            engine=ctx.engine,
            kafka=ctx.kafka,
            topics=[ORDERS, SUPPORT],
            handlers={OrderShipped: on_shipped, CreditRemedyRequested: on_credit_remedy},
        ),
        # Its own group, so the ledger's topic never holds back invoicing (and vice versa): the
        # chart (bill lines are checked against it) and the lock date (commands are refused in
        # closed periods). Manual journal entries are skipped by type, undecoded.
        EventConsumer(
            name="billing-ledger",
            engine=ctx.engine,
            kafka=ctx.kafka,
            topics=[LEDGER],
            handlers={**CHART_HANDLERS, PeriodClosed: on_period, PeriodReopened: on_period},
        ),
    ]
