from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from backoffice_events.money import Money
from ledger_service.domain.accounts import PartyKind
from ledger_service.domain.entries import (
    JournalEntry,
    JournalLine,
    check_balanced,
    entry_id_for,
    totals_by_currency,
)
from ledger_service.domain.errors import PostingError


def dr(account: str, amount: str, currency: str = "EUR") -> JournalLine:
    return JournalLine.debiting(account, Money.of(amount, currency))


def cr(account: str, amount: str, currency: str = "EUR") -> JournalLine:
    return JournalLine.crediting(account, Money.of(amount, currency))


def entry(*lines: JournalLine) -> JournalEntry:
    return JournalEntry(
        entry_id="e-1",
        event_id="ev-1",
        event_type="test",
        posted_on=dt.date(2026, 1, 1),
        description="test",
        lines=lines,
    )


def test_balanced_entry_passes_check() -> None:
    e = entry(dr("1000", "10.00"), cr("4000", "7.50"), cr("2200", "2.50"))
    check_balanced(e)
    assert e.currencies == ("EUR",)


def test_unbalanced_entry_cannot_be_built() -> None:
    with pytest.raises(PostingError, match=r"EUR debits 10.00 != credits 9.99") as caught:
        entry(dr("1000", "10.00"), cr("4000", "9.99"))
    assert caught.value.rule == "entry-unbalanced"
    assert isinstance(caught.value, ValueError)


def test_balance_is_checked_per_currency_not_in_sum() -> None:
    # 10 EUR against 10 USD adds up to zero numerically but balances in neither currency.
    with pytest.raises(PostingError, match=r"EUR.*USD"):
        entry(dr("1000", "10.00", "EUR"), cr("4000", "10.00", "USD"))
    both = entry(
        dr("1000", "10.00", "EUR"), cr("4000", "10.00", "EUR"), dr("1000", "5", "JPY"), cr("4000", "5", "JPY")
    )
    assert both.currencies == ("EUR", "JPY")
    assert [(t.currency, t.debit, t.credit) for t in totals_by_currency(both.lines)] == [
        ("EUR", Decimal("10.00"), Decimal("10.00")),
        ("JPY", Decimal(5), Decimal(5)),
    ]


def test_entry_without_lines_is_refused() -> None:
    with pytest.raises(PostingError) as caught:
        entry()
    assert caught.value.rule == "entry-empty"


def test_unknown_currency_on_a_line_is_refused() -> None:
    with pytest.raises(PostingError) as caught:
        JournalLine(account="1000", debit=Decimal("1.00"), currency="XXX")
    assert caught.value.rule == "currency-unknown"


@pytest.mark.parametrize(
    ("debit", "credit"),
    [
        (Decimal(0), Decimal(0)),
        (Decimal(1), Decimal(1)),
        (Decimal(-1), Decimal(0)),
        (Decimal("NaN"), Decimal(0)),
    ],
)
def test_line_carries_exactly_one_positive_side(debit: Decimal, credit: Decimal) -> None:
    with pytest.raises(PostingError) as caught:
        JournalLine(account="1000", debit=debit, credit=credit, currency="EUR")
    assert caught.value.rule == "line-amount-invalid"


def test_line_amounts_must_be_decimals() -> None:
    with pytest.raises(PostingError, match="non-negative Decimal"):
        JournalLine(account="1000", debit=1.5, currency="EUR")  # type: ignore[arg-type]


def test_lines_handed_in_as_a_list_are_frozen_into_a_tuple() -> None:
    lines = [dr("1000", "1.00"), cr("4000", "1.00")]
    e = JournalEntry(
        entry_id="e",
        event_id="ev",
        event_type="t",
        posted_on=dt.date(2026, 1, 1),
        description="",
        lines=lines,  # type: ignore[arg-type]
    )
    lines.append(dr("1000", "5.00"))
    assert isinstance(e.lines, tuple) and len(e.lines) == 2


def test_line_amount_scale_follows_currency() -> None:
    with pytest.raises(PostingError) as caught:
        JournalLine(account="1000", debit=Decimal("1.5"), currency="JPY")
    assert caught.value.rule == "amount-scale"
    assert JournalLine(account="1000", debit=Decimal("1.500"), currency="KWD").debit == Decimal("1.5")


def test_party_kind_and_id_go_together() -> None:
    with pytest.raises(PostingError) as caught:
        JournalLine(account="1100", debit=Decimal(1), currency="EUR", party_kind=PartyKind.CUSTOMER)
    assert caught.value.rule == "party-incomplete"
    with pytest.raises(PostingError):
        JournalLine(account="1100", debit=Decimal(1), currency="EUR", party_id="c-1")


def test_entries_and_lines_are_immutable() -> None:
    e = entry(dr("1000", "1.00"), cr("4000", "1.00"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.description = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.lines[0].debit = Decimal(5)  # type: ignore[misc]


def test_entry_id_is_deterministic_per_event_and_currency() -> None:
    assert entry_id_for("ev-1", "EUR") == entry_id_for("ev-1", "EUR")
    assert entry_id_for("ev-1", "EUR") != entry_id_for("ev-1", "USD")
    assert entry_id_for("ev-1", "EUR") != entry_id_for("ev-2", "EUR")
