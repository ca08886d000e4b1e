-- People who log in to the console, their sessions and their login attempts.
CREATE TABLE IF NOT EXISTS console_users (
    user_id        text PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    name           text NOT NULL,
    roles          text[] NOT NULL,
    locale         text NOT NULL,
    password_hash  text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    failed_logins  integer NOT NULL DEFAULT 0,
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL,
    password_changed_at timestamptz NOT NULL
);

-- Only the SHA-256 of a session's cookie value is stored: a leaked table opens no session.
CREATE TABLE IF NOT EXISTS console_sessions (
    token_sha256  text PRIMARY KEY,
    user_id       text NOT NULL REFERENCES console_users (user_id) ON DELETE CASCADE,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS console_sessions_user ON console_sessions (user_id);

CREATE TABLE IF NOT EXISTS console_login_attempts (
    attempt_id  bigserial PRIMARY KEY,
    email       text NOT NULL,
    address     text NOT NULL,
    at          timestamptz NOT NULL,
    succeeded   boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS console_login_attempts_address ON console_login_attempts (address, at);
