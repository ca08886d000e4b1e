"""Reading the VAT-carrying journal lines (those with a document) of the books."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.vat import TaxedLineTotal


async def taxed_line_totals(
    conn: AsyncConnection, as_of: dt.date, document_id: str | None
) -> list[TaxedLineTotal]:
    """Debits and credits per (account, currency, VAT rate) of the lines that belong to a
    document, posted on or before ``as_of``, optionally of one document only."""
    rows = await conn.execute(
        text(
            "SELECT account, currency, vat_rate, sum(debit) AS debit, sum(credit) AS credit"
            " FROM journal_lines WHERE document_id IS NOT NULL AND posted_on <= :as_of"
            " AND (CAST(:document AS text) IS NULL OR document_id = :document)"
            " GROUP BY account, currency, vat_rate"
        ),
        {"as_of": as_of, "document": document_id},
    )
    return [
        TaxedLineTotal(
            account=r.account, currency=r.currency, vat_rate=r.vat_rate, debit=r.debit, credit=r.credit
        )
        for r in rows
    ]
