-- Forecast: daily usage aggregates kept in the same transaction as each usage write, and a
-- per-household change sequence so a server's in-memory forecast state can catch up with
-- exactly what changed (also when several servers share one database).

-- One counter per household, bumped by every write that changes a forecast input; the row
-- lock orders those writes, so sequence order is commit order.
CREATE TABLE forecast_counters (
    household_id TEXT PRIMARY KEY REFERENCES households (id),
    seq          BIGINT NOT NULL
);

-- Usage per item and day (running totals of usage_events).
CREATE TABLE usage_daily (
    household_id TEXT NOT NULL,
    inv_id       TEXT NOT NULL,
    day          TEXT NOT NULL,
    qty_used     BIGINT NOT NULL,
    events       BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    PRIMARY KEY (household_id, inv_id, day),
    FOREIGN KEY (household_id, inv_id) REFERENCES inventory_items (household_id, id) ON DELETE CASCADE
);
CREATE INDEX usage_daily_by_seq ON usage_daily (household_id, seq);

-- The sequence number of an item's latest change (name or quantity).
ALTER TABLE inventory_items ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX inventory_items_by_seq ON inventory_items (household_id, seq);

-- Deleted items, so forecast state can forget them.
CREATE TABLE forecast_tombstones (
    household_id TEXT NOT NULL,
    inv_id       TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    PRIMARY KEY (household_id, inv_id)
);
CREATE INDEX forecast_tombstones_by_seq ON forecast_tombstones (household_id, seq);
