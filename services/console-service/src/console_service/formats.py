"""How the console shows times (the company's time zone) and money (the user's locale, Babel)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency


def safe_locale(value: str, fallback: str = "en_DK") -> str:
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError, TypeError):
        return fallback
    return value


def money(value: Any, locale: str) -> str:
    """``{"amount": "12.50", "currency": "EUR"}`` as the user's locale writes it."""
    if not isinstance(value, dict) or "amount" not in value:
        return "" if value is None else str(value)
    try:
        amount = Decimal(str(value["amount"]))
    except InvalidOperation:
        return f"{value['amount']} {value.get('currency', '')}".strip()
    return format_currency(amount, str(value.get("currency", "")), locale=locale)


def when(value: Any, zone: ZoneInfo) -> str:
    """An ISO timestamp from a service, shown in the company's time zone."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
