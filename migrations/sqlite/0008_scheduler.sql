-- Scheduler runs. A timer run claims its household-local day (daily_key); the unique index
-- makes the database, not timing, decide which server runs a household's tick for that day.
-- Manual runs (the tick endpoint, `valhalla tick`) have no daily_key.

CREATE TABLE scheduler_runs (
    household_id TEXT NOT NULL REFERENCES households (id),
    id           TEXT NOT NULL,
    daily_key    TEXT,
    trigger      TEXT NOT NULL CHECK (trigger IN ('timer', 'manual')),
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    ok           INTEGER,
    steps        TEXT,
    PRIMARY KEY (household_id, id)
);
CREATE UNIQUE INDEX scheduler_runs_daily ON scheduler_runs (household_id, daily_key);
CREATE INDEX scheduler_runs_latest ON scheduler_runs (household_id, started_at);
