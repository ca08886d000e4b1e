"""Journal entries: immutable, balanced per currency, each tied to the event it posts."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn

from backoffice_events.money import MINOR_UNITS, Money

from .accounts import PartyKind
from .errors import PostingError

_ZERO = Decimal(0)

# Entry ids derive from the event id so a rebuild from the topics yields the same ids.
_ENTRY_NAMESPACE = uuid.UUID("6f1d3c1e-4b0a-5c3e-9a57-0c3f3b2d8e11")
_NAMESPACE_BYTES = _ENTRY_NAMESPACE.bytes


def entry_id_for(event_id: str, currency: str) -> str:
    """The deterministic id of the entry that posts ``event_id`` in ``currency``: the text of
    ``uuid.uuid5(_ENTRY_NAMESPACE, f"{event_id}/{currency}")``, computed without building
    ``UUID`` objects (a rebuild posts an entry per event; ``uuid5`` was a fifth of posting)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{event_id}/{currency}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _decimals(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _fits(amount: Decimal, minor_units: int) -> bool:
    """A finite, positive Decimal with no more decimals than ``minor_units``."""
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN or Infinity
        return False
    # "1.500" has exponent -3 yet fits 2 decimals; only then is normalising worth it.
    return amount > 0 and (exponent >= -minor_units or _decimals(amount) <= minor_units)


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalLine:
    """One side of an entry: a non-negative amount on exactly one of debit or credit.

    Lines on subledger control accounts (AR, AP, unapplied cash) name the party. Lines on VAT,
    revenue, sales returns and expense accounts that come from an invoice, credit note or
    supplier bill carry the VAT rate they are at and the document (invoice or bill id) they
    belong to, so VAT per rate and per document can be read from the books.
    """

    account: str
    debit: Decimal = _ZERO
    credit: Decimal = _ZERO
    currency: str
    party_kind: PartyKind | None = None
    party_id: str | None = None
    vat_rate: Decimal | None = None
    document_id: str | None = None

    def __post_init__(self) -> None:
        # One cheap test passes the usual valid line (the ledger rebuild posts many of them);
        # only a line that fails it pays for finding out exactly what is wrong.
        minor = MINOR_UNITS.get(self.currency)
        debit, credit = self.debit, self.credit
        if (
            minor is None
            or not self.account
            or not isinstance(debit, Decimal)
            or not isinstance(credit, Decimal)
            or (self.party_kind is None) != (self.party_id is None)
            or self.party_id == ""
        ):
            self._refuse()
        if credit.is_zero() and not debit.is_zero():
            amount = debit
        elif debit.is_zero() and not credit.is_zero():
            amount = credit
        else:
            self._refuse()
        if not _fits(amount, minor):
            self._refuse()

    def _refuse(self) -> NoReturn:
        """Raise the ``PostingError`` that says what is wrong with this line."""
        if not self.account:
            raise PostingError("journal line has no account", rule="account-missing", field="account")
        if self.currency not in MINOR_UNITS:
            raise PostingError(
                f"unknown currency {self.currency!r} on account {self.account}",
                rule="currency-unknown",
                field="currency",
            )
        for name, amount in (("debit", self.debit), ("credit", self.credit)):
            if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
                raise PostingError(
                    f"{name} {amount!r} on account {self.account} must be a non-negative Decimal",
                    rule="line-amount-invalid",
                    field=name,
                )
            if _decimals(amount) > MINOR_UNITS[self.currency]:
                raise PostingError(
                    f"{name} {amount} on account {self.account} has more decimals than {self.currency}"
                    f" allows ({MINOR_UNITS[self.currency]})",
                    rule="amount-scale",
                    field=name,
                )
        if (self.debit == 0) == (self.credit == 0):
            raise PostingError(
                f"line on account {self.account} must carry exactly one of debit or credit"
                f" (debit {self.debit}, credit {self.credit})",
                rule="line-amount-invalid",
            )
        raise PostingError(
            f"line on account {self.account} names a party kind without an id or vice versa",
            rule="party-incomplete",
            field="party_id",
        )

    @classmethod
    def debiting(
        cls,
        account: str,
        amount: Money,
        *,
        party_kind: PartyKind | None = None,
        party_id: str | None = None,
    ) -> JournalLine:
        """A debit of ``amount`` (positive) on ``account``."""
        return cls(
            account=account,
            debit=amount.amount,
            currency=amount.currency,
            party_kind=party_kind,
            party_id=party_id,
        )

    @classmethod
    def crediting(
        cls,
        account: str,
        amount: Money,
        *,
        party_kind: PartyKind | None = None,
        party_id: str | None = None,
    ) -> JournalLine:
        """A credit of ``amount`` (positive) on ``account``."""
        return cls(
            account=account,
            credit=amount.amount,
            currency=amount.currency,
            party_kind=party_kind,
            party_id=party_id,
        )

    @property
    def net(self) -> Decimal:
        """Debit minus credit."""
        return self.debit - self.credit


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    """Debits and credits of some lines in one currency."""

    currency: str
    debit: Decimal
    credit: Decimal

    @property
    def net(self) -> Decimal:
        return self.debit - self.credit


def totals_by_currency(lines: Iterable[JournalLine]) -> list[CurrencyTotal]:
    """Debit and credit sums of ``lines`` per currency, sorted by currency."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        debit, credit = sums.get(line.currency, (_ZERO, _ZERO))
        sums[line.currency] = (debit + line.debit, credit + line.credit)
    return [CurrencyTotal(currency, d, c) for currency, (d, c) in sorted(sums.items())]


def _check_lines_balance(lines: Sequence[JournalLine], what: str) -> None:
    # Fast path for the usual single-currency entry.
    currency = lines[0].currency if lines else ""
    debit = credit = _ZERO
    for line in lines:
        if line.currency != currency:
            break
        debit += line.debit
        credit += line.credit
    else:
        if debit == credit:
            return
    unbalanced = [total for total in totals_by_currency(lines) if total.net != 0]
    if unbalanced:
        detail = "; ".join(f"{t.currency} debits {t.debit} != credits {t.credit}" for t in unbalanced)
        raise PostingError(f"{what} does not balance: {detail}", rule="entry-unbalanced")


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """A posted, immutable journal entry. Constructing one checks that it balances."""

    entry_id: str
    event_id: str
    event_type: str
    posted_on: dt.date
    description: str
    lines: tuple[JournalLine, ...]
    # The event's own business date when it differs from ``posted_on`` (an upstream event
    # dated in a closed period posts on the first open date); None: the same as posted_on.
    document_date: dt.date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.lines, tuple):  # a list handed in would stay mutable
            object.__setattr__(self, "lines", tuple(self.lines))
        if not self.entry_id or not self.event_id:
            raise PostingError("journal entry needs an entry id and an event id", rule="entry-id-missing")
        if not self.lines:
            raise PostingError(f"entry {self.entry_id} has no lines", rule="entry-empty")
        _check_lines_balance(self.lines, f"entry {self.entry_id} ({self.event_type})")

    @property
    def currencies(self) -> tuple[str, ...]:
        """The currencies of the lines, sorted (one for every entry ``post`` makes)."""
        return tuple(sorted({line.currency for line in self.lines}))


def check_balanced(entry: JournalEntry) -> None:
    """Raise ``PostingError`` (``entry-unbalanced``) unless debits equal credits in every
    currency of ``entry``; lines with an unknown currency never get this far (``currency-unknown``)."""
    _check_lines_balance(entry.lines, f"entry {entry.entry_id} ({entry.event_type})")
