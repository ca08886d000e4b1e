-- What differs between two generations of the books, computed where the data is (a rebuild
-- compares the old and the new books under the generation lock, so it must be quick).
-- Returns the names of the parts that differ; empty when the books are the same.
CREATE OR REPLACE FUNCTION ledger_books_differences(old integer, new integer) RETURNS text[]
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    a text := 'books_' || old;
    b text := 'books_' || new;
    part record;
    differs boolean;
    found text[] := '{}';
BEGIN
    FOR part IN SELECT * FROM (VALUES
        ('journal entries',
         'SELECT entry_id, event_id, currency, event_type, posted_on, description FROM %I.journal_entries'),
        ('journal lines',
         'SELECT entry_id, line_no, account, party_kind, party_id, currency, debit, credit, posted_on'
         ' FROM %I.journal_lines'),
        ('open items',
         'SELECT i.kind, i.item_id, i.party_id, i.currency, i.issued_on, i.due_date, i.reference,'
         ' (SELECT COALESCE(sum(m.amount), 0) FROM %1$I.open_item_movements m'
         '  WHERE m.kind = i.kind AND m.item_id = i.item_id) AS open_amount FROM %1$I.open_items i'),
        ('accounts', 'SELECT code, name, role, kind, normal_side, subledger FROM %I.accounts')
    ) AS parts(name, query)
    LOOP
        EXECUTE format(
            'SELECT EXISTS ((%s EXCEPT %s) UNION ALL (%s EXCEPT %s))',
            format(part.query, a), format(part.query, b), format(part.query, b), format(part.query, a)
        ) INTO differs;
        IF differs THEN
            found := found || part.name;
        END IF;
    END LOOP;
    RETURN found;
END
$fn$;
