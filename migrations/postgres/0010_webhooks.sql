-- Webhooks: endpoints an owner registered, and the outbox of deliveries to them.
-- A delivery row is written in the same transaction as the event it reports (an approval,
-- a reminder), so an event is never committed without its deliveries or the reverse.

CREATE TABLE webhooks (
    household_id         TEXT NOT NULL REFERENCES households (id),
    id                   TEXT NOT NULL,
    url                  TEXT NOT NULL,
    -- JSON array of event names, e.g. ["approval.requested"].
    events               TEXT NOT NULL,
    -- The HMAC-SHA256 signing key (needed in plain text to sign; shown once at creation).
    secret               TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    created_by_member_id TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    PRIMARY KEY (household_id, id)
);
CREATE INDEX webhooks_by_creation ON webhooks (household_id, created_at, id);

CREATE TABLE webhook_deliveries (
    household_id     TEXT NOT NULL,
    id               TEXT NOT NULL,
    webhook_id       TEXT NOT NULL,
    event            TEXT NOT NULL,
    -- The exact body sent (and signed) on every attempt.
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT NOT NULL,
    -- When a pending delivery is next due (or, while one server sends it, when its claim
    -- lapses); NULL once delivered or failed.
    next_attempt_at  TEXT,
    last_attempt_at  TEXT,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT,
    PRIMARY KEY (household_id, id),
    -- Deleting a webhook deletes its deliveries: nothing more is sent to it.
    FOREIGN KEY (household_id, webhook_id) REFERENCES webhooks (household_id, id) ON DELETE CASCADE
);
-- The worker's poll, across households: pending deliveries by due time.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_webhook
    ON webhook_deliveries (household_id, webhook_id, created_at, id);
