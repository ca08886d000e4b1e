"""Read endpoints of the books: chart, balances, aging, trial balance, statements, entries.

Amounts are decimal strings in the currency's minor units. Every date parameter is
``YYYY-MM-DD``; ``as_of`` defaults to the clock's today.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict

from backoffice_events.money import format_amount
from backoffice_platform.app import ctx_of, with_roles
from backoffice_platform.auth import Role
from backoffice_platform.http import IsoDate

from ..adapters.queries import LineRow
from ..domain import Account, AgingBuckets, AgingReport, PartyKind, Side, Statement
from ..service_layer import reports

READERS = with_roles(Role.BILLING_CLERK, Role.PAYABLES_CLERK, Role.APPROVER, Role.ACCOUNTANT, read=True)

router = APIRouter(tags=["ledger"], dependencies=[READERS])

AsOf = Annotated[IsoDate | None, Query(description="the date the answer is for (YYYY-MM-DD); default today")]
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Code = Annotated[str, Path(min_length=1, max_length=20, description="account code, e.g. 1100")]
PartyId = Annotated[str, Path(min_length=1, max_length=100)]


def _amount(value: Decimal, currency: str) -> str:
    return format_amount(value, currency)


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


# chart ---------------------------------------------------------------------------------------


class AccountView(_View):
    code: str
    name: str
    role: str
    kind: str
    normal_side: str
    subledger: str | None

    @classmethod
    def of(cls, a: Account) -> AccountView:
        return cls(
            code=a.code,
            name=a.name,
            role=a.role.value,
            kind=a.kind.value,
            normal_side=a.normal_side.value,
            subledger=a.subledger.value if a.subledger else None,
        )


class AccountPage(_View):
    items: list[AccountView]
    next_cursor: str | None


@router.get("/accounts", response_model=AccountPage, summary="The chart of accounts")
async def list_accounts(request: Request, cursor: Cursor = None, limit: Limit = 100) -> AccountPage:
    accounts, next_cursor = await reports.chart(ctx_of(request), cursor, limit)
    return AccountPage(items=[AccountView.of(a) for a in accounts], next_cursor=next_cursor)


# balances ----------------------------------------------------------------------------------


class CurrencyBalanceView(_View):
    currency: str
    debit: str
    credit: str
    balance: str  # on the account's normal side: positive is a debit balance of a debit-normal account


class AccountBalanceView(_View):
    account: AccountView
    as_of: dt.date
    party_id: str | None
    balances: list[CurrencyBalanceView]


@router.get(
    "/accounts/{code}/balance",
    response_model=AccountBalanceView,
    summary="An account's balance at a date (one party's, for a control account)",
)
async def account_balance(
    code: Code,
    request: Request,
    as_of: AsOf = None,
    party_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> AccountBalanceView:
    ctx = ctx_of(request)
    report = await reports.account_balance(ctx, code, as_of or ctx.clock.today(), party_id)
    sign = 1 if report.account.normal_side is Side.DEBIT else -1
    return AccountBalanceView(
        account=AccountView.of(report.account),
        as_of=report.as_of,
        party_id=report.party_id,
        balances=[
            CurrencyBalanceView(
                currency=b.currency,
                debit=_amount(b.debit, b.currency),
                credit=_amount(b.credit, b.currency),
                balance=_amount(sign * b.net, b.currency),
            )
            for b in report.balances
        ],
    )


class CustomerCurrencyBalance(_View):
    currency: str
    receivable: str
    unapplied_cash: str
    net: str  # receivable less unapplied cash: what the customer owes on balance


class CustomerBalanceView(_View):
    customer_id: str
    as_of: dt.date
    balances: list[CustomerCurrencyBalance]


@router.get(
    "/customers/{customer_id}/balance",
    response_model=CustomerBalanceView,
    summary="A customer's AR and unapplied cash at a date",
)
async def customer_balance(customer_id: PartyId, request: Request, as_of: AsOf = None) -> CustomerBalanceView:
    ctx = ctx_of(request)
    day = as_of or ctx.clock.today()
    balances = await reports.customer_balance(ctx, customer_id, day)
    return CustomerBalanceView(
        customer_id=customer_id,
        as_of=day,
        balances=[
            CustomerCurrencyBalance(
                currency=b.currency,
                receivable=_amount(b.receivable, b.currency),
                unapplied_cash=_amount(b.unapplied_cash, b.currency),
                net=_amount(b.net, b.currency),
            )
            for b in balances
        ],
    )


class SupplierCurrencyBalance(_View):
    currency: str
    payable: str


class SupplierBalanceView(_View):
    supplier_id: str
    as_of: dt.date
    balances: list[SupplierCurrencyBalance]


@router.get(
    "/suppliers/{supplier_id}/balance",
    response_model=SupplierBalanceView,
    summary="What we owe a supplier at a date",
)
async def supplier_balance(supplier_id: PartyId, request: Request, as_of: AsOf = None) -> SupplierBalanceView:
    ctx = ctx_of(request)
    day = as_of or ctx.clock.today()
    balances = await reports.supplier_balance(ctx, supplier_id, day)
    return SupplierBalanceView(
        supplier_id=supplier_id,
        as_of=day,
        balances=[
            SupplierCurrencyBalance(currency=b.currency, payable=_amount(b.payable, b.currency))
            for b in balances
        ],
    )


# aging ---------------------------------------------------------------------------------------


class BucketsView(_View):
    current: str
    days_1_30: str
    days_31_60: str
    days_61_90: str
    over_90: str
    total: str

    @classmethod
    def of(cls, b: AgingBuckets, currency: str) -> BucketsView:
        return cls(
            current=_amount(b.current, currency),
            days_1_30=_amount(b.days_1_30, currency),
            days_31_60=_amount(b.days_31_60, currency),
            days_61_90=_amount(b.days_61_90, currency),
            over_90=_amount(b.over_90, currency),
            total=_amount(b.total, currency),
        )


class AgedItemView(_View):
    item_id: str
    reference: str | None
    party_id: str
    currency: str
    due_date: dt.date
    days_past_due: int
    bucket: str
    open_amount: str


class PartyAgingView(_View):
    party_id: str
    currency: str
    buckets: BucketsView


class AgingTotalView(_View):
    currency: str
    buckets: BucketsView


class AgingView(_View):
    as_of: dt.date
    party_kind: str
    parties: list[PartyAgingView]
    totals: list[AgingTotalView]
    items: list[AgedItemView]

    @classmethod
    def of(cls, report: AgingReport, party_kind: PartyKind) -> AgingView:
        return cls(
            as_of=report.as_of,
            party_kind=party_kind.value,
            parties=[
                PartyAgingView(
                    party_id=p.party_id, currency=p.currency, buckets=BucketsView.of(p.buckets, p.currency)
                )
                for p in report.parties
                if p.party_kind is party_kind
            ],
            totals=[
                AgingTotalView(currency=t.currency, buckets=BucketsView.of(t.buckets, t.currency))
                for t in report.totals
                if t.party_kind is party_kind
            ],
            items=[
                AgedItemView(
                    item_id=i.key[1],
                    reference=i.reference,
                    party_id=i.party_id,
                    currency=i.currency,
                    due_date=i.due_date,
                    days_past_due=i.days_past_due,
                    bucket=i.bucket.value,
                    open_amount=_amount(i.open_amount, i.currency),
                )
                for i in report.items
                if i.party_kind is party_kind
            ],
        )


@router.get(
    "/aging/receivables",
    response_model=AgingView,
    summary="Open invoices by days past due (current, 1-30, 31-60, 61-90, over 90) per customer and in total",
)
async def receivables_aging(request: Request, as_of: AsOf = None) -> AgingView:
    ctx = ctx_of(request)
    report = await reports.aging_at(ctx, PartyKind.CUSTOMER, as_of or ctx.clock.today())
    return AgingView.of(report, PartyKind.CUSTOMER)


@router.get(
    "/aging/payables",
    response_model=AgingView,
    summary="Open supplier bills by days past due per supplier and in total",
)
async def payables_aging(request: Request, as_of: AsOf = None) -> AgingView:
    ctx = ctx_of(request)
    report = await reports.aging_at(ctx, PartyKind.SUPPLIER, as_of or ctx.clock.today())
    return AgingView.of(report, PartyKind.SUPPLIER)


# trial balance -------------------------------------------------------------------------------


class TrialBalanceRowView(_View):
    account: str
    name: str
    currency: str
    debit: str
    credit: str
    net: str  # debit minus credit


class TrialBalanceTotalView(_View):
    currency: str
    debit: str
    credit: str
    net: str  # zero when the books balance


class TrialBalanceView(_View):
    as_of: dt.date
    balanced: bool
    rows: list[TrialBalanceRowView]
    totals: list[TrialBalanceTotalView]


@router.get("/trial-balance", response_model=TrialBalanceView, summary="Trial balance at a date")
async def trial_balance(request: Request, as_of: AsOf = None) -> TrialBalanceView:
    ctx = ctx_of(request)
    day = as_of or ctx.clock.today()
    tb = await reports.trial_balance_at(ctx, day)
    return TrialBalanceView(
        as_of=day,
        balanced=tb.is_balanced,
        rows=[
            TrialBalanceRowView(
                account=r.account,
                name=r.name,
                currency=r.currency,
                debit=_amount(r.debit, r.currency),
                credit=_amount(r.credit, r.currency),
                net=_amount(r.net, r.currency),
            )
            for r in tb.rows
        ],
        totals=[
            TrialBalanceTotalView(
                currency=t.currency,
                debit=_amount(t.debit, t.currency),
                credit=_amount(t.credit, t.currency),
                net=_amount(t.net, t.currency),
            )
            for t in tb.totals
        ],
    )


# statements ----------------------------------------------------------------------------------


class StatementLineView(_View):
    posted_on: dt.date
    entry_id: str
    description: str
    debit: str
    credit: str
    balance: str


class StatementView(_View):
    currency: str
    opening: str
    closing: str
    lines: list[StatementLineView]

    @classmethod
    def of(cls, s: Statement) -> StatementView:
        c = s.currency
        return cls(
            currency=c,
            opening=_amount(s.opening, c),
            closing=_amount(s.closing, c),
            lines=[
                StatementLineView(
                    posted_on=line.posted_on,
                    entry_id=line.entry_id,
                    description=line.description,
                    debit=_amount(line.debit, c),
                    credit=_amount(line.credit, c),
                    balance=_amount(line.balance, c),
                )
                for line in s.lines
            ],
        )


class PartyStatementView(_View):
    party_kind: str
    party_id: str
    from_date: dt.date | None
    to_date: dt.date
    statements: list[StatementView]


FromDate = Annotated[
    IsoDate | None, Query(alias="from", description="first day (YYYY-MM-DD); default: from the start")
]
ToDate = Annotated[IsoDate | None, Query(alias="to", description="last day (YYYY-MM-DD); default today")]


async def _statement(
    request: Request, kind: PartyKind, party_id: str, start: dt.date | None, end: dt.date | None
) -> PartyStatementView:
    ctx = ctx_of(request)
    last = end or ctx.clock.today()
    statements = await reports.party_statement(ctx, kind, party_id, start, last)
    return PartyStatementView(
        party_kind=kind.value,
        party_id=party_id,
        from_date=start,
        to_date=last,
        statements=[StatementView.of(s) for s in statements],
    )


@router.get(
    "/customers/{customer_id}/statement",
    response_model=PartyStatementView,
    summary="A customer's statement (AR and unapplied cash) with a running balance",
)
async def customer_statement(
    customer_id: PartyId, request: Request, start: FromDate = None, end: ToDate = None
) -> PartyStatementView:
    return await _statement(request, PartyKind.CUSTOMER, customer_id, start, end)


@router.get(
    "/suppliers/{supplier_id}/statement",
    response_model=PartyStatementView,
    summary="A supplier's statement (AP) with a running balance",
)
async def supplier_statement(
    supplier_id: PartyId, request: Request, start: FromDate = None, end: ToDate = None
) -> PartyStatementView:
    return await _statement(request, PartyKind.SUPPLIER, supplier_id, start, end)


# entries -------------------------------------------------------------------------------------


class LineView(_View):
    entry_id: str
    line_no: int
    event_id: str
    event_type: str
    posted_on: dt.date
    description: str
    account: str
    party_kind: str | None
    party_id: str | None
    currency: str
    debit: str
    credit: str

    @classmethod
    def of(cls, r: LineRow) -> LineView:
        return cls(
            entry_id=r.entry_id,
            line_no=r.line_no,
            event_id=r.event_id,
            event_type=r.event_type,
            posted_on=r.posted_on,
            description=r.description,
            account=r.account,
            party_kind=r.party_kind.value if r.party_kind else None,
            party_id=r.party_id,
            currency=r.currency,
            debit=_amount(r.debit, r.currency),
            credit=_amount(r.credit, r.currency),
        )


class LinePage(_View):
    items: list[LineView]
    next_cursor: str | None


@router.get(
    "/accounts/{code}/entries",
    response_model=LinePage,
    summary="Journal lines posted to an account, oldest first, a page at a time",
)
async def account_entries(code: Code, request: Request, cursor: Cursor = None, limit: Limit = 50) -> LinePage:
    rows, next_cursor = await reports.account_entries(ctx_of(request), code, cursor, limit)
    return LinePage(items=[LineView.of(r) for r in rows], next_cursor=next_cursor)


class SourceEventView(_View):
    id: str
    type: str
    source: str
    subject: str
    time: dt.datetime
    topic: str
    partition: int
    offset: int
    data: dict[str, Any]


class EntryLineView(_View):
    line_no: int
    account: str
    party_kind: str | None
    party_id: str | None
    debit: str
    credit: str


class EntryView(_View):
    entry_id: str
    event_id: str
    event_type: str
    posted_on: dt.date
    description: str
    currency: str
    lines: list[EntryLineView]
    event: SourceEventView


@router.get(
    "/entries/{entry_id}",
    response_model=EntryView,
    summary="A journal entry with the event that caused it",
)
async def read_entry(entry_id: uuid.UUID, request: Request) -> EntryView:
    found = await reports.entry_with_event(ctx_of(request), entry_id)
    c = found.currency
    e = found.event
    return EntryView(
        entry_id=found.entry_id,
        event_id=found.event_id,
        event_type=found.event_type,
        posted_on=found.posted_on,
        description=found.description,
        currency=c,
        lines=[
            EntryLineView(
                line_no=line.line_no,
                account=line.account,
                party_kind=line.party_kind.value if line.party_kind else None,
                party_id=line.party_id,
                debit=_amount(line.debit, c),
                credit=_amount(line.credit, c),
            )
            for line in found.lines
        ],
        event=SourceEventView(
            id=e.event_id,
            type=e.event_type,
            source=e.source,
            subject=e.subject,
            time=e.occurred_at,
            topic=e.topic,
            partition=e.partition,
            offset=e.offset,
            data=e.data,
        ),
    )
