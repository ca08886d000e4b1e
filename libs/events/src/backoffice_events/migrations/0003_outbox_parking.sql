-- Records the broker refuses for good (too large for the topic, invalid) are parked instead of
-- retried forever: the relay skips them and the rest of the outbox flows. An operator fixes the
-- cause (topic limit, event) and clears parked_at to publish them again (docs/operations.md).
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS parked_at timestamptz;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS park_reason text;
CREATE INDEX IF NOT EXISTS outbox_to_publish ON outbox (id) WHERE published_at IS NULL AND parked_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_parked ON outbox (id) WHERE parked_at IS NOT NULL AND published_at IS NULL;
-- Retention deletes published rows by age, and consumer dedupe rows by age.
CREATE INDEX IF NOT EXISTS outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS processed_events_processed_at ON processed_events (processed_at);
