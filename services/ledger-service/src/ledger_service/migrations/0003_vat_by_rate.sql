-- VAT per rate: journal lines on VAT, revenue, sales returns and expense accounts carry the VAT
-- rate they are at and the document (invoice or supplier bill id) they belong to. Nullable:
-- lines of other accounts, and lines posted before this migration, have neither.
-- A function rather than a change to ledger_create_books, so every generation (existing ones
-- here, new ones from create_books) gets the columns the same way.
CREATE OR REPLACE FUNCTION ledger_add_vat_columns(generation integer) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    s text := 'books_' || generation;
BEGIN
    EXECUTE format($ddl$
        ALTER TABLE %1$I.journal_lines ADD COLUMN IF NOT EXISTS vat_rate numeric(9, 6);
        ALTER TABLE %1$I.journal_lines ADD COLUMN IF NOT EXISTS document_id text;
        CREATE INDEX IF NOT EXISTS journal_lines_document ON %1$I.journal_lines (document_id)
            WHERE document_id IS NOT NULL;
    $ddl$, s);
END
$fn$;

SELECT ledger_add_vat_columns(g) FROM ledger_book_generations() AS g;
