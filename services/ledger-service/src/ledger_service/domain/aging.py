"""Aging of open items at any date: current (not yet due), 1-30, 31-60, 61-90 and over
90 days past due; per party and in total, per currency; receivables and payables apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from .accounts import PartyKind
from .open_items import OpenItem, OpenItemKey

_ZERO = Decimal(0)


class AgingBucket(StrEnum):
    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "over-90"


def bucket_for(days_past_due: int) -> AgingBucket:
    """The bucket for an item ``days_past_due`` days past its due date (0 or less: current)."""
    if days_past_due <= 0:
        return AgingBucket.CURRENT
    if days_past_due <= 30:
        return AgingBucket.DAYS_1_30
    if days_past_due <= 60:
        return AgingBucket.DAYS_31_60
    if days_past_due <= 90:
        return AgingBucket.DAYS_61_90
    return AgingBucket.OVER_90


_FIELD = {
    AgingBucket.CURRENT: "current",
    AgingBucket.DAYS_1_30: "days_1_30",
    AgingBucket.DAYS_31_60: "days_31_60",
    AgingBucket.DAYS_61_90: "days_61_90",
    AgingBucket.OVER_90: "over_90",
}


@dataclass(frozen=True, slots=True)
class AgingBuckets:
    """Open amounts by bucket, in one currency."""

    current: Decimal = _ZERO
    days_1_30: Decimal = _ZERO
    days_31_60: Decimal = _ZERO
    days_61_90: Decimal = _ZERO
    over_90: Decimal = _ZERO

    def amount(self, bucket: AgingBucket) -> Decimal:
        value: Decimal = getattr(self, _FIELD[bucket])
        return value

    def plus(self, bucket: AgingBucket, amount: Decimal) -> AgingBuckets:
        """A copy with ``amount`` added to ``bucket``."""
        changes: dict[str, Decimal] = {_FIELD[bucket]: self.amount(bucket) + amount}
        return replace(self, **changes)

    @property
    def total(self) -> Decimal:
        return self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90


@dataclass(frozen=True, slots=True, kw_only=True)
class AgedItem:
    """One open item as it stood at the report's ``as_of``."""

    key: OpenItemKey
    party_kind: PartyKind
    party_id: str
    currency: str
    reference: str | None
    due_date: dt.date
    days_past_due: int
    bucket: AgingBucket
    open_amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyAging:
    party_kind: PartyKind
    party_id: str
    currency: str
    buckets: AgingBuckets


@dataclass(frozen=True, slots=True, kw_only=True)
class AgingTotal:
    party_kind: PartyKind
    currency: str
    buckets: AgingBuckets


@dataclass(frozen=True, slots=True, kw_only=True)
class AgingReport:
    """Aging at ``as_of``: items, per-party rows and totals per (party kind, currency),
    each sorted for stable output."""

    as_of: dt.date
    items: tuple[AgedItem, ...]
    parties: tuple[PartyAging, ...]
    totals: tuple[AgingTotal, ...]

    def for_party(self, party_kind: PartyKind, party_id: str, currency: str) -> AgingBuckets:
        """The party's buckets (all zero when it owes/is owed nothing)."""
        for row in self.parties:
            if (row.party_kind, row.party_id, row.currency) == (party_kind, party_id, currency):
                return row.buckets
        return AgingBuckets()

    def total(self, party_kind: PartyKind, currency: str) -> AgingBuckets:
        """All receivables (customer) or payables (supplier) in ``currency``."""
        for row in self.totals:
            if (row.party_kind, row.currency) == (party_kind, currency):
                return row.buckets
        return AgingBuckets()


def aging(open_items: Iterable[OpenItem], as_of: dt.date) -> AgingReport:
    """Age ``open_items`` as they stood at the end of ``as_of``.

    Counts only items issued (invoices) or approved (bills) on or before ``as_of`` and only
    movements dated on or before it; items with nothing open at that date are left out.
    Days past due are ``as_of - due_date`` in calendar days.
    """
    aged: list[AgedItem] = []
    for item in open_items:
        if not item.is_issued_by(as_of) or item.due_date is None:
            continue
        amount = item.open_amount(as_of)
        if amount == 0:
            continue
        days = (as_of - item.due_date).days
        aged.append(
            AgedItem(
                key=item.key,
                party_kind=item.party_kind,
                party_id=item.party_id,
                currency=item.currency,
                reference=item.reference,
                due_date=item.due_date,
                days_past_due=max(days, 0),
                bucket=bucket_for(days),
                open_amount=amount,
            )
        )
    aged.sort(key=lambda a: (a.party_kind, a.party_id, a.currency, a.due_date, a.key[1]))

    parties: dict[tuple[PartyKind, str, str], AgingBuckets] = {}
    totals: dict[tuple[PartyKind, str], AgingBuckets] = {}
    for a in aged:
        party_key = (a.party_kind, a.party_id, a.currency)
        parties[party_key] = parties.get(party_key, AgingBuckets()).plus(a.bucket, a.open_amount)
        total_key = (a.party_kind, a.currency)
        totals[total_key] = totals.get(total_key, AgingBuckets()).plus(a.bucket, a.open_amount)
    return AgingReport(
        as_of=as_of,
        items=tuple(aged),
        parties=tuple(
            PartyAging(party_kind=k, party_id=p, currency=c, buckets=b)
            for (k, p, c), b in sorted(parties.items())
        ),
        totals=tuple(AgingTotal(party_kind=k, currency=c, buckets=b) for (k, c), b in sorted(totals.items())),
    )
