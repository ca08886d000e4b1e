-- The ledger's chart of accounts, kept from its events on ``backoffice.ledger``: billing
-- refuses supplier-bill lines on accounts that are not open expense or asset accounts.
CREATE TABLE IF NOT EXISTS ledger_chart (
    code         text PRIMARY KEY,
    name         text NOT NULL,
    account_type text NOT NULL,
    role         text,
    open         boolean NOT NULL DEFAULT true
);
