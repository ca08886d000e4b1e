-- An invoice's open amount is gross plus its movements (the shared receivables rule:
-- payments, reversed allocations, applied credits and write-offs as signed amounts), kept in
-- one column instead of one per kind, so the projection never restates the rule in SQL.
ALTER TABLE known_invoices ADD COLUMN IF NOT EXISTS settled numeric(18, 6) NOT NULL DEFAULT 0;
UPDATE known_invoices SET settled = -(allocated + credited + written_off);
ALTER TABLE known_invoices DROP COLUMN IF EXISTS allocated;
ALTER TABLE known_invoices DROP COLUMN IF EXISTS credited;
ALTER TABLE known_invoices DROP COLUMN IF EXISTS written_off;

-- Credit remedies name invoice lines: the invoice's lines, and what credit notes took from each
-- line so far (sums, so the order credit notes and invoices arrive in does not matter).
ALTER TABLE known_invoices ADD COLUMN IF NOT EXISTS lines jsonb;
CREATE TABLE IF NOT EXISTS known_credited_lines (
    invoice_id text NOT NULL,
    line_no    integer NOT NULL,
    net        numeric(18, 6) NOT NULL DEFAULT 0,
    vat        numeric(18, 6) NOT NULL DEFAULT 0,
    quantity   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (invoice_id, line_no)
);
