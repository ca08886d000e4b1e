-- Event store, transactional outbox and consumer dedupe: the same tables in every service database.

CREATE TABLE IF NOT EXISTS event_streams (
    stream_id   text PRIMARY KEY,
    stream_type text NOT NULL,
    version     integer NOT NULL CHECK (version >= 0)
);

CREATE TABLE IF NOT EXISTS events (
    position       bigserial PRIMARY KEY,
    event_id       uuid NOT NULL UNIQUE,
    stream_id      text NOT NULL,
    stream_version integer NOT NULL CHECK (stream_version >= 1),
    type           text NOT NULL,
    source         text NOT NULL,
    topic          text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    correlation_id text NOT NULL,
    causation_id   text,
    data           jsonb NOT NULL,
    UNIQUE (stream_id, stream_version)
);

-- One row per event to publish. No foreign key: the event row is written in the same statement.
CREATE TABLE IF NOT EXISTS outbox (
    id             bigserial PRIMARY KEY,
    event_position bigint NOT NULL,
    published_at   timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (id) WHERE published_at IS NULL;

-- Consumer dedupe: an event id recorded here was handled by that consumer.
CREATE TABLE IF NOT EXISTS processed_events (
    consumer     text NOT NULL,
    event_id     text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
