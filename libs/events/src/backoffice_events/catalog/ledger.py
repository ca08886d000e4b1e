"""Events the ledger itself publishes (topic ``backoffice.ledger``): its chart of accounts,
its fiscal periods and lock dates, and manual journal entries."""

from __future__ import annotations
