-- Fiscal periods and the lock date, the date each posted event counts on, and manual
-- journal entries. These tables live outside the generations of the books: a rebuild does
-- not drop them, so it posts every event on the date it was first posted on.

CREATE TABLE IF NOT EXISTS ledger_lock (
    id         integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    lock_date  date,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ledger_lock (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

-- One row per period ever closed (status 'open' again after a reopening).
CREATE TABLE IF NOT EXISTS ledger_periods (
    period        text PRIMARY KEY CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    status        text NOT NULL CHECK (status IN ('closed', 'open')),
    first_day     date NOT NULL,
    last_day      date NOT NULL,
    closed_by     text NOT NULL,
    closed_at     timestamptz NOT NULL,
    reopened_by   text,
    reopened_at   timestamptz,
    reopen_reason text
);

-- The date each event was first posted on (posted_on) beside its own date (document_date);
-- they differ when the event came dated in a closed period. Decided once, kept forever.
CREATE TABLE IF NOT EXISTS ledger_posting_dates (
    event_id      text PRIMARY KEY,
    document_date date NOT NULL,
    posted_on     date NOT NULL
);

CREATE TABLE IF NOT EXISTS manual_journal_entries (
    entry_id          text PRIMARY KEY,
    status            text NOT NULL CHECK (status IN ('proposed', 'posted', 'rejected', 'reversed')),
    entry_date        date NOT NULL,
    description       text NOT NULL,
    lines             jsonb NOT NULL,
    proposed_by       text NOT NULL,
    approved_by       text,
    rejected_by       text,
    rejection_reason  text,
    reverses          text REFERENCES manual_journal_entries (entry_id),
    reversal_entry_id text REFERENCES manual_journal_entries (entry_id),
    version           integer NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS manual_journal_entries_by_date ON manual_journal_entries (entry_date, entry_id);

-- Generations made by ledger_create_books get the journal's document_date from here
-- (adapters.books.create_books calls it right after), existing ones below.
CREATE OR REPLACE FUNCTION ledger_extend_books_0004(generation integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I.journal_entries ADD COLUMN IF NOT EXISTS document_date date',
                   'books_' || generation);
END
$$;

DO $$
DECLARE
    g integer;
BEGIN
    FOR g IN SELECT ledger_book_generations() LOOP
        PERFORM ledger_extend_books_0004(g);
    END LOOP;
END
$$;
