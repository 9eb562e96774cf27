-- Heimdall's action log: every attempt an automation or member makes through the dispatcher,
-- hash-chained per household, append-only.

-- The chain head per household: the last sequence number and hash. Its row lock orders
-- appends, so sequence numbers are gapless.
CREATE TABLE heimdall_heads (
    household_id TEXT PRIMARY KEY REFERENCES households (id),
    seq          INTEGER NOT NULL,
    head_hash    TEXT NOT NULL
);

CREATE TABLE heimdall_actions (
    household_id    TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    id              TEXT NOT NULL,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    actor_member_id TEXT,
    action          TEXT NOT NULL,
    mode            TEXT NOT NULL,
    params          TEXT NOT NULL,
    reason          TEXT,
    outcome         TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'invalid', 'error')),
    detail          TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (household_id, seq),
    UNIQUE (household_id, id)
);

CREATE TRIGGER heimdall_actions_no_update BEFORE UPDATE ON heimdall_actions
BEGIN
    SELECT RAISE(ABORT, 'the Heimdall action log is append-only');
END;
CREATE TRIGGER heimdall_actions_no_delete BEFORE DELETE ON heimdall_actions
BEGIN
    SELECT RAISE(ABORT, 'the Heimdall action log is append-only');
END;
