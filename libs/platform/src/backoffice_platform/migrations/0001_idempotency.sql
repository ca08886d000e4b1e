-- Idempotency keys: a retried POST returns the first answer and records nothing twice.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status       integer,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
