"""Manual journal entries: line rules, four eyes, reversal by mirror, posting."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice_events.catalog.ledger import ManualJournalLine
from backoffice_events.money import Money
from backoffice_platform.errors import DomainError
from ledger_service.domain.manual_entries import EntryStatus, ManualEntry, post_manual, propose

D = dt.date


def line(account: str, side: str, amount: str, currency: str = "EUR") -> ManualJournalLine:
    return ManualJournalLine(account=account, side=side, amount=Money(Decimal(amount), currency))  # type: ignore[arg-type]


FEE = [line("6500", "debit", "3.00"), line("1000", "credit", "3.00")]


def refused(call) -> tuple[str | None, str | None]:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value.rule, raised.value.field


@pytest.mark.parametrize(
    ("lines", "rule", "field"),
    [
        ([line("1000", "debit", "3.00")], "entry-too-few-lines", "lines"),
        ([line("6500", "debit", "3.00"), line("1000", "credit", "2.99")], "entry-unbalanced", "lines"),
        (
            [line("1000", "debit", "3.00"), line("1000", "credit", "3.00", "USD")],
            "entry-unbalanced",
            "lines",
        ),
        (
            [line("6500", "debit", "3.00"), line("9999", "credit", "3.00")],
            "account-unknown",
            "lines[1].account",
        ),
        (
            [line("1100", "debit", "3.00"), line("1000", "credit", "3.00")],
            "account-is-control",
            "lines[0].account",
        ),
        ([line("6500", "debit", "0"), line("1000", "credit", "0")], "amount-not-positive", "lines[0].amount"),
        (
            [line("6500", "debit", "1.001"), line("1000", "credit", "1.001")],
            "too-many-decimals",
            "lines[0].amount",
        ),
    ],
)
def test_bad_lines_are_refused(lines, rule: str, field: str) -> None:
    assert refused(lambda: propose("e1", D(2026, 2, 5), "fee", lines, "ann", None)) == (rule, field)


def test_an_entry_in_a_closed_period_is_refused() -> None:
    assert refused(lambda: propose("e1", D(2026, 1, 31), "fee", FEE, "ann", D(2026, 1, 31))) == (
        "period-closed",
        "date",
    )


def test_four_eyes_then_posting_then_reversal_by_mirror() -> None:
    entry = ManualEntry.rebuild([propose("e1", D(2026, 2, 5), "fee", FEE, "ann", None)])
    assert refused(lambda: entry.approve("ann", None)) == ("approver-is-author", "approved_by")
    assert refused(lambda: entry.approve("bob", D(2026, 2, 28)))[0] == "period-closed"
    approved = entry.approve("bob", None)
    entry.apply(approved)
    assert entry.status is EntryStatus.POSTED and entry.approved_by == "bob"
    assert refused(lambda: entry.approve("cy", None))[0] == "entry-not-proposed"

    [posted] = post_manual(approved, "evt-1")
    assert posted.posted_on == D(2026, 2, 5)
    assert [(x.account, x.debit, x.credit) for x in posted.lines] == [
        ("6500", Decimal("3.00"), 0),
        ("1000", 0, Decimal("3.00")),
    ]

    assert (
        refused(lambda: entry.reverse("r1", D(2026, 2, 1), "ann", "typo", None))[0] == "reversal-before-entry"
    )
    reversal = entry.reverse("r1", D(2026, 2, 6), "ann", "typo", None)
    [mirrored] = post_manual(reversal, "evt-2")
    assert [(x.account, x.debit, x.credit) for x in mirrored.lines] == [
        ("6500", 0, Decimal("3.00")),
        ("1000", Decimal("3.00"), 0),
    ]
    entry.apply(reversal)
    assert entry.status is EntryStatus.REVERSED and entry.reversal_entry_id == "r1"
    assert refused(lambda: entry.reverse("r2", D(2026, 2, 6), "ann", "again", None))[0] == "entry-not-posted"


def test_a_proposed_entry_can_be_rejected_with_a_reason() -> None:
    entry = ManualEntry.rebuild([propose("e1", D(2026, 2, 5), "fee", FEE, "ann", None)])
    assert refused(lambda: entry.reject("bob", " "))[0] == "reason-required"
    entry.apply(entry.reject("bob", "wrong account"))
    assert entry.status is EntryStatus.REJECTED and entry.rejection_reason == "wrong account"
