-- Read models of billing, updated in the same transaction as the events they come from.

-- Receivables ------------------------------------------------------------------------------

-- One billing account per customer. Its row is also the lock that serialises the customer's
-- cash operations (payments, allocations, credit notes, refunds, invoice issue).
CREATE TABLE IF NOT EXISTS billing_accounts (
    customer_id        text PRIMARY KEY,
    currency           char(3) NOT NULL,
    payment_terms_days integer NOT NULL,
    credit_limit       numeric(18, 6),
    dunning_contact    text,
    unapplied          numeric(18, 6) NOT NULL DEFAULT 0,
    version            integer NOT NULL,
    opened_at          timestamptz NOT NULL
);

-- Gapless document numbers: one counter row per series and year, incremented inside the
-- transaction that issues the document, so a rolled-back issue gives its number back.
CREATE TABLE IF NOT EXISTS number_series (
    series      text NOT NULL,
    year        integer NOT NULL,
    last_number integer NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (series, year)
);

CREATE TABLE IF NOT EXISTS invoices (
    invoice_id     text PRIMARY KEY,
    seq            bigserial UNIQUE,
    number         text NOT NULL UNIQUE,
    customer_id    text NOT NULL REFERENCES billing_accounts (customer_id),
    order_id       text NOT NULL,
    -- One invoice per shipment, whatever event id the shipment arrives under.
    shipment_id    text NOT NULL UNIQUE,
    issue_date     date NOT NULL,
    due_date       date NOT NULL,
    currency       char(3) NOT NULL,
    lines          jsonb NOT NULL,
    net            numeric(18, 6) NOT NULL,
    vat            numeric(18, 6) NOT NULL,
    gross          numeric(18, 6) NOT NULL,
    paid           numeric(18, 6) NOT NULL DEFAULT 0,
    credited       numeric(18, 6) NOT NULL DEFAULT 0,
    credit_applied numeric(18, 6) NOT NULL DEFAULT 0,
    written_off    numeric(18, 6) NOT NULL DEFAULT 0,
    is_written_off boolean NOT NULL DEFAULT false,
    status         text NOT NULL CHECK (status IN ('open', 'paid', 'written_off')),
    open_amount    numeric(18, 6) NOT NULL,
    paid_on        date,
    overdue        boolean NOT NULL DEFAULT false,
    dunning_level  integer NOT NULL DEFAULT 0,
    last_dunned_on date,
    version        integer NOT NULL
);
CREATE INDEX IF NOT EXISTS invoices_customer ON invoices (customer_id, seq);
CREATE INDEX IF NOT EXISTS invoices_open_due ON invoices (due_date) WHERE status = 'open';

CREATE TABLE IF NOT EXISTS credit_notes (
    credit_note_id text PRIMARY KEY,
    number         text NOT NULL UNIQUE,
    invoice_id     text NOT NULL REFERENCES invoices (invoice_id),
    customer_id    text NOT NULL,
    -- A support remedy is credited exactly once.
    remedy_id      text UNIQUE,
    ticket_id      text,
    currency       char(3) NOT NULL,
    net            numeric(18, 6) NOT NULL,
    vat            numeric(18, 6) NOT NULL,
    gross          numeric(18, 6) NOT NULL,
    applied        numeric(18, 6) NOT NULL,
    unapplied      numeric(18, 6) NOT NULL,
    reason         text NOT NULL,
    issue_date     date NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_notes_invoice ON credit_notes (invoice_id);

CREATE TABLE IF NOT EXISTS payments (
    payment_id          text PRIMARY KEY,
    customer_id         text NOT NULL REFERENCES billing_accounts (customer_id),
    amount              numeric(18, 6) NOT NULL,
    currency            char(3) NOT NULL,
    received_on         date NOT NULL,
    payer_reference     text,
    -- A bank transaction is posted once, also when two requests race.
    bank_transaction_id text NOT NULL CONSTRAINT payments_bank_transaction_unique UNIQUE
);
CREATE INDEX IF NOT EXISTS payments_customer ON payments (customer_id);

CREATE TABLE IF NOT EXISTS refunds (
    refund_id   text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES billing_accounts (customer_id),
    amount      numeric(18, 6) NOT NULL,
    currency    char(3) NOT NULL,
    refunded_on date NOT NULL,
    reason      text NOT NULL
);

-- A customer's cash and statement are folded from the customer's own billing events.
CREATE INDEX IF NOT EXISTS events_customer ON events ((data ->> 'customer_id'), position);

-- Payables ---------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS suppliers (
    supplier_id        text PRIMARY KEY,
    name               text NOT NULL,
    currency           char(3) NOT NULL,
    payment_terms_days integer NOT NULL,
    version            integer NOT NULL
);

CREATE TABLE IF NOT EXISTS supplier_bills (
    bill_id                 text PRIMARY KEY,
    seq                     bigserial UNIQUE,
    supplier_id             text NOT NULL REFERENCES suppliers (supplier_id),
    supplier_invoice_number text NOT NULL,
    -- Trimmed, upper-cased number: what must be unique per supplier.
    supplier_invoice_key    text NOT NULL,
    bill_date               date NOT NULL,
    due_date                date NOT NULL,
    currency                char(3) NOT NULL,
    lines                   jsonb NOT NULL,
    net                     numeric(18, 6) NOT NULL,
    vat                     numeric(18, 6) NOT NULL,
    gross                   numeric(18, 6) NOT NULL,
    entered_by              text NOT NULL,
    status                  text NOT NULL CHECK (status IN ('received', 'approved', 'rejected', 'paid')),
    approved_by             text,
    approved_on             date,
    rejected_by             text,
    rejection_reason        text,
    payment_id              text,
    payment_run_id          text,
    paid_on                 date,
    version                 integer NOT NULL,
    CONSTRAINT supplier_bills_invoice_number_unique UNIQUE (supplier_id, supplier_invoice_key)
);
CREATE INDEX IF NOT EXISTS supplier_bills_payable ON supplier_bills (due_date) WHERE status = 'approved';
CREATE INDEX IF NOT EXISTS supplier_bills_status ON supplier_bills (status, seq);
