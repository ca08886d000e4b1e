-- The published chart of accounts (read model of the ``chart`` stream, written in the same
-- transaction as its events) and the events the ledger could not take.

CREATE TABLE IF NOT EXISTS chart_accounts (
    code         text PRIMARY KEY,
    name         text NOT NULL,
    account_type text NOT NULL CHECK (account_type IN ('asset', 'liability', 'equity', 'income', 'expense')),
    role         text,
    open         boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per record the ledger's live consumer dead-lettered, until the event posts (a replay
-- that succeeds deletes it). ``record_key`` is the event id, or topic:partition:offset for a
-- record that is not a readable CloudEvent.
CREATE TABLE IF NOT EXISTS ledger_dead_letters (
    record_key       text PRIMARY KEY,
    event_id         text,
    event_type       text,
    topic            text NOT NULL,
    kafka_partition  integer NOT NULL,
    kafka_offset     bigint NOT NULL,
    reason           text NOT NULL,
    dead_lettered_at timestamptz NOT NULL DEFAULT now()
);
