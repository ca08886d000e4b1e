-- The company calendar and unapplied cash (issue 11).

-- Whether the customer's unapplied cash is applied to each new invoice automatically.
ALTER TABLE billing_accounts ADD COLUMN IF NOT EXISTS auto_apply_cash boolean NOT NULL DEFAULT true;

-- The latest issue date of each series and year: a later number never gets an earlier date.
-- A counter row is created (at 0) before its first number is taken, so its lock can guard the date.
ALTER TABLE number_series ADD COLUMN IF NOT EXISTS last_issue_date date;
ALTER TABLE number_series DROP CONSTRAINT IF EXISTS number_series_last_number_check;
ALTER TABLE number_series ADD CONSTRAINT number_series_last_number_check CHECK (last_number >= 0);
UPDATE number_series n
   SET last_issue_date = (
       SELECT max(i.issue_date) FROM invoices i
        WHERE i.number LIKE n.series || '-' || lpad(n.year::text, 4, '0') || '-%')
 WHERE n.last_issue_date IS NULL AND n.series = 'INV';

-- The shipment's date; differs from the issue date only when the series had a later invoice.
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS delivery_date date;
