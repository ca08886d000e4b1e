-- Who caused each event: the person or API key behind the command, or the job that ran it.
-- Events stored before this column existed have no recorded actor (NULL).
ALTER TABLE events ADD COLUMN IF NOT EXISTS actor text;
