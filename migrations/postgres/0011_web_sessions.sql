-- Web sign-in: browser sessions and one-time sign-in links. Only SHA-256 hashes of the secrets
-- (the session cookie's token, the link's secret) are stored. Each row carries the hash of the
-- API token whose authority it uses, so revoking that token signs the browser out too.

CREATE TABLE web_sessions (
    household_id   TEXT NOT NULL REFERENCES households (id),
    id             TEXT NOT NULL,
    token_hash     TEXT NOT NULL,
    member_id      TEXT NOT NULL,
    api_token_hash TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    revoked_at     TEXT,
    PRIMARY KEY (household_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES members (household_id, id)
);
CREATE UNIQUE INDEX web_sessions_token ON web_sessions (token_hash);
CREATE INDEX web_sessions_expiry ON web_sessions (household_id, expires_at);

CREATE TABLE web_signin_links (
    household_id   TEXT NOT NULL REFERENCES households (id),
    id             TEXT NOT NULL,
    secret_hash    TEXT NOT NULL,
    member_id      TEXT NOT NULL,
    api_token_hash TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT,
    PRIMARY KEY (household_id, id),
    FOREIGN KEY (household_id, member_id) REFERENCES members (household_id, id)
);
CREATE UNIQUE INDEX web_signin_links_secret ON web_signin_links (secret_hash);
