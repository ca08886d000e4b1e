-- Read models of the support service.
--
-- Tickets and their remedies are updated in the same transaction as the ticket's events.
-- Everything else is projected by consumers from backoffice.orders, backoffice.billing and
-- backoffice.support, so it can be rebuilt from the topics.

-- One row per ticket: its current state, for lists, the SLA job and reports.
CREATE TABLE IF NOT EXISTS tickets (
    ticket_id            text PRIMARY KEY,
    customer_id          text NOT NULL,
    order_id             text,
    invoice_id           text,
    channel              text NOT NULL,
    subject              text NOT NULL,
    description          text NOT NULL,
    priority             text NOT NULL,
    status               text NOT NULL,
    assignee_id          text,
    opened_at            timestamptz NOT NULL,
    first_response_due   timestamptz NOT NULL,
    resolution_due       timestamptz NOT NULL,
    first_responded_at   timestamptz,
    root_cause           text,
    root_cause_notes     text NOT NULL DEFAULT '',
    resolved_at          timestamptz,
    resolution           text NOT NULL DEFAULT '',
    closed_at            timestamptz,
    reopen_count         integer NOT NULL DEFAULT 0,
    satisfaction_score   smallint,
    satisfaction_comment text,
    breached_targets     text[] NOT NULL DEFAULT '{}',
    version              integer NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_by_customer ON tickets (customer_id, opened_at DESC, ticket_id DESC);
CREATE INDEX IF NOT EXISTS tickets_by_opening ON tickets (opened_at DESC, ticket_id DESC);
CREATE INDEX IF NOT EXISTS tickets_unresolved ON tickets (resolution_due) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS tickets_by_resolution ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;

-- Remedies as requested on a ticket (credit, reshipment, goodwill).
CREATE TABLE IF NOT EXISTS ticket_remedies (
    remedy_id    text PRIMARY KEY,
    seq          bigserial NOT NULL,
    ticket_id    text NOT NULL REFERENCES tickets (ticket_id),
    customer_id  text NOT NULL,
    kind         text NOT NULL,
    invoice_id   text,
    order_id     text,
    amount       numeric(18, 6),
    currency     char(3),
    lines        jsonb NOT NULL DEFAULT '[]',
    text         text NOT NULL DEFAULT '',
    requested_at timestamptz
);
CREATE INDEX IF NOT EXISTS ticket_remedies_by_ticket ON ticket_remedies (ticket_id, seq);
CREATE INDEX IF NOT EXISTS ticket_remedies_credits ON ticket_remedies (invoice_id) WHERE kind = 'credit';
CREATE INDEX IF NOT EXISTS ticket_remedies_by_request ON ticket_remedies (requested_at);

-- What another service did for a remedy: a credit note (billing) or a replacement shipment
-- (orders). Kept apart from the request so the outcome may even be seen first (rebuilds).
CREATE TABLE IF NOT EXISTS remedy_outcomes (
    remedy_id   text PRIMARY KEY,
    kind        text NOT NULL,
    reference   text,
    event_id    text NOT NULL,
    recorded_at timestamptz NOT NULL
);

-- Customers support knows of, from order and billing events.
CREATE TABLE IF NOT EXISTS customers (
    customer_id   text PRIMARY KEY,
    first_seen_at timestamptz NOT NULL,
    seen_via      text NOT NULL
);

-- Orders with their customer; placed_at feeds the retention report.
CREATE TABLE IF NOT EXISTS known_orders (
    order_id    text PRIMARY KEY,
    customer_id text NOT NULL,
    currency    char(3) NOT NULL,
    placed_at   timestamptz,
    cancelled   boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS known_orders_by_customer ON known_orders (customer_id, placed_at);

-- Lines of known orders: what was ordered and what was shipped (replacements not counted).
CREATE TABLE IF NOT EXISTS known_order_lines (
    order_id          text NOT NULL,
    line_no           integer NOT NULL,
    sku               text NOT NULL,
    ordered_quantity  integer NOT NULL DEFAULT 0,
    shipped_quantity  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
);

-- Invoices with what is still open: gross - allocated - credited - written_off.
-- gross is NULL while only payments or credits on the invoice were seen.
CREATE TABLE IF NOT EXISTS known_invoices (
    invoice_id  text PRIMARY KEY,
    customer_id text NOT NULL,
    currency    char(3) NOT NULL,
    number      text,
    order_id    text,
    gross       numeric(18, 6),
    allocated   numeric(18, 6) NOT NULL DEFAULT 0,
    credited    numeric(18, 6) NOT NULL DEFAULT 0,
    written_off numeric(18, 6) NOT NULL DEFAULT 0,
    issue_date  date,
    due_date    date,
    paid_on     date
);
CREATE INDEX IF NOT EXISTS known_invoices_by_customer ON known_invoices (customer_id, currency);

-- Per customer and currency: open amount over issued invoices and unapplied cash.
CREATE TABLE IF NOT EXISTS customer_balances (
    customer_id text NOT NULL,
    currency    char(3) NOT NULL,
    open_amount numeric(18, 6) NOT NULL DEFAULT 0,
    unapplied   numeric(18, 6) NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, currency)
);

-- The customer's timeline. customer_id is NULL until the order an entry refers to is known.
CREATE TABLE IF NOT EXISTS timeline_entries (
    entry_id    bigserial PRIMARY KEY,
    event_id    text NOT NULL UNIQUE,
    customer_id text,
    order_id    text,
    kind        text NOT NULL,
    occurred_at timestamptz NOT NULL,
    summary     text NOT NULL,
    refs        jsonb NOT NULL DEFAULT '[]',
    amount      numeric(18, 6),
    currency    char(3)
);
CREATE INDEX IF NOT EXISTS timeline_by_customer ON timeline_entries (customer_id, occurred_at, entry_id);
CREATE INDEX IF NOT EXISTS timeline_orphans ON timeline_entries (order_id) WHERE customer_id IS NULL;
