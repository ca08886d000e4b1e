from __future__ import annotations

import pytest

from ledger_service.domain.accounts import (
    DEFAULT_CHART,
    SEEDED_ACCOUNTS,
    Account,
    AccountKind,
    AccountRole,
    ChartOfAccounts,
    PartyKind,
    Side,
    expense_account,
)
from ledger_service.domain.errors import PostingError


def test_default_chart_has_one_account_for_every_single_role() -> None:
    expected = {
        AccountRole.CASH: "1000",
        AccountRole.ACCOUNTS_RECEIVABLE: "1100",
        AccountRole.VAT_INPUT: "1400",
        AccountRole.ACCOUNTS_PAYABLE: "2000",
        AccountRole.UNAPPLIED_CASH: "2100",
        AccountRole.VAT_OUTPUT: "2200",
        AccountRole.REVENUE: "4000",
        AccountRole.SALES_RETURNS: "4100",
        AccountRole.BAD_DEBT: "6900",
    }
    assert {role: DEFAULT_CHART.code_for(role) for role in expected} == expected


def test_control_accounts_name_their_subledger_and_normal_side() -> None:
    ar = DEFAULT_CHART.for_role(AccountRole.ACCOUNTS_RECEIVABLE)
    ap = DEFAULT_CHART.for_role(AccountRole.ACCOUNTS_PAYABLE)
    unapplied = DEFAULT_CHART.for_role(AccountRole.UNAPPLIED_CASH)
    assert (ar.subledger, ar.kind, ar.normal_side) == (PartyKind.CUSTOMER, AccountKind.ASSET, Side.DEBIT)
    assert (ap.subledger, ap.kind, ap.normal_side) == (PartyKind.SUPPLIER, AccountKind.LIABILITY, Side.CREDIT)
    assert (unapplied.subledger, unapplied.normal_side) == (PartyKind.CUSTOMER, Side.CREDIT)
    assert DEFAULT_CHART.for_role(AccountRole.SALES_RETURNS).normal_side is Side.DEBIT
    assert [a for a in SEEDED_ACCOUNTS if a.subledger] == [ar, ap, unapplied]


def test_expense_role_has_no_single_account() -> None:
    with pytest.raises(ValueError, match="many accounts"):
        DEFAULT_CHART.for_role(AccountRole.EXPENSE)


@pytest.mark.parametrize("code", ["5000", "6100", "6999", "59999", "610010"])
def test_expense_accounts_open_on_demand(code: str) -> None:
    account = DEFAULT_CHART.expense(code)
    assert (account.code, account.role, account.kind, account.normal_side) == (
        code,
        AccountRole.EXPENSE,
        AccountKind.EXPENSE,
        Side.DEBIT,
    )
    assert DEFAULT_CHART.account(code) == account


@pytest.mark.parametrize(
    "code", ["", "61", "610", "6100000", "4000", "7000", "1100", "61a0", " 6100", "6100 "]
)
def test_malformed_expense_codes_are_refused(code: str) -> None:
    with pytest.raises(PostingError) as caught:
        DEFAULT_CHART.expense(code)
    assert caught.value.rule == "expense-account-invalid"


def test_reserved_bad_debt_account_cannot_take_bill_lines() -> None:
    with pytest.raises(PostingError, match="bad_debt") as caught:
        DEFAULT_CHART.expense("6900")
    assert caught.value.rule == "expense-account-invalid"


def test_unknown_non_expense_code_is_refused() -> None:
    with pytest.raises(PostingError) as caught:
        DEFAULT_CHART.account("3000")
    assert caught.value.rule == "account-unknown"
    assert isinstance(caught.value, ValueError)


def test_with_accounts_adds_named_expense_account_without_touching_original() -> None:
    travel = expense_account("6200", "Travel")
    chart = DEFAULT_CHART.with_accounts(travel)
    assert chart.expense("6200").name == "Travel"
    assert "6200" in chart and "6200" not in DEFAULT_CHART
    assert DEFAULT_CHART.expense("6200").name == "Expense 6200"


def test_chart_refuses_two_accounts_for_one_role_and_missing_roles() -> None:
    second_cash = Account(
        code="1010", name="Petty cash", role=AccountRole.CASH, kind=AccountKind.ASSET, normal_side=Side.DEBIT
    )
    with pytest.raises(ValueError, match="two accounts"):
        DEFAULT_CHART.with_accounts(second_cash)
    with pytest.raises(ValueError, match="no account for roles"):
        ChartOfAccounts([a for a in SEEDED_ACCOUNTS if a.role is not AccountRole.CASH])
