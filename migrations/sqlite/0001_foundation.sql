-- Foundation: households, members, tokens, idempotency, inventory and usage events.
-- Conventions (shared with the PostgreSQL migrations of the same name): TEXT ids (UUIDv7),
-- INTEGER money in minor units and quantities in milli-units, TEXT RFC 3339 UTC instants,
-- TEXT YYYY-MM-DD days, 0/1 INTEGER booleans. Every household-owned table leads with
-- household_id, and its keys include it.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE households (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    timezone            TEXT NOT NULL,
    currency            TEXT NOT NULL,
    big_spend_threshold INTEGER NOT NULL,
    hard_spend_limit    INTEGER NOT NULL,
    min_cash_buffer     INTEGER NOT NULL,
    needs_horizon_days  INTEGER NOT NULL,
    tick_time           TEXT NOT NULL,
    version             INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

CREATE TABLE members (
    household_id TEXT NOT NULL REFERENCES households (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'adult', 'member', 'viewer')),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (household_id, id),
    UNIQUE (household_id, name)
);

CREATE TABLE api_tokens (
    token_hash   TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    FOREIGN KEY (household_id, member_id) REFERENCES members (household_id, id)
);

CREATE TABLE idempotency_keys (
    household_id TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    etag         TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (household_id, member_id, method, path, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE locations (
    household_id TEXT NOT NULL REFERENCES households (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    parent_id    TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (household_id, id),
    FOREIGN KEY (household_id, parent_id) REFERENCES locations (household_id, id)
);

CREATE TABLE inventory_items (
    household_id  TEXT NOT NULL REFERENCES households (id),
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    qty           INTEGER NOT NULL CHECK (qty >= 0),
    unit          TEXT,
    location_id   TEXT,
    category      TEXT,
    min_qty       INTEGER NOT NULL CHECK (min_qty >= 0),
    reorder_qty   INTEGER CHECK (reorder_qty >= 0),
    est_unit_cost INTEGER,
    currency      TEXT NOT NULL,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (household_id, id),
    FOREIGN KEY (household_id, location_id) REFERENCES locations (household_id, id)
);
CREATE INDEX inventory_items_by_name ON inventory_items (household_id, name_key, id);

CREATE TABLE usage_events (
    household_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    inv_id       TEXT NOT NULL,
    qty_used     INTEGER NOT NULL CHECK (qty_used > 0),
    used_on      TEXT NOT NULL,
    notes        TEXT,
    source       TEXT NOT NULL CHECK (source IN ('manual', 'use', 'out_of')),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (household_id, id),
    FOREIGN KEY (household_id, inv_id) REFERENCES inventory_items (household_id, id) ON DELETE CASCADE
);
CREATE INDEX usage_events_by_item ON usage_events (household_id, inv_id, used_on);
