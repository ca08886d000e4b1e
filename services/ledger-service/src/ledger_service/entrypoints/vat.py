"""VAT per rate: output VAT (invoices less credit notes) and input VAT (approved supplier
bills), from the books at a date, for the whole company or one document."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.money import format_amount
from backoffice_platform.app import ctx_of
from backoffice_platform.errors import InvalidInput

from ..adapters.books import read_books
from ..adapters.queries import all_accounts
from ..adapters.vat import taxed_line_totals
from ..domain import ChartOfAccounts
from ..domain.vat import VatAtRate, VatSide, vat_by_rate
from .books import READERS, AsOf

router = APIRouter(tags=["ledger"], dependencies=[READERS])

DocumentId = Annotated[str | None, Query(min_length=1, max_length=100)]


class VatRateView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str
    vat_rate: str | None = Field(description="e.g. 0.25; null for version 1 credit notes (rate not stated)")
    taxable: str = Field(description="net amount taxed at this rate")
    vat: str

    @classmethod
    def of(cls, row: VatAtRate) -> VatRateView:
        return cls(
            currency=row.currency,
            vat_rate=None if row.vat_rate is None else str(row.vat_rate),
            taxable=format_amount(row.taxable, row.currency),
            vat=format_amount(row.vat, row.currency),
        )


class VatByRateView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: dt.date
    document_id: str | None
    output: list[VatRateView] = Field(description="VAT charged: invoices less credit notes, per rate")
    input: list[VatRateView] = Field(description="VAT recoverable: approved supplier bills, per rate")


@router.get("/vat/by-rate", response_model=VatByRateView, summary="Output and input VAT per rate at a date")
async def read_vat_by_rate(
    request: Request, as_of: AsOf = None, invoice_id: DocumentId = None, bill_id: DocumentId = None
) -> VatByRateView:
    """VAT per rate from the journal lines posted on or before ``as_of``; ``invoice_id`` (its
    invoice and credit notes) or ``bill_id`` narrows it to one document. Rule
    ``one-document-only`` when both are given."""
    if invoice_id is not None and bill_id is not None:
        raise InvalidInput(
            "ask for an invoice or a bill, not both", field="bill_id", rule="one-document-only"
        )
    ctx = ctx_of(request)
    day = as_of or ctx.clock.today()
    document = invoice_id or bill_id
    async with read_books(ctx.engine) as conn:
        lines = await taxed_line_totals(conn, day, document)
        chart = ChartOfAccounts(await all_accounts(conn))
    rows = vat_by_rate(lines, chart)
    return VatByRateView(
        as_of=day,
        document_id=document,
        output=[VatRateView.of(r) for r in rows if r.side is VatSide.OUTPUT],
        input=[VatRateView.of(r) for r in rows if r.side is VatSide.INPUT],
    )
