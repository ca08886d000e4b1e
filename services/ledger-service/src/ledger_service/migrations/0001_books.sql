-- The ledger's books: one PostgreSQL schema per generation (books_1, books_2, ...).
-- ``ledger_generation`` names the active generation that queries read and the live
-- consumer writes, and the pending one a rebuild is replaying the topics into (the live
-- consumer writes into both while a rebuild runs). Identifiers cannot be bound parameters,
-- so schemas are only ever named by these functions, from an integer, with format('%I').

CREATE TABLE IF NOT EXISTS ledger_generation (
    id          integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    active      integer NOT NULL CHECK (active > 0),
    pending     integer CHECK (pending > 0),
    switched_at timestamptz NOT NULL DEFAULT now()
);

-- One row per rebuild: progress for GET /rebuild/status (any replica can answer) and the
-- heartbeat that lets a new rebuild take over from one whose process died.
CREATE TABLE IF NOT EXISTS ledger_rebuilds (
    generation     integer PRIMARY KEY,
    previous       integer NOT NULL,
    state          text NOT NULL CHECK (state IN ('running', 'switched', 'failed', 'abandoned')),
    started_at     timestamptz NOT NULL DEFAULT now(),
    heartbeat_at   timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    records_target bigint NOT NULL DEFAULT 0,
    records_done   bigint NOT NULL DEFAULT 0,
    events_applied bigint NOT NULL DEFAULT 0,
    books_equal    boolean,
    detail         text
);

-- Journal entries and their lines are immutable: posted once, never changed.
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger % are immutable (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

-- Creates the schema and tables of generation ``generation`` with the seeded chart of
-- accounts (the same as ledger_service.domain.SEEDED_ACCOUNTS; a test keeps them equal).
CREATE OR REPLACE FUNCTION ledger_create_books(generation integer) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    s text := 'books_' || generation;
BEGIN
    EXECUTE format($ddl$
        CREATE SCHEMA %1$I;

        CREATE TABLE %1$I.accounts (
            code        text PRIMARY KEY,
            name        text NOT NULL,
            role        text NOT NULL,
            kind        text NOT NULL,
            normal_side text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
            subledger   text CHECK (subledger IN ('customer', 'supplier')),
            seeded      boolean NOT NULL DEFAULT false,
            opened_at   timestamptz NOT NULL DEFAULT now()
        );

        -- Every event this generation has taken (posted or not): its dedupe set, and the
        -- "event that caused it" of each entry.
        CREATE TABLE %1$I.source_events (
            event_id     text PRIMARY KEY,
            event_type   text NOT NULL,
            source       text NOT NULL,
            subject      text NOT NULL,
            occurred_at  timestamptz NOT NULL,
            topic        text NOT NULL,
            partition    integer NOT NULL,
            kafka_offset bigint NOT NULL,
            data         jsonb NOT NULL,
            recorded_at  timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE %1$I.journal_entries (
            entry_id    uuid PRIMARY KEY,
            event_id    text NOT NULL,
            currency    text NOT NULL,
            event_type  text NOT NULL,
            posted_on   date NOT NULL,
            description text NOT NULL,
            UNIQUE (event_id, currency)
        );

        CREATE TABLE %1$I.journal_lines (
            entry_id   uuid NOT NULL,
            line_no    smallint NOT NULL,
            account    text NOT NULL,
            party_kind text CHECK (party_kind IN ('customer', 'supplier')),
            party_id   text,
            currency   text NOT NULL,
            debit      numeric(20, 6) NOT NULL CHECK (debit >= 0),
            credit     numeric(20, 6) NOT NULL CHECK (credit >= 0),
            posted_on  date NOT NULL,
            PRIMARY KEY (entry_id, line_no),
            CHECK ((debit = 0) <> (credit = 0)),
            CHECK ((party_kind IS NULL) = (party_id IS NULL))
        );
        CREATE INDEX ON %1$I.journal_lines (account, posted_on, entry_id, line_no);
        CREATE INDEX ON %1$I.journal_lines (party_kind, party_id, posted_on) WHERE party_id IS NOT NULL;

        -- Invoices (owed by customers) and approved supplier bills (owed to suppliers);
        -- issued_on NULL marks a placeholder whose issuing event has not arrived yet.
        CREATE TABLE %1$I.open_items (
            kind      text NOT NULL CHECK (kind IN ('invoice', 'supplier_bill')),
            item_id   text NOT NULL,
            party_id  text NOT NULL,
            currency  text NOT NULL,
            issued_on date,
            due_date  date,
            reference text,
            PRIMARY KEY (kind, item_id)
        );
        CREATE INDEX ON %1$I.open_items (kind, party_id);

        -- Dated movements of each item, so its open amount can be asked for at any date.
        CREATE TABLE %1$I.open_item_movements (
            kind     text NOT NULL,
            item_id  text NOT NULL,
            event_id text NOT NULL,
            seq      smallint NOT NULL,
            on_date  date NOT NULL,
            amount   numeric(20, 6) NOT NULL,
            reason   text NOT NULL,
            PRIMARY KEY (kind, item_id, event_id, seq)
        );

        CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE OR TRUNCATE
            ON %1$I.journal_entries FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
        CREATE TRIGGER journal_lines_immutable BEFORE UPDATE OR DELETE OR TRUNCATE
            ON %1$I.journal_lines FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();
        CREATE TRIGGER open_item_movements_immutable BEFORE UPDATE OR DELETE OR TRUNCATE
            ON %1$I.open_item_movements FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_refuse_change();

        INSERT INTO %1$I.accounts (code, name, role, kind, normal_side, subledger, seeded) VALUES
            ('1000', 'Cash at bank', 'cash', 'asset', 'debit', NULL, true),
            ('1100', 'Accounts receivable (control)', 'accounts_receivable', 'asset', 'debit', 'customer', true),
            ('1400', 'VAT input (recoverable)', 'vat_input', 'asset', 'debit', NULL, true),
            ('2000', 'Accounts payable (control)', 'accounts_payable', 'liability', 'credit', 'supplier', true),
            ('2100', 'Unapplied customer cash', 'unapplied_cash', 'liability', 'credit', 'customer', true),
            ('2200', 'VAT output (payable)', 'vat_output', 'liability', 'credit', NULL, true),
            ('4000', 'Revenue', 'revenue', 'revenue', 'credit', NULL, true),
            ('4100', 'Sales returns and allowances', 'sales_returns', 'revenue', 'debit', NULL, true),
            ('6900', 'Bad debt', 'bad_debt', 'expense', 'debit', NULL, true);
    $ddl$, s);
    RETURN s;
END
$fn$;

CREATE OR REPLACE FUNCTION ledger_drop_books(generation integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', 'books_' || generation);
END
$$;

-- How many events ``generation`` has taken that ``other`` has not (rebuild comparison).
CREATE OR REPLACE FUNCTION ledger_events_only_in(generation integer, other integer)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
    found bigint;
BEGIN
    EXECUTE format(
        'SELECT count(*) FROM %I.source_events a WHERE NOT EXISTS'
        ' (SELECT 1 FROM %I.source_events b WHERE b.event_id = a.event_id)',
        'books_' || generation, 'books_' || other
    ) INTO found;
    RETURN found;
END
$$;

-- The generations that exist as schemas (for clean-up after a rebuild).
CREATE OR REPLACE FUNCTION ledger_book_generations() RETURNS SETOF integer
LANGUAGE sql STABLE AS $$
    SELECT substr(nspname, 7)::integer FROM pg_namespace WHERE nspname ~ '^books_[0-9]{1,9}$' ORDER BY 1
$$;

SELECT ledger_create_books(1) WHERE NOT EXISTS (SELECT 1 FROM ledger_generation);
INSERT INTO ledger_generation (id, active) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
