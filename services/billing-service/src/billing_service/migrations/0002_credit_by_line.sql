-- Credit notes by line: what each invoice line has had credited (so the next credit knows the
-- rest), and each credit note's lines and VAT breakdown per rate.
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS credited_lines jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE credit_notes ADD COLUMN IF NOT EXISTS lines jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE credit_notes ADD COLUMN IF NOT EXISTS vat_breakdown jsonb NOT NULL DEFAULT '[]'::jsonb;
