-- Forecast state catches up from the usage events themselves instead of from daily totals.
-- Each usage event carries the change sequence of the transaction that wrote it; its index is
-- append-only, so a usage write now changes one random index leaf (the item's) instead of
-- three (the item's, its daily total's, and that total's sequence entry).
-- Events written before this migration keep sequence 0: every server loads them in full.
ALTER TABLE usage_events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX usage_events_by_seq ON usage_events (household_id, seq);
-- The item index also carries what a forecast reads, so a full load of forecast state and a
-- single-item forecast read the index alone (in item order, without a sort).
DROP INDEX usage_events_by_item;
CREATE INDEX usage_events_by_item ON usage_events (household_id, inv_id, used_on, qty_used, seq);
DROP INDEX usage_daily_by_seq;
DROP TABLE usage_daily;
