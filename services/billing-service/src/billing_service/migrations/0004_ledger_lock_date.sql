-- Billing's read model of the ledger's lock date (from PeriodClosed / PeriodReopened on
-- backoffice.ledger): commands dated on or before it are refused (period-closed).
CREATE TABLE IF NOT EXISTS ledger_lock_date (
    id          integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    lock_date   date,
    period      text,
    event_id    text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ledger_lock_date (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
